// Gathers answers from their sources (saved state < answers file < flags) and secrets from
// the environment, then validates both with the one schema. Nothing here touches a cloud.
import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { answersSchema, secretsSchema, SECRET_ENV, type Answers, type SecretKey, type Secrets } from './schema.js';

export type RawAnswers = Record<string, unknown>;

/** Far above any real answers file, which is a few KB. */
const MAX_FILE_BYTES = 1024 * 1024;
/** The answers nest 4 levels at most (auth.auth0.domain); deeper is not an answers file. */
const MAX_DEPTH = 16;

export async function readAnswersFile(file: string): Promise<RawAnswers> {
  let text: string;
  try {
    // Looked at before it is opened: a FIFO would block the open, a huge file would be read whole.
    const info = await stat(file);
    if (!info.isFile()) {
      throw new UsageError(`The answers file ${file} is ${info.isDirectory() ? 'a directory' : 'not a regular file (a pipe, socket or device)'}. Give --config the path of a JSON file.`);
    }
    if (info.size > MAX_FILE_BYTES) {
      throw new UsageError(`The answers file ${file} is ${(info.size / 1024 / 1024).toFixed(1)} MB; an answers file may be at most 1 MB. Check the --config path.`);
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read the answers file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Check the --config path.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The answers file ${file} is not valid JSON: ${whereJsonFails(text, (error as Error).message)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`The answers file ${file} must hold a JSON object, like {"cloud": "aws", ...}.`);
  }
  if (nestsDeeperThan(parsed, MAX_DEPTH)) {
    throw new UsageError(`The answers file ${file} nests objects or arrays more than ${MAX_DEPTH} levels deep; answers go 4 levels deep at most. Check the file.`);
  }
  return parsed as RawAnswers;
}

/** V8's words for a JSON syntax error, with the line and column it is at and that line, marked. */
function whereJsonFails(text: string, message: string): string {
  const reason = message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  const offset = jsonErrorOffset(text, message);
  if (offset === undefined) return reason;
  const before = text.slice(0, offset).split('\n');
  const line = before.length;
  const column = before.at(-1)!.length + 1;
  const shown = (text.split('\n')[line - 1] ?? '').slice(0, 120);
  const gutter = ' '.repeat(String(line).length);
  return `line ${line}, column ${column}: ${reason}\n  ${line} | ${shown}\n  ${gutter} | ${' '.repeat(Math.min(column - 1, 120))}^`;
}

/** Where the error is: V8 says so for most errors; for an unexpected token, the shortest prefix that fails on it ends there. */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (!message.startsWith('Unexpected token')) return undefined;
  const failsWithin = (prefix: string) => {
    try {
      JSON.parse(prefix);
      return false;
    } catch (error) {
      const reported = /at position (\d+)/.exec((error as Error).message);
      return (error as Error).message.startsWith('Unexpected token') || (reported !== null && Number(reported[1]) < prefix.length);
    }
  };
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsWithin(text.slice(0, middle))) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

/** Without recursion: a hostile file 10,000 levels deep must not exhaust the stack here or later. */
function nestsDeeperThan(root: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
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
      lines.push(`${field}: ${shown(value)} ${issue.message}.`);
    }
  }
  return lines;
}

/** The bad value as given, cut short when long (a 1 MB username would flood the terminal). */
function shown(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length <= 160 ? json : `${json.slice(0, 100)}… (${json.length} characters)`;
}

function valueAt(root: unknown, path: string[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** "aws.subnets", "sizing.api": where two answer documents differ, two levels deep. */
export function changedPaths(from: Record<string, unknown>, to: Record<string, unknown>, prefix = '', depth = 2): string[] {
  return [...new Set([...Object.keys(from), ...Object.keys(to)])].sort().flatMap((key) => {
    const [a, b] = [from[key], to[key]];
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
    return depth > 1 && isObject(a) && isObject(b) ? changedPaths(a, b, `${prefix}${key}.`, depth - 1) : [`${prefix}${key}`];
  });
}
