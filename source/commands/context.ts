// Everything a command needs before it may touch a cloud: validated answers and secrets,
// the derived settings, the adapter and the journal. Any problem here exits 2.
import type { CliOptions } from '../args.js';
import { mergeAnswers, readAnswersFile, secretsFromEnv, validateAnswers, validateSecrets, type RawAnswers } from '../answers/load.js';
import type { Answers, Secrets } from '../answers/schema.js';
import { deriveSettings, sizingProblems, type Settings } from '../answers/settings.js';
import { adapterFor } from '../clouds/index.js';
import type { CloudAdapter } from '../clouds/types.js';
import { deploymentDir, Journal, stateRoot } from '../engine/journal.js';
import { fileAuditSink } from '../exec/audit.js';
import { createRedactor } from '../exec/redact.js';
import { createRunner, type Runner } from '../exec/runner.js';
import { UsageError } from '../errors.js';

export function openJournal(options: CliOptions): Journal {
  return new Journal(deploymentDir(stateRoot(options.stateDir), options.name));
}

export interface Deployment {
  settings: Settings;
  adapter: CloudAdapter;
  /** The answers as validated, without secrets: what the journal keeps. */
  answers: RawAnswers;
}

/** Saved answers < answers file < flags; then one validation that reports every problem. */
export async function loadDeployment(options: CliOptions, journal: Journal, extra: RawAnswers = {}): Promise<Deployment> {
  const file = options.config ? await readAnswersFile(options.config) : undefined;
  const flags = { cloud: options.cloud, domain: options.domain, imageTag: options.imageTag };
  const raw = mergeAnswers(journal.state?.answers, file, flags, extra);
  const answers = validateAnswers(raw);
  const settings = deriveSettings(options.name, answers);
  const adapter = adapterFor(settings);
  const problems = [...sizingProblems(settings), ...adapter.inputProblems()];
  if (problems.length) throw new UsageError('Some answers are not possible:', problems);
  return { settings, adapter, answers: raw };
}

/** Answers and secrets together, so a run with both wrong lists everything at once. */
export async function loadDeploymentWithSecrets(options: CliOptions, journal: Journal, extra?: RawAnswers): Promise<Deployment & { secrets: Secrets }> {
  const rawSecrets = secretsFromEnv(process.env);
  let deployment: Deployment | undefined;
  const problems: string[] = [];
  try {
    deployment = await loadDeployment(options, journal, extra);
  } catch (error) {
    if (!(error instanceof UsageError) || error.problems.length === 0) throw error;
    problems.push(...error.problems);
  }
  let secrets: Secrets | undefined;
  try {
    secrets = validateSecrets(rawSecrets, deployment?.settings.answers as Answers | undefined);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length || !deployment || !secrets) {
    throw new UsageError('Cannot start: fix these and run again. Nothing was changed in the cloud.', problems);
  }
  return { ...deployment, secrets };
}

export function createAuditedRunner(journal: Journal, secrets: Secrets | undefined, signal?: AbortSignal): Runner {
  return createRunner({
    audit: fileAuditSink(journal.auditLogPath),
    redact: createRedactor(Object.values(secrets ?? {})),
    signal,
    env: { AWS_PAGER: '' },
  });
}
