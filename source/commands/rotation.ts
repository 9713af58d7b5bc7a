// Secret rotation as a person reads it: which secret gets a new version, and which services restart
// to read it. The restart itself is the platform's rolling update: each reader's definition pins the
// version (clouds/types.ts secretVersionOutput), so only theirs change.
import { SECRET_ENV, type SecretKey, type Secrets } from '../answers/schema.js';
import type { Settings } from '../answers/settings.js';
import { SECRET_STEP_PREFIX, secretVersionOutput, type ActionStep, type Step } from '../clouds/types.js';
import { compareSteps } from '../engine/compare.js';
import type { Runner } from '../exec/runner.js';
import { requiredSecrets, secretReaders } from '../membrane/env.js';

const keyOf = (step: ActionStep) => step.id.slice(SECRET_STEP_PREFIX.length) as SecretKey;

/**
 * The given secrets whose value differs from the stored one, asked of the secret steps with reads
 * only (engine/compare.ts), before anything changes. `known`: the journal's outputs.
 */
export async function rotatingSecrets(steps: Step[], runner: Runner, known: Readonly<Record<string, string>>, secrets: Partial<Secrets>): Promise<SecretKey[]> {
  const given = steps.filter((step): step is ActionStep => step.kind === 'action' && step.id.startsWith(SECRET_STEP_PREFIX) && secrets[keyOf(step)] !== undefined);
  const comparisons = await compareSteps(given, runner, known, secrets);
  return comparisons.filter((comparison) => comparison.status === 'differs' && comparison.writesSecret).map((comparison) => keyOf(comparison.step));
}

/** The secrets whose version a run changed: the secret steps' outputs before and after it. */
export function rotatedSecrets(settings: Settings, before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): SecretKey[] {
  return requiredSecrets(settings).filter((key) => {
    const output = secretVersionOutput(key);
    return before[output] !== undefined && after[output] !== undefined && before[output] !== after[output];
  });
}

/** The review's words, before confirming: what changes, who restarts, and that running containers keep the old value until then. */
export function rotationReviewLines(settings: Settings, keys: SecretKey[]): string[] {
  if (keys.length === 0) return [];
  const readers = secretReaders(settings);
  return [
    'Secrets with a new value (each gets a new version; only the services that read it restart, in a rolling update):',
    ...keys.map((key) => `  ${SECRET_ENV[key]}: ${readers[key]?.length ? `restarts ${readers[key].join(', ')}` : NO_READERS}`),
    'Running containers keep the old value until they restart; the other services are not touched.',
    '',
  ];
}

/** The end of a run that rotated secrets. */
export function rotationSummaryLines(settings: Settings, keys: SecretKey[]): string[] {
  const readers = secretReaders(settings);
  return keys.map((key) => `${SECRET_ENV[key]}: a new version; ${readers[key]?.length ? `${readers[key].join(', ')} restarted to read it` : NO_READERS}.`);
}

const NO_READERS = 'no service restarts (the platform reads it only to pull an image; the next pull uses it)';
