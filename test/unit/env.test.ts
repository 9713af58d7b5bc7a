import { describe, expect, it } from 'vitest';
import { deriveSettings, sizingProblems } from '../../source/answers/settings.js';
import { fargateSizeProblem } from '../../source/clouds/aws/documents.js';
import { buildServiceEnvironment, requiredSecrets, secretReaders } from '../../source/membrane/env.js';
import { SERVICES, SERVICE_IDS, serviceSpec, type ServiceId } from '../../source/membrane/services.js';
import { AUTH0, CLOUD_ENV, SMTP, awsAnswers, awsSettings } from './fixtures.js';

const MODE_FLAGS = ['IS_API', 'IS_INSTANT_TASKS_WORKER', 'IS_QUEUED_TASKS_WORKER', 'IS_ORCHESTRATOR'];
const ENGINE_SECRET_VARS = ['SECRET', 'ENCRYPTION_SECRET', 'MONGO_URI', 'REDIS_URI'];
const ENGINE: Record<string, string> = {
  orchestrator: 'IS_ORCHESTRATOR',
  'queued-worker': 'IS_QUEUED_TASKS_WORKER',
  'instant-worker': 'IS_INSTANT_TASKS_WORKER',
  api: 'IS_API',
};

const envOf = (id: ServiceId, settings = awsSettings()) => buildServiceEnvironment(serviceSpec(id), settings, CLOUD_ENV);
const secretVars = (id: ServiceId, settings = awsSettings()) => envOf(id, settings).secrets.map((ref) => ref.env);

