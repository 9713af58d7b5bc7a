// What a deploy command works from: answers and secrets from every source (saved state,
// answers file, flags, environment; with --demo its suggestions), and on a terminal the
// wizard for whatever is missing. Also the two questions around it: resume? save?
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RawAnswers } from '../answers/load.js';
import { mergeAnswers, secretsFromEnv } from '../answers/load.js';
import { discoveriesFor } from '../clouds/index.js';
import { releaseTime, type JournalState, type Release } from '../engine/journal.js';
import { UsageError } from '../errors.js';
import { line } from '../ui/terminal.js';
import { createAuditedRunner, givenAnswers, resolveWithSecrets, storedSecrets, type Workspace } from './context.js';
import type { CliOptions } from '../args.js';

export type Inputs = ReturnType<typeof resolveWithSecrets> & {
  /** The wizard asked something: its answers may be worth saving. */
  wizardAsked: boolean;
};

/** Without a terminal (or with --yes) nothing is asked: what is missing is a UsageError naming each answer. */
/** `release`: the answers of the release a rollback goes back to, over the journal's (and the demo's). */
export async function gatherInputs(options: CliOptions, env: NodeJS.ProcessEnv, workspace: Workspace, prompting: boolean, lookups: AbortSignal, release?: RawAnswers): Promise<Inputs> {
  const { journal, demo } = workspace;
  // Without questions the demo plays its own answers; with them, it suggests them.
  const played = prompting ? undefined : demo?.suggestions;
  const { answers: given, fromFile } = await givenAnswers(options, journal, release ? mergeAnswers(played?.answers, release) : played?.answers);
  const envSecrets = { ...played?.secrets, ...secretsFromEnv(env) };
  const stored = storedSecrets(journal);
  try {
    return { ...resolveWithSecrets(options, given, envSecrets, stored, demo), wizardAsked: false };
  } catch (error) {
    if (!prompting || !(error instanceof UsageError)) throw error;
  }
  const { runWizard } = await import('../wizard/wizard.js');
  const { answers, secrets } = await runWizard({
    given,
    defaults: demo?.suggestions.answers ?? {},
    secrets: envSecrets,
    secretDefaults: demo?.suggestions.secrets,
    stored,
    full: !fromFile && !journal.state,
    clouds: demo?.clouds,
    ...discoveriesFor(createAuditedRunner(workspace, undefined, lookups)),
    say: line,
  });
  return { ...resolveWithSecrets(options, answers, secrets, stored, demo), wizardAsked: true };
}

export async function offerToResume(saved: JournalState): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  const done = Object.values(saved.steps).filter((step) => step.status === 'done').length;
  return confirm({ message: `Deployment "${saved.name}" has an unfinished ${saved.command} (${saved.status}, ${done} steps done). Resume it?`, default: true });
}

/** After a Ctrl-C in an upgrade: put back what it moved? A Ctrl-C at this question too means no. */
export async function offerToRollBack(moved: string[], back: Release): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  const message = `The upgrade moved ${moved.join(', ')}. Roll them back to the release of ${releaseTime(back)} (image tag ${back.imageTag})?`;
  return confirm({ message, default: true }).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'ExitPromptError') return false;
    throw error;
  });
}

export async function offerToSaveAnswers(answers: RawAnswers): Promise<void> {
  const { confirm, input } = await import('@inquirer/prompts');
  if (!(await confirm({ message: 'Save these answers (never the secrets) for next time?', default: true }))) return;
  const file = await input({ message: 'Answers file', default: 'membrane-answers.json' });
  await writeFile(file, `${JSON.stringify(answers, null, 2)}\n`, { mode: 0o600 });
  line(`Saved ${resolve(file)}. Next time: create-membrane-deploy --config ${file}`);
}
