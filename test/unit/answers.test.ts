import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeAnswers, readAnswersFile, secretsFromEnv, validateAnswers, validateSecrets } from '../../source/answers/load.js';
import { deriveSettings } from '../../source/answers/settings.js';
import type { RawAnswers } from '../../source/answers/load.js';
import type { SecretKey } from '../../source/answers/schema.js';
import { UsageError } from '../../source/errors.js';
import { AUTH0, CANARY, SMTP, awsAnswers, awsAnswersRaw, azureAnswersRaw, gcpAnswersRaw, type RawEdit } from './fixtures.js';

/** The UsageError a call throws; fails the test when it does not throw one. */
function usageErrorOf(call: () => unknown): UsageError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, but the call succeeded');
}

function answerProblems(edit: RawEdit): string[] {
  const raw = awsAnswersRaw();
  edit(raw);
  const error = usageErrorOf(() => validateAnswers(raw));
  expect(error.exitCode).toBe(2);
  return error.problems;
}

const FIVE: Pick<Record<SecretKey, string>, 'secret' | 'encryptionSecret' | 'mongoUri' | 'redisUri' | 'registryPassword'> = {
  secret: CANARY.secret,
  encryptionSecret: CANARY.encryptionSecret,
  mongoUri: CANARY.mongoUri,
  redisUri: CANARY.redisUri,
  registryPassword: CANARY.registryPassword,
};

