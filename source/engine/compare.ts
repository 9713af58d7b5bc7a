// diff: each step of the install asked what it would do now. Every step looks before it changes
// anything, so running it with a runner that lets reads through and stops at the first change
// tells, step by step, whether the cloud matches the answers — without a second description of
// the desired state to keep in line with the steps.
import type { Secrets } from '../answers/schema.js';
import type { ActionStep, Outputs, Step } from '../clouds/types.js';
import { displayArgv, isReadOnly, type Command } from '../exec/command.js';
import type { Runner } from '../exec/runner.js';
import { batches } from './plan.js';

export type Comparison =
  | { step: ActionStep; status: 'same' }
  /** `command`: the first change the step would make; `why`: its words for it, where the step knows. */
  | { step: ActionStep; status: 'differs'; command: string[]; why?: string }
  /** It needs something only an earlier step makes, and that step has not made it yet. */
  | { step: ActionStep; status: 'missing'; why: string };

class WouldChange extends Error {
  constructor(readonly command: Command) {
    super('a change');
  }
}

class NotMadeYet extends Error {}

/** Reads go to the cloud; the first change stops the step, unmade. */
function readingRunner(runner: Runner): Runner {
  return {
    run: (command, options) => (isReadOnly(command) ? runner.run(command, options) : Promise.reject(new WouldChange(command))),
    backoff: (attempt) => runner.backoff(attempt),
  };
}

/**
 * Compares in the install's order and concurrency. `known` are the journal's outputs (ARNs, ids);
 * a step that matches adds what it read. Errors of the cloud's CLI propagate: the caller exits 2.
 */
export async function compareSteps(
  steps: Step[],
  runner: Runner,
  known: Readonly<Record<string, string>>,
  secrets: Partial<Secrets>,
  /** What each step recorded (the journal's per step): one that renews its outputs and differs takes them away from the steps after it. */
  recorded: Readonly<Record<string, Readonly<Record<string, string>> | undefined>> = {},
): Promise<Comparison[]> {
  const values: Record<string, string> = { ...known };
  const outputs: Outputs = {
    get(key) {
      const value = values[key];
      if (value === undefined) throw new NotMadeYet(key);
      return value;
    },
  };
  const reader = readingRunner(runner);
  const stop = new AbortController().signal;
  const comparisons: Comparison[] = [];
  for (const batch of batches(steps)) {
    const actions = batch.filter((step): step is ActionStep => step.kind === 'action');
    const compared = await Promise.all(actions.map(async (step): Promise<Comparison> => {
      try {
        const result = await step.apply({ runner: reader, outputs, secrets: secrets as Secrets, progress: () => {}, stop });
        Object.assign(values, result.outputs);
        return { step, status: 'same' };
      } catch (error) {
        if (error instanceof WouldChange) return { step, status: 'differs', command: displayArgv(error.command), ...(error.command.change ? { why: error.command.change } : {}) };
        if (error instanceof NotMadeYet) return { step, status: 'missing', why: 'needs what an earlier step has not made yet' };
        // A step's own refusal ("MEMBRANE_SECRET is needed: … is not in Secrets Manager") is a difference in its words;
        // the CLI's errors and bugs are not.
        if (error instanceof Error && error.constructor === Error) return { step, status: 'differs', command: [], why: error.message };
        throw error;
      }
    }));
    // A new task definition means a new ARN: the services after it are "missing" what it would make, not "same".
    for (const { step, status } of compared) if (status !== 'same' && step.renewsOutputs) for (const key of Object.keys(recorded[step.id] ?? {})) delete values[key];
    comparisons.push(...compared);
  }
  return comparisons;
}
