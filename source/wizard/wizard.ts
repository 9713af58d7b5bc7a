// The interactive questions, in the order a platform engineer thinks about a deployment.
// Each answer is checked as it is typed against the same zod schema as the answers file.
// Only what is missing or invalid is asked, unless this is a fresh, full session.
import { randomBytes } from 'node:crypto';
import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import type { z } from 'zod';
import type { RawAnswers } from '../answers/load.js';
import { answersSchema, CLOUDS, SECRET_ENV, secretsSchema, type Cloud, type SecretKey } from '../answers/schema.js';
import type { Choice, Discoveries } from '../clouds/discovery.js';
import { CLOUD_MODULES } from '../clouds/index.js';
import type { AnswerPath, Preference, QuestionKit } from '../clouds/questions.js';

/** `aws` and the like: each cloud's lookups (Discoveries), for its own questions. */
export interface WizardInput extends Discoveries {
  /** Answers already given (saved state, file, flags): not asked again when valid. */
  given: RawAnswers;
  /** Pre-filled suggestions for what is asked. */
  defaults: RawAnswers;
  secrets: Partial<Record<SecretKey, string>>;
  /** Secrets the user may keep by pressing Enter (the demo's placeholders). */
  secretDefaults?: Partial<Record<SecretKey, string>>;
  /** Secrets the cloud already holds from an earlier run: not asked again. */
  stored: SecretKey[];
  /** The clouds to offer, and why when it is not all of them (the demo simulates AWS alone). */
  clouds?: { offered: readonly Cloud[]; why: string };
  /** Ask the optional questions too (storage, auth): nothing was given up front. */
  full: boolean;
  say(line: string): void;
  /** Where prompts read keys and draw (tests pass streams); the terminal by default. */
  context?: PromptContext;
}

export interface PromptContext {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export interface WizardResult {
  answers: RawAnswers;
  secrets: Partial<Record<SecretKey, string>>;
}

type Path = AnswerPath;

function valueAt(root: RawAnswers, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as RawAnswers)[key] : undefined), root);
}

function setAt(root: RawAnswers, path: Path, value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as RawAnswers;
  }
  node[path.at(-1)!] = value;
}

/** An inquirer validate function from a zod schema: true, or the schema's own message. */
function validateWith(schema: z.ZodType) {
  return (value: unknown) => {
    const result = schema.safeParse(value);
    return result.success || `It ${result.error.issues[0]?.message ?? 'is not valid'}.`;
  };
}

/** The prompts, bound to one place to read keys from and draw on. */
function promptsFor(context?: PromptContext) {
  const bind = <F extends (config: never, context?: PromptContext) => unknown>(prompt: F) =>
    ((config: Parameters<F>[0]) => prompt(config, context)) as unknown as F;
  return { input: bind(input), select: bind(select), checkbox: bind(checkbox), confirm: bind(confirm), password: bind(password) };
}

type Prompts = ReturnType<typeof promptsFor>;