describe('buildServiceEnvironment', () => {
  it.each(SERVICE_IDS)('%s listens on port 5000 in production mode', (id) => {
    const { env } = envOf(id);
    expect(env.PORT).toBe('5000');
    expect(env.NODE_ENV).toBe('production');
  });

  it.each(SERVICE_IDS)('%s sets at most its own mode flag, to 1', (id) => {
    const { env } = envOf(id);
    const flags = MODE_FLAGS.filter((flag) => flag in env);
    expect(flags).toEqual(ENGINE[id] ? [ENGINE[id]] : []);
    if (ENGINE[id]) expect(env[ENGINE[id]!]).toBe('1');
  });

  it('gives the custom code runner only its port: no URLs, no storage, no secrets', () => {
    expect(envOf('custom-code-runner')).toEqual({ env: { NODE_ENV: 'production', PORT: '5000' }, secrets: [] });
  });

  it('points the ui at the API and gives it no secrets', () => {
    expect(envOf('ui')).toEqual({ env: { NODE_ENV: 'production', PORT: '5000', NEXT_PUBLIC_ENGINE_URI: 'https://api.example.com' }, secrets: [] });
  });

  it('gives the console its own, the API and the UI URLs, and no secrets', () => {
    const { env, secrets } = envOf('console');
    expect(env).toEqual({
      NODE_ENV: 'production',
      PORT: '5000',
      NEXT_PUBLIC_BASE_URI: 'https://console.example.com',
      NEXT_PUBLIC_ENGINE_API_URI: 'https://api.example.com',
      NEXT_PUBLIC_ENGINE_UI_URI: 'https://ui.example.com',
    });
    expect(secrets).toEqual([]);
  });

  it.each(Object.keys(ENGINE) as ServiceId[])('%s gets the engine settings from the answers and the cloud', (id) => {
    const { env } = envOf(id);
    expect(env).toMatchObject({
      BASE_URI: 'https://api.example.com',
      CUSTOM_CODE_RUNNER_URI: 'http://custom-code-runner.membrane.internal:5000',
      CUSTOM_CODE_MEMORY_LIMIT: '21474836480',
      STORAGE_PROVIDER: 's3',
      AWS_REGION: 'us-east-1',
      TMP_STORAGE_BUCKET: 'membrane-example-com-tmp',
      CONNECTORS_STORAGE_BUCKET: 'membrane-example-com-connectors',
      STATIC_STORAGE_BUCKET: 'membrane-example-com-static',
      BASE_STATIC_URI: 'https://static.example.com',
    });
    expect(Object.keys(env).filter((key) => key.startsWith('NEXT_PUBLIC_'))).toEqual([]);
  });

  it.each(Object.keys(ENGINE) as ServiceId[])('%s references the four engine secrets and never holds them as values', (id) => {
    const { env, secrets } = envOf(id);
    expect(secrets).toEqual([
      { env: 'SECRET', secret: 'secret' },
      { env: 'ENCRYPTION_SECRET', secret: 'encryptionSecret' },
      { env: 'MONGO_URI', secret: 'mongoUri' },
      { env: 'REDIS_URI', secret: 'redisUri' },
    ]);
    for (const name of ENGINE_SECRET_VARS) expect(env).not.toHaveProperty(name);
  });

  it.each(['custom-code-runner', 'ui', 'console'] as ServiceId[])('%s never sees an engine secret', (id) => {
    const { env, secrets } = envOf(id);
    expect(secrets).toEqual([]);
    for (const name of ENGINE_SECRET_VARS) expect(env).not.toHaveProperty(name);
  });

  it('leaves out the names the platform sets itself, and nothing else', () => {
    const reserved = buildServiceEnvironment(serviceSpec('api'), awsSettings(), { ...CLOUD_ENV, reservedEnv: ['PORT', 'K_SERVICE'] });
    const { PORT: port, ...rest } = envOf('api').env;
    expect(port).toBe('5000');
    expect(reserved).toEqual({ env: rest, secrets: envOf('api').secrets });
  });

  it('uses the storage settings the cloud gives', () => {
    const { env } = buildServiceEnvironment(serviceSpec('api'), awsSettings(), {
      customCodeRunnerUri: 'http://runner.internal:5000',
      storage: { STORAGE_PROVIDER: 'gcs', GOOGLE_CLOUD_PROJECT_ID: 'my-project' },
    });
    expect(env).toMatchObject({ STORAGE_PROVIDER: 'gcs', GOOGLE_CLOUD_PROJECT_ID: 'my-project', CUSTOM_CODE_RUNNER_URI: 'http://runner.internal:5000' });
    expect(env).not.toHaveProperty('AWS_REGION');
  });

  describe('in password mode (the default)', () => {
    it.each(SERVICE_IDS)('%s has no Auth0 or SMTP variables', (id) => {
      const { env, secrets } = envOf(id);
      expect(Object.keys(env).filter((key) => /AUTH0|SMTP|EMAIL_FROM/.test(key))).toEqual([]);
      expect(secrets.map((ref) => ref.env).filter((key) => /AUTH0|SMTP/.test(key))).toEqual([]);
    });
  });

  describe('in auth0 mode', () => {
    const settings = awsSettings((raw) => (raw.auth = structuredClone(AUTH0)));

    it.each(Object.keys(ENGINE) as ServiceId[])('%s gets the Auth0 domain and client id, and the client secret as a reference', (id) => {
      const { env, secrets } = envOf(id, settings);
      expect(env.AUTH0_DOMAIN).toBe('acme-tenant.auth0.com');
      expect(env.AUTH0_CLIENT_ID).toBe('client-id-123');
      expect(env).not.toHaveProperty('AUTH0_CLIENT_SECRET');
      expect(secrets).toContainEqual({ env: 'AUTH0_CLIENT_SECRET', secret: 'auth0ClientSecret' });
      expect(secrets).toHaveLength(5);
    });

    it('gives the console the public Auth0 settings and no secret', () => {
      const { env, secrets } = envOf('console', settings);
      expect(env.NEXT_PUBLIC_AUTH0_DOMAIN).toBe('acme-tenant.auth0.com');
      expect(env.NEXT_PUBLIC_AUTH0_CLIENT_ID).toBe('client-id-123');
      expect(secrets).toEqual([]);
    });

    it.each(['custom-code-runner', 'ui'] as ServiceId[])('%s still has nothing of Auth0', (id) => {
      const { env, secrets } = envOf(id, settings);
      expect(Object.keys(env).filter((key) => key.includes('AUTH0'))).toEqual([]);
      expect(secrets).toEqual([]);
    });

    it('stores the Auth0 client secret with the five', () => {
      expect(requiredSecrets(settings)).toEqual(['secret', 'encryptionSecret', 'mongoUri', 'redisUri', 'registryPassword', 'auth0ClientSecret']);
    });
  });

  describe('with SMTP', () => {
    const settings = awsSettings((raw) => (raw.auth = structuredClone(SMTP)));

    it.each(Object.keys(ENGINE) as ServiceId[])('%s gets the SMTP settings, the default port, and the password as a reference', (id) => {
      const { env, secrets } = envOf(id, settings);
      expect(env).toMatchObject({ SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587', SMTP_USER: 'mailer@example.com', EMAIL_FROM: 'noreply@example.com' });
      expect(env).not.toHaveProperty('SMTP_PASSWORD');
      expect(secrets.at(-1)).toEqual({ env: 'SMTP_PASSWORD', secret: 'smtpPassword' });
      expect(Object.keys(env).filter((key) => key.includes('AUTH0'))).toEqual([]);
    });

    it('passes a given SMTP port through as a string', () => {
      const custom = awsSettings((raw) => (raw.auth = { mode: 'password', smtp: { ...SMTP.smtp, port: 2525 } }));
      expect(envOf('queued-worker', custom).env.SMTP_PORT).toBe('2525');
    });

    it.each(['custom-code-runner', 'ui', 'console'] as ServiceId[])('%s has no SMTP settings', (id) => {
      expect(Object.keys(envOf(id, settings).env).filter((key) => /SMTP|EMAIL/.test(key))).toEqual([]);
    });

    it('stores the SMTP password with the five', () => {
      expect(requiredSecrets(settings)).toEqual(['secret', 'encryptionSecret', 'mongoUri', 'redisUri', 'registryPassword', 'smtpPassword']);
    });
  });

  it('needs only the five secrets in password mode without SMTP', () => {
    expect(requiredSecrets(awsSettings())).toEqual(['secret', 'encryptionSecret', 'mongoUri', 'redisUri', 'registryPassword']);
    expect(secretVars('api')).toEqual(ENGINE_SECRET_VARS);
  });
});

describe('secretReaders: who restarts when a secret rotates', () => {
  const engine: ServiceId[] = ['orchestrator', 'queued-worker', 'instant-worker', 'api'];

  it('the engine services read the engine secrets; the runner and the frontends read none; the registry password no running container', () => {
    expect(secretReaders(awsSettings())).toEqual({ secret: engine, encryptionSecret: engine, mongoUri: engine, redisUri: engine, registryPassword: [] });
  });

  it('the auth mode\'s secret is read by the engine services alone', () => {
    expect(secretReaders(awsSettings((raw) => (raw.auth = structuredClone(AUTH0)))).auth0ClientSecret).toEqual(engine);
    expect(secretReaders(awsSettings((raw) => (raw.auth = structuredClone(SMTP)))).smtpPassword).toEqual(engine);
  });
});

describe('deriveSettings', () => {
  it('derives prefix, URLs and bucket names from the domain for the default deployment', () => {
    const settings = awsSettings();
    expect(settings.name).toBe('default');
    expect(settings.prefix).toBe('membrane');
    expect(settings.urls).toEqual({
      api: 'https://api.example.com',
      ui: 'https://ui.example.com',
      console: 'https://console.example.com',
      static: 'https://static.example.com',
    });
    expect(settings.buckets).toEqual({
      tmp: 'membrane-example-com-tmp',
      connectors: 'membrane-example-com-connectors',
      static: 'membrane-example-com-static',
    });
  });

  it('puts a named deployment in its own prefix and buckets', () => {
    const settings = awsSettings(undefined, 'staging');
    expect(settings.prefix).toBe('membrane-staging');
    expect(settings.buckets.tmp).toBe('membrane-staging-example-com-tmp');
  });

  it('keeps derived bucket names valid S3 names, even for a long name and domain', () => {
    const domain = `${'very-long-subdomain-label'.repeat(2)}.${'another-long-label'.repeat(3)}.Example.COM`;
    const settings = deriveSettings('abcdefghij-abcdefghij-abcdefgh', awsAnswers((raw) => (raw.domain = domain)));
    for (const bucket of Object.values(settings.buckets)) {
      expect(bucket.length).toBeLessThanOrEqual(63);
      expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    }
  });

  it('uses bucket names and the static URI from the answers when given', () => {
    const settings = awsSettings((raw) => (raw.storage = { tmpBucket: 'my-tmp', staticBucket: 'my-static', staticUri: 'https://cdn.example.org' }));
    expect(settings.buckets).toEqual({ tmp: 'my-tmp', connectors: 'membrane-example-com-connectors', static: 'my-static' });
    expect(settings.urls.static).toBe('https://cdn.example.org');
  });

  it('proposes the catalogue sizes: 2 replicas each, a full vCPU for the API, the docs\' maximums (orchestrator fixed)', () => {
    expect(awsSettings().sizing).toEqual({
      'custom-code-runner': { cpu: 512, memory: 2048, replicas: 2, maxReplicas: 20 },
      orchestrator: { cpu: 512, memory: 2048, replicas: 2, maxReplicas: 2 },
      'queued-worker': { cpu: 512, memory: 2048, replicas: 2, maxReplicas: 50 },
      'instant-worker': { cpu: 512, memory: 2048, replicas: 2, maxReplicas: 20 },
      api: { cpu: 1024, memory: 2048, replicas: 2, maxReplicas: 10 },
      ui: { cpu: 512, memory: 1024, replicas: 2, maxReplicas: 5 },
      console: { cpu: 512, memory: 1024, replicas: 2, maxReplicas: 5 },
    });
  });

  it('raises a default maximum below the replicas asked for to them; the orchestrator\'s follows its replicas', () => {
    const settings = awsSettings((raw) => (raw.services = { ui: { replicas: 7 }, orchestrator: { replicas: 3 }, api: { replicas: 3, maxReplicas: 30 } }));
    expect(settings.sizing.ui).toMatchObject({ replicas: 7, maxReplicas: 7 });
    expect(settings.sizing.orchestrator).toMatchObject({ replicas: 3, maxReplicas: 3 });
    expect(settings.sizing.api).toMatchObject({ replicas: 3, maxReplicas: 30 });
  });

  it('applies per-service overrides field by field, leaving other services alone', () => {
    const settings = awsSettings((raw) => (raw.services = { api: { replicas: 4 }, 'queued-worker': { cpu: 1024, memory: 4096 } }));
    expect(settings.sizing.api).toEqual({ cpu: 1024, memory: 2048, replicas: 4, maxReplicas: 10 });
    expect(settings.sizing['queued-worker']).toEqual({ cpu: 1024, memory: 4096, replicas: 2, maxReplicas: 50 });
    expect(settings.sizing['instant-worker']).toEqual({ cpu: 512, memory: 2048, replicas: 2, maxReplicas: 20 });
  });
});

describe('sizingProblems', () => {
  it('accepts the defaults and the documented minimums', () => {
    expect(sizingProblems(awsSettings())).toEqual([]);
    expect(sizingProblems(awsSettings((raw) => (raw.services = { api: { cpu: 500, memory: 2048 }, ui: { cpu: 250, memory: 512 } })))).toEqual([]);
  });

  it('names each service and size below its documented minimum', () => {
    const settings = awsSettings((raw) => (raw.services = { api: { cpu: 256 }, orchestrator: { memory: 1024 }, console: { cpu: 249, memory: 511 } }));
    expect(sizingProblems(settings)).toEqual([
      'services.orchestrator.memory: 1024 is below the documented minimum of 2048 MiB.',
      'services.api.cpu: 256 is below the documented minimum of 500 millicores.',
      'services.console.cpu: 249 is below the documented minimum of 250 millicores.',
      'services.console.memory: 511 is below the documented minimum of 512 MiB.',
    ]);
  });

  it('holds the runner to the engine minimums, not the front-end ones', () => {
    const settings = awsSettings((raw) => (raw.services = { 'custom-code-runner': { cpu: 256, memory: 1024 } }));
    expect(sizingProblems(settings)).toHaveLength(2);
  });
});

describe('fargateSizeProblem', () => {
  it.each([
    [512, 1024],
    [512, 2048],
    [512, 4096],
    [1024, 2048],
    [1024, 3072],
    [1024, 8192],
    [2048, 16384],
    [4096, 30720],
    [8192, 20480],
    [16384, 122880],
  ])('accepts %i CPU units with %i MiB', (cpu, memory) => {
    expect(fargateSizeProblem('api', cpu, memory)).toBeUndefined();
  });

  it.each([500, 1000, 3072, 0])('refuses %i CPU units, listing the sizes Fargate has', (cpu) => {
    const problem = fargateSizeProblem('api', cpu, 2048);
    expect(problem).toBe(`services.api.cpu: ${cpu} is not a Fargate CPU size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384.`);
  });

  it.each([
    [512, 512, '1024-4096 MiB in steps of 1024'],
    [512, 5120, '1024-4096 MiB in steps of 1024'],
    [1024, 2500, '2048-8192 MiB in steps of 1024'],
    [4096, 31744, '8192-30720 MiB in steps of 1024'],
    [8192, 18432, '16384-61440 MiB in steps of 4096'],
  ])('refuses %i CPU units with %i MiB, naming the range', (cpu, memory, range) => {
    expect(fargateSizeProblem('ui', cpu, memory)).toBe(`services.ui.memory: ${memory} MiB does not fit ${cpu} CPU units on Fargate; use ${range}.`);
  });

  it('finds no problem with any default size', () => {
    const settings = awsSettings();
    expect(SERVICES.flatMap((spec) => fargateSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? [])).toEqual([]);
  });
});
