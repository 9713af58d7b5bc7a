// Gathers answers from their sources (saved state < answers file < flags) and secrets from
// the environment, then validates both with the one schema. Nothing here touches a cloud.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { answersSchema, secretsSchema, SECRET_ENV, type Answers, type SecretKey, type Secrets } from './schema.js';

export type RawAnswers = Record<string, unknown>;

export async function readAnswersFile(file: string): Promise<RawAnswers> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the answers file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Check the --config path.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The answers file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`The answers file ${file} must hold a JSON object, like {"cloud": "aws", ...}.`);
  }
  return parsed as RawAnswers;
}

/** Later sources win; nested objects merge key by key, arrays are replaced whole. */
export function mergeAnswers(...sources: (RawAnswers | undefined)[]): RawAnswers {
  const result: RawAnswers = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (value === undefined) continue;
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      const merged = isPlainObject(current) && isPlainObject(value) ? mergeAnswers(current, value) : value;
      // defineProperty keeps a "__proto__" key from a JSON file as a plain key, so validation reports it.
      Object.defineProperty(result, key, { value: merged, enumerable: true, writable: true, configurable: true });
    }
  }
  return result;
}

function isPlainObject(value: unknown): value is RawAnswers {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where the user can supply each top-level answer from the command line. */
const FLAG_FOR: Record<string, string> = { cloud: '--cloud', domain: '--domain', imageTag: '--image-tag' };

export function validateAnswers(raw: RawAnswers): Answers {
  const result = answersSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError('The answers are incomplete or invalid:', describeIssues(result.error, raw, 'answers'));
}

export function secretsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<SecretKey, string>> {
  const secrets: Partial<Record<SecretKey, string>> = {};
  for (const [key, name] of Object.entries(SECRET_ENV) as [SecretKey, string][]) {
    if (env[name] !== undefined) secrets[key] = env[name];
  }
  return secrets;
}

/**
 * The five secrets every deployment has, plus those the chosen auth mode needs. Without
 * valid answers (undefined) only the five are checked, so one run reports every problem.
 * `stored` secrets already live in the cloud's secret store: they may be left out.
 */
export function validateSecrets(raw: Partial<Record<SecretKey, string>>, answers: Answers | undefined, stored: SecretKey[] = []): Secrets {
  const result = secretsSchema.partial(Object.fromEntries(stored.map((key) => [key, true]))).safeParse(raw);
  const problems = result.success ? [] : describeIssues(result.error, raw, 'secrets');
  if (answers?.auth.mode === 'auth0' && raw.auth0ClientSecret === undefined && !stored.includes('auth0ClientSecret')) {
    problems.push(`${SECRET_ENV.auth0ClientSecret}: missing. auth.mode is "auth0": set it to the Auth0 application's client secret.`);
  }
  if (answers?.auth.mode === 'password' && answers.auth.smtp && raw.smtpPassword === undefined && !stored.includes('smtpPassword')) {
    problems.push(`${SECRET_ENV.smtpPassword}: missing. auth.smtp is set: set it to the SMTP password.`);
  }
  if (problems.length > 0 || !result.success) {
    throw new UsageError('The secrets are incomplete or invalid (set them as environment variables, never in the answers file):', problems);
  }
  return result.data;
}

function describeIssues(error: z.ZodError, raw: Record<string, unknown>, kind: 'answers' | 'secrets'): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? ` in "${issue.path.join('.')}"` : '';
      for (const key of issue.keys) lines.push(`${[...issue.path, key].join('.')}: unknown key${where}. Remove it or check its spelling.`);
      continue;
    }
    const path = issue.path.map(String);
    if (kind === 'secrets') {
      const name = SECRET_ENV[path[0] as SecretKey] ?? path.join('.');
      const missing = valueAt(raw, path) === undefined;
      lines.push(missing ? `${name}: missing. Set the environment variable ${name}.` : `${name}: ${issue.message}.`);
      continue;
    }
    const field = path.join('.') || '(answers)';
    const value = valueAt(raw, path);
    if (value === undefined) {
      const why = issue.code === 'custom' ? ` (${issue.message})` : '';
      const how = FLAG_FOR[field] ? `Pass ${FLAG_FOR[field]} or add "${field}"` : `Add "${field}"`;
      lines.push(`${field}: missing${why}. ${how} to the answers file (--config).`);
    } else {
      lines.push(`${field}: ${JSON.stringify(value)} ${issue.message}.`);
    }
  }
  return lines;
}

function valueAt(root: unknown, path: string[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