export async function runWizard(input_: WizardInput): Promise<WizardResult> {
  const ask = promptsFor(input_.context);
  const answers: RawAnswers = structuredClone(input_.given);
  const secrets = { ...input_.secrets };
  const { say, full } = input_;
  const suggested = (path: Path) => valueAt(answers, path) ?? valueAt(input_.defaults, path);
  const suggestedText = (path: Path) => {
    const value = suggested(path);
    return typeof value === 'string' ? value : undefined;
  };
  /** Ask when the current value is missing or fails its schema (or always, in a full session). */
  const needs = (path: Path, schema: z.ZodType, always = full) => always || !schema.safeParse(valueAt(answers, path)).success;

  async function text(path: Path, schema: z.ZodType, message: string, fallback?: string): Promise<void> {
    if (!needs(path, schema)) return;
    setAt(answers, path, (await ask.input({ message, default: suggestedText(path) ?? fallback, validate: validateWith(schema) })).trim());
  }

  /** A choice list from the cloud when it has one; typed input when the lookup fails or is empty. */
  async function choose(path: Path, schema: z.ZodType, message: string, lookup: () => Promise<Choice[]>, prefer?: Preference): Promise<void> {
    if (!needs(path, schema)) return;
    const choices = await lookup().catch(() => []);
    if (choices.length === 0) return text(path, schema, message);
    const current = suggestedText(path);
    const fitting = choices.some((c) => c.value === current) ? current : prefer && best(choices, prefer)?.value;
    setAt(answers, path, await ask.select({ message, choices, default: fitting, pageSize: 12 }));
  }

  async function secret(key: SecretKey, message: string, offerToGenerate = false): Promise<void> {
    const schema = secretsSchema.shape[key];
    if (secrets[key] === undefined ? input_.stored.includes(key) : schema.safeParse(secrets[key]).success) return;
    if (offerToGenerate) {
      const how = await ask.select({
        message,
        choices: [
          { value: 'generate', name: 'Generate a strong random value (32 bytes from a CSPRNG)' },
          { value: 'type', name: 'Type or paste my own' },
        ],
      });
      if (how === 'generate') {
        secrets[key] = randomBytes(32).toString('base64');
        say(`  Generated. It is stored only in the cloud's secret store; keep ${SECRET_ENV[key]} from there for later runs.`);
        return;
      }
    }
    const fallback = input_.secretDefaults?.[key];
    const value = await ask.password({
      message: fallback ? `${message} (Enter keeps the demo value)` : message,
      mask: '•',
      validate: (typed) => validateWith(schema)(typed || fallback),
    });
    secrets[key] = value || fallback;
  }

  // 1. Where
  const offered = input_.clouds?.offered ?? CLOUDS;
  if (needs(['cloud'], answersSchema.shape.cloud) && offered.length === 1) {
    setAt(answers, ['cloud'], offered[0]);
    say(`  Cloud: ${CLOUD_MODULES[offered[0]!].title} (${input_.clouds?.why})`);
  } else if (needs(['cloud'], answersSchema.shape.cloud)) {
    setAt(answers, ['cloud'], await ask.select({
      message: 'Which cloud?',
      choices: offered.map((cloud) => ({ value: cloud, name: CLOUD_MODULES[cloud].title })),
    }));
  }

  // 2. Images
  const registry = answersSchema.shape.registry.shape;
  await text(['registry', 'server'], registry.server.unwrap(), 'Registry server (older accounts: harbor.integration.app, newer: harbor.getmembrane.com)');
  await text(['registry', 'username'], registry.username, 'Registry robot username (e.g. robot$core+yourcompany)');
  await secret('registryPassword', 'Registry robot password');

  // 3. Where users reach it
  const domainWasAsked = needs(['domain'], answersSchema.shape.domain);
  await text(['domain'], answersSchema.shape.domain, 'Domain (services get api., ui., console. and static. under it)');
  if (domainWasAsked) {
    const domain = valueAt(answers, ['domain']);
    say(`  → https://api.${domain}  https://ui.${domain}  https://console.${domain}  https://static.${domain}`);
  }
  await text(['imageTag'], answersSchema.shape.imageTag, 'Membrane image tag (version), e.g. 2025-09-19');

  // 4. Secrets and data stores
  await secret('secret', 'SECRET (signs JWT tokens)', true);
  await secret('encryptionSecret', 'ENCRYPTION_SECRET (encrypts stored credentials)', true);
  await secret('mongoUri', 'MongoDB connection string (mongodb+srv://…)');
  await secret('redisUri', 'Redis connection string (redis:// or rediss://…)');

  // 5. Optional: storage and authentication, asked in a full session only
  if (full && valueAt(answers, ['storage']) === undefined) {
    const slug = `membrane-${String(valueAt(answers, ['domain'])).replaceAll('.', '-')}`;
    const keep = await ask.confirm({ message: `Use the default buckets (${slug}-tmp, -connectors, -static) and https://static.${valueAt(answers, ['domain'])}?`, default: true });
    if (!keep) {
      const storage = answersSchema.shape.storage.unwrap().shape;
      await text(['storage', 'tmpBucket'], storage.tmpBucket.unwrap(), 'Temporary files bucket');
      await text(['storage', 'connectorsBucket'], storage.connectorsBucket.unwrap(), 'Connectors bucket');
      await text(['storage', 'staticBucket'], storage.staticBucket.unwrap(), 'Static files bucket');
      await text(['storage', 'staticUri'], storage.staticUri.unwrap(), 'Static files URL (the CDN in front of the static bucket)');
    }
  }
  if (full && valueAt(answers, ['auth']) === undefined) await askAuth(ask, answers, text, secret);

  // 6. The cloud's own answers
  const kit: QuestionKit = {
    prompts: ask,
    say,
    get: (path) => valueAt(answers, path),
    set: (path, value) => setAt(answers, path, value),
    suggested,
    needs,
    validateWith,
    text,
    choose,
  };
  await CLOUD_MODULES[valueAt(answers, ['cloud']) as Cloud].ask(kit, input_);

  return { answers, secrets };
}

/** The first of the choices that fit best, if any fits at all: Enter then takes what the question is for, not whatever the cloud listed first. */
function best(choices: Choice[], prefer: Preference): Choice | undefined {
  return choices.reduce<{ choice?: Choice; score: number }>((top, choice) => {
    const score = prefer(choice);
    return score > top.score ? { choice, score } : top;
  }, { score: 0 }).choice;
}

type Text = QuestionKit['text'];
type Secret = (key: SecretKey, message: string, offerToGenerate?: boolean) => Promise<void>;

async function askAuth(ask: Prompts, answers: RawAnswers, text: Text, secret: Secret): Promise<void> {
  const mode = await ask.select({
    message: 'How do people sign in to the console?',
    choices: [
      { value: 'password', name: 'Username and password (built in, no external service)' },
      { value: 'auth0', name: 'Auth0 (SSO, MFA, social logins)' },
    ],
  });
  setAt(answers, ['auth', 'mode'], mode);
  if (mode === 'auth0') {
    await text(['auth', 'auth0', 'domain'], answersSchema.shape.auth.unwrap().options[1].shape.auth0.shape.domain, 'Auth0 domain (your-tenant.auth0.com)');
    await text(['auth', 'auth0', 'clientId'], answersSchema.shape.auth.unwrap().options[1].shape.auth0.shape.clientId, 'Auth0 client ID');
    await secret('auth0ClientSecret', 'Auth0 client secret');
    return;
  }
  if (!(await ask.confirm({ message: 'Send email (invitations, password resets) through SMTP?', default: false }))) return;
  const smtp = answersSchema.shape.auth.unwrap().options[0].shape.smtp.unwrap().shape;
  await text(['auth', 'smtp', 'host'], smtp.host, 'SMTP host');
  const port = await ask.input({ message: 'SMTP port', default: '587', validate: (value) => validateWith(smtp.port)(Number(value)) });
  setAt(answers, ['auth', 'smtp', 'port'], Number(port));
  await text(['auth', 'smtp', 'user'], smtp.user, 'SMTP user');
  await text(['auth', 'smtp', 'from'], smtp.from, 'Send email as (noreply@yourdomain.com)');
  await secret('smtpPassword', 'SMTP password');
}