describe('validateAnswers', () => {
  it('accepts the documented AWS answers and fills in the defaults', () => {
    const answers = awsAnswers((raw) => delete raw.registry.server);
    expect(answers.registry).toEqual({ server: 'harbor.integration.app', username: 'robot$core+acme' });
    expect(answers.auth).toEqual({ mode: 'password' });
    expect(answers.storage).toEqual({});
    expect(answers.services).toEqual({});
    expect(answers.aws?.assignPublicIp).toBe(false);
    expect(answers.aws?.subnets).toEqual(['subnet-0123456789abcdef0']);
  });

  it('keeps a registry server that is given, with a port', () => {
    expect(awsAnswers((raw) => (raw.registry.server = 'harbor.getmembrane.com:8443')).registry.server).toBe('harbor.getmembrane.com:8443');
  });

  it('fills in the default SMTP port', () => {
    const answers = awsAnswers((raw) => (raw.auth = structuredClone(SMTP)));
    expect(answers.auth.mode === 'password' && answers.auth.smtp?.port).toBe(587);
  });

  it('reports an unknown top-level key by name', () => {
    const problems = answerProblems((raw) => (raw.domian = 'example.com'));
    expect(problems).toEqual(['domian: unknown key. Remove it or check its spelling.']);
  });

  it('reports an unknown nested key with its full path and where it is', () => {
    const problems = answerProblems((raw) => (raw.aws.subnetz = ['subnet-0123456789abcdef0']));
    expect(problems).toEqual(['aws.subnetz: unknown key in "aws". Remove it or check its spelling.']);
  });

  it('reports a secret put in the answers file as an unknown key, without echoing its value', () => {
    const problems = answerProblems((raw) => (raw.registry.password = CANARY.registryPassword));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^registry\.password: unknown key in "registry"/);
    expect(problems.join('\n')).not.toContain(CANARY.registryPassword);
  });

  it('requires the aws block when cloud is aws', () => {
    const problems = answerProblems((raw) => delete raw.aws);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^aws: missing/);
    expect(problems[0]).toContain('cloud is "aws"');
  });

  it('reports the missing aws block together with the other problems', () => {
    const problems = answerProblems((raw) => {
      delete raw.aws;
      raw.domain = 'https://example.com';
    });
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^aws: missing/), expect.stringMatching(/^domain: "https:\/\/example\.com"/)]));
  });

  it('asks for no cloud block when the cloud itself is not valid', () => {
    const problems = answerProblems((raw) => {
      delete raw.aws;
      raw.cloud = 'gcpp';
    });
    expect(problems).toEqual([expect.stringMatching(/^cloud: "gcpp" /)]);
  });

  it('requires the block of the cloud that was chosen, not another one', () => {
    const problems = answerProblems((raw) => (raw.cloud = 'gcp'));
    expect(problems).toEqual([expect.stringMatching(/^gcp: missing \(is required when cloud is "gcp"\)/)]);
  });

  it('does not require the block of a cloud that was not chosen', () => {
    expect(awsAnswers().azure).toBeUndefined();
    expect(awsAnswers().gcp).toBeUndefined();
  });

  it('reports missing subnets by path', () => {
    const problems = answerProblems((raw) => delete raw.aws.subnets);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^aws\.subnets: missing\. Add "aws\.subnets" to the answers file/);
  });

  it('points a missing top-level answer at its flag', () => {
    const problems = answerProblems((raw) => delete raw.domain);
    expect(problems).toEqual(['domain: missing. Pass --domain or add "domain" to the answers file (--config).']);
  });

  it.each([
    ['domain', (raw: Record<string, any>) => (raw.domain = 'https://example.com'), '"https://example.com"'],
    ['cloud', (raw: Record<string, any>) => (raw.cloud = 'gcpp'), '"gcpp"'],
    ['aws.subnets', (raw: Record<string, any>) => (raw.aws.subnets = []), '[]'],
    ['aws.subnets.0', (raw: Record<string, any>) => (raw.aws.subnets = ['subnet-xyz']), '"subnet-xyz"'],
    ['aws.region', (raw: Record<string, any>) => (raw.aws.region = 'US East'), '"US East"'],
    ['imageTag', (raw: Record<string, any>) => (raw.imageTag = 'latest tag'), '"latest tag"'],
    ['aws.targetGroups.ui', (raw: Record<string, any>) => (raw.aws.targetGroups.ui = 'arn:aws:iam::123456789012:role/x'), '"arn:aws:iam::123456789012:role/x"'],
    ['services.api.replicas', (raw: Record<string, any>) => (raw.services = { api: { replicas: 0 } }), '0'],
  ])('names %s and the bad value', (field, edit, shown) => {
    const problems = answerProblems(edit);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${field}: ${shown} `)).toBe(true);
  });

  it('reports every problem at once, one line each, naming field and value', () => {
    const problems = answerProblems((raw) => {
      raw.domain = 'https://example.com';
      raw.aws.subnets = [];
      raw.aws.subnetz = [];
      raw.imageTag = 'a b';
    });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^domain: "https:\/\/example\.com" must be a bare DNS name/),
        expect.stringMatching(/^aws\.subnets: \[\] needs at least one subnet id/),
        expect.stringMatching(/^aws\.subnetz: unknown key/),
        expect.stringMatching(/^imageTag: "a b" /),
      ]),
    );
  });

  it('takes services.<id>.maxReplicas at or above replicas (its own or the default 2)', () => {
    expect(validateAnswers({ ...awsAnswersRaw(), services: { api: { replicas: 3, maxReplicas: 3 }, 'queued-worker': { maxReplicas: 80 } } }).services).toMatchObject({ api: { maxReplicas: 3 } });
    expect(answerProblems((raw) => (raw.services = { api: { replicas: 4, maxReplicas: 3 } }))).toEqual([
      'services.api.maxReplicas: 3 is below services.api.replicas (4): replicas is the fewest instances, maxReplicas the most.',
    ]);
    expect(answerProblems((raw) => (raw.services = { ui: { maxReplicas: 1 } }))).toEqual([
      'services.ui.maxReplicas: 1 is below services.ui.replicas (2): replicas is the fewest instances, maxReplicas the most.',
    ]);
  });

  it('refuses a maximum for the orchestrator other than its replicas: it never scales', () => {
    expect(answerProblems((raw) => (raw.services = { orchestrator: { maxReplicas: 4 } }))).toEqual([
      expect.stringMatching(/^services\.orchestrator\.maxReplicas: 4 must equal orchestrator's replicas \(2\): the orchestrator never scales/),
    ]);
    expect(validateAnswers({ ...awsAnswersRaw(), services: { orchestrator: { replicas: 3, maxReplicas: 3 } } }).services.orchestrator).toEqual({ replicas: 3, maxReplicas: 3 });
  });

  it('refuses one target group for two public services, naming the second', () => {
    const problems = answerProblems((raw) => (raw.aws.targetGroups.console = raw.aws.targetGroups.ui));
    expect(problems).toEqual([expect.stringMatching(/^aws\.targetGroups\.console: "arn:[^"]+membrane-ui[^"]+" is the same target group as ui; each public service needs its own/)]);
  });

  it('rejects an auth0 block without its settings, naming the path', () => {
    const problems = answerProblems((raw) => (raw.auth = { mode: 'auth0' }));
    expect(problems).toEqual([expect.stringMatching(/^auth\.auth0: missing/)]);
  });
});

const withSmtp = () => ({ ...awsAnswersRaw(), auth: structuredClone(SMTP) });
const withAuth0 = () => ({ ...awsAnswersRaw(), auth: structuredClone(AUTH0) });

/** Every string the answers take, with complete answers it belongs in and its length limit. */
const STRING_FIELDS: [string, () => Record<string, any>, number][] = [
  ['domain', awsAnswersRaw, 253],
  ['imageTag', awsAnswersRaw, 128],
  ['registry.server', awsAnswersRaw, 260],
  ['registry.username', awsAnswersRaw, 255],
  ['auth.smtp.host', withSmtp, 253],
  ['auth.smtp.user', withSmtp, 254],
  ['auth.smtp.from', withSmtp, 254],
  ['auth.auth0.domain', withAuth0, 253],
  ['auth.auth0.clientId', withAuth0, 256],
  ['storage.tmpBucket', awsAnswersRaw, 63],
  ['storage.connectorsBucket', awsAnswersRaw, 63],
  ['storage.staticBucket', awsAnswersRaw, 63],
  ['storage.staticUri', awsAnswersRaw, 2048],
  ['aws.region', awsAnswersRaw, 32],
  ['aws.cluster', awsAnswersRaw, 255],
  ['aws.subnets.0', awsAnswersRaw, 32],
  ['aws.securityGroups.0', awsAnswersRaw, 32],
  ['aws.executionRoleArn', awsAnswersRaw, 2048],
  ['aws.taskRoleArn', awsAnswersRaw, 2048],
  ['aws.targetGroups.api', awsAnswersRaw, 2048],
  ['aws.logGroup', awsAnswersRaw, 512],
  ['aws.namespace', awsAnswersRaw, 253],
  ['azure.subscription', azureAnswersRaw, 128],
  ['azure.resourceGroup', azureAnswersRaw, 90],
  ['azure.environment', azureAnswersRaw, 60],
  ['azure.location', azureAnswersRaw, 64],
  ['azure.keyVault', azureAnswersRaw, 24],
  ['azure.identity', azureAnswersRaw, 128],
  ['azure.storageAccount', azureAnswersRaw, 24],
  ['gcp.project', gcpAnswersRaw, 30],
  ['gcp.region', gcpAnswersRaw, 64],
  ['gcp.repository', gcpAnswersRaw, 63],
  ['gcp.serviceAccount', gcpAnswersRaw, 254],
  ['gcp.network', gcpAnswersRaw, 63],
  ['gcp.subnet', gcpAnswersRaw, 63],
];

/** The problems of `base` answers with `value` at the dotted `field`. */
function problemsWith(base: () => Record<string, any>, field: string, value: unknown): string[] {
  return answerProblems((raw) => {
    Object.assign(raw, base());
    const keys = field.split('.');
    let node = raw;
    for (const key of keys.slice(0, -1)) node = node[key] ??= {};
    node[keys.at(-1)!] = value;
  });
}

describe('option injection', () => {
  it.each(STRING_FIELDS)('refuses %s starting with "-", naming the field', (field, base) => {
    expect(problemsWith(base, field, '--debug')).toEqual([`${field}: "--debug" must not start with "-" (a CLI would read it as an option).`]);
  });
});

describe('bounds', () => {
  it.each(STRING_FIELDS)('bounds %s, showing a long value cut short', (field, base, max) => {
    const problems = problemsWith(base, field, 'a'.repeat(max + 1));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${field.replaceAll('.', '\\.')}: "a+("|… \\(${max + 3} characters\\)) must be at most ${max} characters\\.$`))]);
    expect(problems[0]!.length).toBeLessThan(300);
  });

  it('bounds every secret at 64 KB without showing it', () => {
    const huge = `canary-${'s'.repeat(64 * 1024)}`;
    const error = usageErrorOf(() => validateSecrets({ ...FIVE, registryPassword: huge }, undefined));
    expect(error.problems).toEqual(['MEMBRANE_REGISTRY_PASSWORD: must be at most 64 KB.']);
  });
});

