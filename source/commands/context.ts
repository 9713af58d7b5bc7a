// Everything a command needs before it may touch a cloud: the answers from their sources,
// validated with the secrets, the derived settings, the adapter and the journal. Any problem
// here is a UsageError (exit 2) listing every problem at once.
import type { CliOptions } from '../args.js';
import { mergeAnswers, readAnswersFile, validateAnswers, validateSecrets, type RawAnswers } from '../answers/load.js';
import { SECRET_ENV, type Answers, type SecretKey, type Secrets } from '../answers/schema.js';
import { deriveSettings, sizingProblems, type Settings } from '../answers/settings.js';
import { demoCloud, type DemoCloud } from '../clouds/demo/index.js';
import { adapterFor, CLI_ENV } from '../clouds/index.js';
import { SECRET_STEP_PREFIX, type CloudAdapter } from '../clouds/types.js';
import type { Journal } from '../engine/journal.js';
import { fileAuditSink } from '../exec/audit.js';
import { shellQuote } from '../exec/command.js';
import { createRedactor } from '../exec/redact.js';
import { createRunner, type Runner, type RunnerOptions, type SharedReads } from '../exec/runner.js';
import { UsageError } from '../errors.js';
import type { Presenter } from '../ui/presenter.js';
import { openJournal } from './journal-of.js';

/** Where a command works: the deployment's journal and, with --demo, the simulated account kept beside it. */
export interface Workspace {
  journal: Journal;
  demo?: DemoCloud;
  /** SHARED_READ answers of this run, for every runner it makes. */
  sharedReads: SharedReads;
}

/** What cli.ts gives a command: where to show itself, the environment, and how to end at once. */
export interface CommandContext {
  /** Chosen once for the run: Ink, plain lines or JSON events. */
  presenter: Presenter;
  env: NodeJS.ProcessEnv;
  /** Ends the process now (a second Ctrl-C): cli.ts owns the exit; tests record it. */
  exit(code: number): never;
}

export function openWorkspace(options: CliOptions, env: NodeJS.ProcessEnv): Workspace {
  const journal = openJournal(options);
  // Tests run the demo faster; users see its realistic pace.
  const speed = Number(env.CREATE_MEMBRANE_DEPLOY_DEMO_SPEED) || 1;
  return { journal, demo: options.demo ? demoCloud(journal.dir, { failService: options.demoFail, speed }) : undefined, sharedReads: new Map() };
}

/** The commands that continue, examine or check this deployment, as the user types them. */
export interface NextCommands {
  resume: string;
  /** Applies the answers again: what was changed by hand is put back. */
  install: string;
  troubleshoot: string;
  verify: string;
  /** Back to the release before the last one. */
  rollback: string;
  /** The options that name this deployment (and, without a terminal, --yes): what any other command needs after it. */
  which: string;
}

export function nextCommands(options: CliOptions, interactive: boolean): NextCommands {
  const which = ['--name', options.name, ...(options.stateDir ? ['--state-dir', shellQuote(options.stateDir)] : []), ...(options.demo ? ['--demo'] : [])].join(' ');
  // A deployment made by hand has no journal: its answers file says what to look at.
  const answers = options.config ? ` --config ${shellQuote(options.config)}` : '';
  const yes = interactive ? '' : ' --yes';
  return {
    resume: `create-membrane-deploy resume ${which}${yes}`,
    install: `create-membrane-deploy install ${which}${answers}${yes}`,
    troubleshoot: `create-membrane-deploy troubleshoot ${which}${answers}`,
    verify: `create-membrane-deploy verify ${which}${answers}`,
    rollback: `create-membrane-deploy rollback ${which}${yes}`,
    which: `${which}${yes}`,
  };
}

export interface Deployment {
  settings: Settings;
  adapter: CloudAdapter;
  /** The answers as given (validated), without secrets: what the journal keeps. */
  answers: RawAnswers;
}

/** Saved answers < base (the demo's) < answers file < flags. */
export async function givenAnswers(options: CliOptions, journal: Journal, base?: RawAnswers): Promise<{ answers: RawAnswers; fromFile: boolean }> {
  const file = options.config ? await readAnswersFile(options.config) : undefined;
  const flags = { cloud: options.cloud, domain: options.domain, imageTag: options.imageTag, dns: options.dnsZone ? { zone: options.dnsZone } : undefined };
  return { answers: mergeAnswers(journal.state?.answers, base, file, flags), fromFile: Boolean(file) };
}

export function resolveDeployment(options: CliOptions, raw: RawAnswers, demo?: DemoCloud): Deployment {
  const refusal = demo?.refusal(raw.cloud);
  if (refusal) throw new UsageError(refusal);
  const answers = validateAnswers(raw);
  const settings = deriveSettings(options.name, answers);
  const adapter = adapterFor(settings, demo);
  const problems = [...sizingProblems(settings), ...adapter.inputProblems()];
  if (problems.length) throw new UsageError('Some answers are not possible:', problems);
  return { settings, adapter, answers: raw };
}

/** Answers and secrets together, so a run with both wrong lists everything at once. */
/** Secrets an earlier run of this deployment stored in the cloud: they need no value now. */
export function storedSecrets(journal: Journal): SecretKey[] {
  return Object.entries(journal.state?.steps ?? {})
    .filter(([id, step]) => id.startsWith(SECRET_STEP_PREFIX) && step.status === 'done')
    .map(([id]) => id.slice(SECRET_STEP_PREFIX.length) as SecretKey);
}

export function resolveWithSecrets(
  options: CliOptions,
  raw: RawAnswers,
  rawSecrets: Partial<Record<SecretKey, string>>,
  stored: SecretKey[],
  demo?: DemoCloud,
): Deployment & { secrets: Secrets } {
  let deployment: Deployment | undefined;
  const problems: string[] = [];
  try {
    deployment = resolveDeployment(options, raw, demo);
  } catch (error) {
    if (!(error instanceof UsageError) || error.problems.length === 0) throw error;
    problems.push(...error.problems);
  }
  let secrets: Secrets | undefined;
  try {
    secrets = validateSecrets(rawSecrets, deployment?.settings.answers as Answers | undefined, stored);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length || !deployment || !secrets) {
    throw new UsageError('Cannot start: fix these and run again. Nothing was changed in the cloud.', problems);
  }
  return { ...deployment, secrets };
}

// Tests shorten the retry backoff; users keep the default.
const BACKOFF_MS = Number(process.env.CREATE_MEMBRANE_DEPLOY_BACKOFF_MS) || undefined;

/** Runs the clouds' CLIs, or with --demo the simulated account, writing every call to the audit log. */
export function createAuditedRunner({ journal, demo, sharedReads }: Workspace, secrets: Partial<Secrets> | undefined, signal?: AbortSignal, defaults?: RunnerOptions['defaults']): Runner {
  return createRunner({
    sharedReads,
    audit: fileAuditSink(journal.auditLogPath),
    redact: createRedactor(Object.values(secrets ?? {})),
    signal,
    env: CLI_ENV,
    withheld: Object.values(SECRET_ENV),
    backoffMs: BACKOFF_MS,
    spawn: demo?.spawn,
    defaults,
  });
}
