// Azure takes minutes (Microsoft says up to 30) to put a new role assignment into effect. Until
// then an app whose Key Vault references need it is refused with the words below, exactly as if
// the identity had no access. Only that refusal is waited out, and only for a while; anything
// else fails at once. The refused request created nothing, so trying again is safe. The same wait
// serves other "not yet" refusals (new DNS records before Azure sees them: dns.ts).
import { InterruptedError } from '../../errors.js';
import { CliError } from '../../exec/errors.js';
import type { StepContext } from '../types.js';

/** The Container Apps resource provider's answer (microsoft/azure-container-apps#930, #1174). */
const NOT_YET_READABLE = /Unable to get value using Managed identity (\S+) for secret ([\w.-]*[\w-])/;

/** Tries in all. The waits between them are the runner's backoff, growing to its 7th step and staying there: ~10 min at most. */
export const KEY_VAULT_TRIES = 15;
const LONGEST_BACKOFF_STEP = 7;

export const WAITING_FOR_KEY_VAULT = 'waiting for Key Vault access to propagate';

export function whileKeyVaultAccessPropagates<T>(context: Pick<StepContext, 'runner' | 'progress' | 'stop'>, attempt: () => Promise<T>): Promise<T> {
  return whileRefused(context, { refusal: NOT_YET_READABLE, tries: KEY_VAULT_TRIES, longestStep: LONGEST_BACKOFF_STEP, waiting: WAITING_FOR_KEY_VAULT }, attempt, ([, identity, secret]) =>
    new Error(
      `Azure has not yet propagated the "Key Vault Secrets User" role to identity ${identity!.split('/').at(-1)}: it still cannot read the app's secret ${secret} ` +
        '(this can take up to 30 minutes). Wait a few minutes, then run create-membrane-deploy resume to continue.',
    ));
}

export interface Refusal {
  /** Azure's words for "not yet"; anything else fails at once. */
  refusal: RegExp;
  tries: number;
  /** The runner's backoff grows to this step and stays there. */
  longestStep: number;
  /** The progress message while waiting. */
  waiting: string;
}

/** Runs `attempt` again, after the runner's backoff, while Azure refuses it with `refusal`, at most `tries` times. */
export async function whileRefused<T>(context: Pick<StepContext, 'runner' | 'progress' | 'stop'>, wait: Refusal, attempt: () => Promise<T>, giveUp: (refused: RegExpExecArray) => Error): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const refused = error instanceof CliError ? wait.refusal.exec(error.cliMessage) : null;
      if (!refused) throw error;
      if (tries >= wait.tries) throw giveUp(refused);
      context.progress(wait.waiting);
      await context.runner.backoff(Math.min(tries, wait.longestStep));
      if (context.stop.aborted) throw new InterruptedError('interrupted');
    }
  }
}