describe('mergeAnswers', () => {
  it('lets later sources win, key by key in nested objects', () => {
    const file = { cloud: 'aws', domain: 'file.example.com', registry: { server: 'harbor.integration.app', username: 'robot$core+acme' } };
    const flags = { domain: 'flag.example.com', registry: { server: 'harbor.getmembrane.com' } };
    expect(mergeAnswers(file, flags)).toEqual({
      cloud: 'aws',
      domain: 'flag.example.com',
      registry: { server: 'harbor.getmembrane.com', username: 'robot$core+acme' },
    });
  });

  it('replaces arrays whole instead of merging them', () => {
    const merged = mergeAnswers({ aws: { subnets: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'], region: 'us-east-1' } }, { aws: { subnets: ['subnet-cccccccc'] } });
    expect(merged).toEqual({ aws: { subnets: ['subnet-cccccccc'], region: 'us-east-1' } });
  });

  it('ignores undefined values (flags not given) and undefined sources', () => {
    const merged = mergeAnswers({ cloud: 'aws', domain: 'example.com' }, undefined, { cloud: undefined, domain: undefined, imageTag: '2025-09-19' });
    expect(merged).toEqual({ cloud: 'aws', domain: 'example.com', imageTag: '2025-09-19' });
  });

  it('does not change its sources', () => {
    const state = { registry: { username: 'robot$core+old' } };
    const file = { registry: { username: 'robot$core+acme' } };
    mergeAnswers(state, file);
    expect(state).toEqual({ registry: { username: 'robot$core+old' } });
    expect(file).toEqual({ registry: { username: 'robot$core+acme' } });
  });

  it('yields answers that validate when saved state, file and flags together are complete', () => {
    const { aws, ...rest } = awsAnswersRaw();
    const merged: RawAnswers = mergeAnswers({ aws }, { ...rest, domain: 'old.example.com' }, { domain: 'new.example.com' });
    expect(validateAnswers(merged).domain).toBe('new.example.com');
  });
});

describe('readAnswersFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'answers-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileWith(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  async function rejection(path: string): Promise<UsageError> {
    const error = await readAnswersFile(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }

  it('returns the object a valid file holds', async () => {
    const path = await fileWith('ok.json', JSON.stringify(awsAnswersRaw()));
    expect(await readAnswersFile(path)).toEqual(awsAnswersRaw());
  });

  it('names the path and the reason when the file is missing', async () => {
    const path = join(dir, 'nope', 'answers.json');
    const error = await rejection(path);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(path);
    expect(error.message).toContain('ENOENT');
  });

  it('names the path when the file is not JSON', async () => {
    const path = await fileWith('bad.json', '{"cloud": "aws",}');
    const error = await rejection(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it.each([
    ['a trailing comma', '{\n  "cloud": "aws",\n  "domain": "example.com",\n}\n', 4, 1, '}'],
    ['a value cut short', '{\n  "cloud": "aws",\n  "imageTag": tru\n}', 3, 18, '  "imageTag": tru'],
    ['a missing comma', '{\n  "cloud": "aws"\n  "domain": "example.com"\n}', 3, 3, '  "domain": "example.com"'],
  ])('points at the line and column of %s, showing the line', async (_, text, line, column, shown) => {
    const error = await rejection(await fileWith('syntax.json', text));
    expect(error.message).toContain(`is not valid JSON: line ${line}, column ${column}: `);
    expect(error.message).toContain(`\n  ${line} | ${shown}\n    | ${' '.repeat(column - 1)}^`);
    expect(error.message).not.toMatch(/position \d+/);
  });

  it.each([
    ['a partition that does not exist', (raw: Record<string, any>) => (raw.aws.taskRoleArn = 'arn:awsfoo:iam::123456789012:role/membrane-task-role'),
      'aws.taskRoleArn: "arn:awsfoo:iam::123456789012:role/membrane-task-role" must be an IAM role ARN'],
    ['another partition than the region\'s', (raw: Record<string, any>) => (raw.aws.executionRoleArn = 'arn:aws-cn:iam::123456789012:role/ecsTaskExecutionRole'),
      'aws.executionRoleArn: "arn:aws-cn:iam::123456789012:role/ecsTaskExecutionRole" is in partition aws-cn, but region us-east-1 is in aws'],
    ['a target group of another region', (raw: Record<string, any>) => (raw.aws.targetGroups.ui = raw.aws.targetGroups.ui.replace('us-east-1', 'eu-west-1')),
      'is in region eu-west-1, not in aws.region us-east-1'],
    ['a role of another account', (raw: Record<string, any>) => (raw.aws.taskRoleArn = 'arn:aws:iam::999999999999:role/membrane-task-role'),
      'names accounts 123456789012, 999999999999: the roles and target groups must be of the account the services run in'],
  ])('refuses an ARN ECS would not take: %s', (_, edit, expected) => {
    expect(answerProblems(edit).join('\n')).toContain(expected);
  });

  it('keeps DNS names lower case: the domain a user typed in capitals gives the same URLs', () => {
    const settings = deriveSettings('default', validateAnswers({ ...awsAnswersRaw(), domain: 'Acme.Example.COM', dns: { zone: 'Example.COM' } }));
    expect(settings.urls.api).toBe('https://api.acme.example.com');
    expect(settings.answers.dns?.zone).toBe('example.com');
  });

  it('takes a zone by its DNS name or by a Cloud DNS managed zone name, and nothing else', () => {
    expect(validateAnswers({ ...awsAnswersRaw(), dns: { zone: 'Example-COM' } }).dns?.zone).toBe('example-com');
    expect(answerProblems((raw) => (raw.dns = { zone: 'https://example.com' }))).toEqual([expect.stringContaining('dns.zone: "https://example.com" must be the zone\'s DNS name like example.com')]);
  });

  it('refuses a file over 1 MB, naming it and the limit', async () => {
    const path = await fileWith('huge.json', JSON.stringify({ ...awsAnswersRaw(), padding: 'x'.repeat(1024 * 1024) }));
    const error = await rejection(path);
    expect(error.message).toBe(`The answers file ${path} is 1.0 MB; an answers file may be at most 1 MB. Check the --config path.`);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const path = join(dir, 'answers.fifo');
    execFileSync('mkfifo', [path]);
    const error = await rejection(path);
    expect(error.message).toBe(`The answers file ${path} is not a regular file (a pipe, socket or device). Give --config the path of a JSON file.`);
  });

  it('refuses a directory', async () => {
    const error = await rejection(dir);
    expect(error.message).toBe(`The answers file ${dir} is a directory. Give --config the path of a JSON file.`);
  });

  it.each([
    ['objects', `{"cloud": "aws", "aws": ${'{"a": '.repeat(10_000)}1${'}'.repeat(10_000)}}`],
    ['arrays', `{"cloud": "aws", "domain": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
  ])('refuses %s nested 10,000 levels deep with a clear error', async (what, text) => {
    const path = await fileWith(`deep-${what}.json`, text);
    const error = await rejection(path);
    expect(error.message).toBe(`The answers file ${path} nests objects or arrays more than 16 levels deep; answers go 4 levels deep at most. Check the file.`);
  });

  it.each([
    ['an array', '[{"cloud": "aws"}]'],
    ['null', 'null'],
    ['a string', '"aws"'],
  ])('names the path when the file holds %s', async (_what, text) => {
    const path = await fileWith(`not-object-${_what.replace(/\s/g, '-')}.json`, text);
    const error = await rejection(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/must hold a JSON object/);
  });
});

describe('secretsFromEnv', () => {
  it('reads each secret from its MEMBRANE_* variable and nothing else', () => {
    const secrets = secretsFromEnv({ MEMBRANE_SECRET: 'a', MEMBRANE_REDIS_URI: 'redis://r', MEMBRANE_AUTH0_CLIENT_SECRET: 'c', SECRET: 'not-ours', PATH: '/bin' });
    expect(secrets).toEqual({ secret: 'a', redisUri: 'redis://r', auth0ClientSecret: 'c' });
  });
});

describe('validateSecrets', () => {
  function secretProblems(raw: Partial<Record<SecretKey, string>>, answersEdit?: RawEdit | null): string[] {
    const answers = answersEdit === null ? undefined : awsAnswers(answersEdit);
    const error = usageErrorOf(() => validateSecrets(raw, answers));
    expect(error.exitCode).toBe(2);
    return error.problems;
  }

  it('accepts the five secrets of a password-mode deployment', () => {
    expect(validateSecrets({ ...FIVE }, awsAnswers())).toEqual(FIVE);
  });

  it('names every missing secret by its environment variable', () => {
    const problems = secretProblems({});
    expect(problems).toEqual([
      'MEMBRANE_SECRET: missing. Set the environment variable MEMBRANE_SECRET.',
      'MEMBRANE_ENCRYPTION_SECRET: missing. Set the environment variable MEMBRANE_ENCRYPTION_SECRET.',
      'MEMBRANE_MONGO_URI: missing. Set the environment variable MEMBRANE_MONGO_URI.',
      'MEMBRANE_REDIS_URI: missing. Set the environment variable MEMBRANE_REDIS_URI.',
      'MEMBRANE_REGISTRY_PASSWORD: missing. Set the environment variable MEMBRANE_REGISTRY_PASSWORD.',
    ]);
  });

  it('names only the secret that is missing', () => {
    const { encryptionSecret: _omitted, ...four } = FIVE;
    expect(secretProblems(four)).toEqual(['MEMBRANE_ENCRYPTION_SECRET: missing. Set the environment variable MEMBRANE_ENCRYPTION_SECRET.']);
  });

  it('rejects an empty secret without calling it missing', () => {
    expect(secretProblems({ ...FIVE, secret: '' })).toEqual([expect.stringMatching(/^MEMBRANE_SECRET: must not be empty/)]);
  });

  it('rejects malformed Mongo and Redis URIs without showing their values', () => {
    const badMongo = 'postgres://canary-user:canary-mongo-LEAK-3f9@db.example.net/x';
    const badRedis = 'http://canary-redis-LEAK-8e1@cache.example.net:6379';
    const error = usageErrorOf(() => validateSecrets({ ...FIVE, mongoUri: badMongo, redisUri: badRedis }, awsAnswers()));
    expect(error.problems).toEqual([
      expect.stringMatching(/^MEMBRANE_MONGO_URI: must be a MongoDB connection string/),
      expect.stringMatching(/^MEMBRANE_REDIS_URI: must be a Redis connection string/),
    ]);
    const everything = [error.message, ...error.problems, JSON.stringify(error), String(error.stack)].join('\n');
    for (const leak of [badMongo, badRedis, 'canary-mongo-LEAK-3f9', 'canary-redis-LEAK-8e1', 'canary-user']) expect(everything).not.toContain(leak);
  });

  it('never shows any secret value in its problems, whatever else is wrong', () => {
    const error = usageErrorOf(() => validateSecrets({ ...FIVE, mongoUri: 'mysql://x', secret: '' }, awsAnswers((raw) => (raw.auth = structuredClone(AUTH0)))));
    const everything = [error.message, ...error.problems].join('\n');
    for (const value of Object.values(CANARY)) expect(everything).not.toContain(value);
  });

  it('requires MEMBRANE_AUTH0_CLIENT_SECRET in auth0 mode', () => {
    const problems = secretProblems({ ...FIVE }, (raw) => (raw.auth = structuredClone(AUTH0)));
    expect(problems).toEqual([expect.stringMatching(/^MEMBRANE_AUTH0_CLIENT_SECRET: missing/)]);
    expect(validateSecrets({ ...FIVE, auth0ClientSecret: CANARY.auth0ClientSecret }, awsAnswers((raw) => (raw.auth = structuredClone(AUTH0)))).auth0ClientSecret).toBe(
      CANARY.auth0ClientSecret,
    );
  });

  it('does not ask for the auth0 secret in password mode', () => {
    expect(() => validateSecrets({ ...FIVE }, awsAnswers())).not.toThrow();
  });

  it('requires MEMBRANE_SMTP_PASSWORD when SMTP is configured', () => {
    const problems = secretProblems({ ...FIVE }, (raw) => (raw.auth = structuredClone(SMTP)));
    expect(problems).toEqual([expect.stringMatching(/^MEMBRANE_SMTP_PASSWORD: missing/)]);
  });

  it('still checks the five without answers, and then asks for nothing else', () => {
    const problems = secretProblems({ secret: CANARY.secret, mongoUri: 'nope' }, null);
    expect(problems).toEqual([
      'MEMBRANE_ENCRYPTION_SECRET: missing. Set the environment variable MEMBRANE_ENCRYPTION_SECRET.',
      expect.stringMatching(/^MEMBRANE_MONGO_URI: must be a MongoDB connection string/),
      'MEMBRANE_REDIS_URI: missing. Set the environment variable MEMBRANE_REDIS_URI.',
      'MEMBRANE_REGISTRY_PASSWORD: missing. Set the environment variable MEMBRANE_REGISTRY_PASSWORD.',
    ]);
    expect(validateSecrets({ ...FIVE }, undefined)).toEqual(FIVE);
  });
});
