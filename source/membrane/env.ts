// Builds each service's environment from membrane-docs/deployment/services.md. Secrets are
// returned as references (which secret feeds which variable), never as values.
import { PORT, SERVICES, type ServiceId, type ServiceSpec } from './services.js';

// The builder names what it reads instead of importing the answers' types: product knowledge
// sits below the answers, and Settings (answers/settings.ts) has all of it.

/** The secrets a Membrane deployment may use; answers/schema.ts validates a value for each. */
export type SecretKey = 'secret' | 'encryptionSecret' | 'mongoUri' | 'redisUri' | 'registryPassword' | 'auth0ClientSecret' | 'smtpPassword';

/** How people sign in to the console (the answers' `auth`). */
export type MembraneAuth =
  | { mode: 'password'; smtp?: { host: string; port: number; user: string; from: string } }
  | { mode: 'auth0'; auth0: { domain: string; clientId: string } };

/** What the env builder reads of a deployment's settings. */
export interface EnvInputs {
  urls: { api: string; ui: string; console: string; static: string };
  buckets: { tmp: string; connectors: string; static: string };
  answers: { auth: MembraneAuth };
}

export interface SecretReference {
  /** The variable the container sees. */
  env: string;
  secret: SecretKey;
}

export interface ServiceEnvironment {
  env: Record<string, string>;
  secrets: SecretReference[];
}

export interface CloudEnvironment {
  /** How the engine services reach the custom code runner on this cloud's private network. */
  customCodeRunnerUri: string;
  /** STORAGE_PROVIDER and the provider's own settings (AWS_REGION, ...). */
  storage: Record<string, string>;
  /** Names the platform sets itself and refuses in a service's env (Cloud Run: PORT, K_SERVICE, ...). */
  reservedEnv?: readonly string[];
}

const ENGINE_SECRETS: SecretReference[] = [
  { env: 'SECRET', secret: 'secret' },
  { env: 'ENCRYPTION_SECRET', secret: 'encryptionSecret' },
  { env: 'MONGO_URI', secret: 'mongoUri' },
  { env: 'REDIS_URI', secret: 'redisUri' },
];

export function buildServiceEnvironment(spec: ServiceSpec, settings: EnvInputs, cloud: CloudEnvironment): ServiceEnvironment {
  const { env, secrets } = documentedEnvironment(spec, settings, cloud);
  const reserved = new Set(cloud.reservedEnv);
  return { env: Object.fromEntries(Object.entries(env).filter(([name]) => !reserved.has(name))), secrets };
}

function documentedEnvironment(spec: ServiceSpec, settings: EnvInputs, cloud: CloudEnvironment): ServiceEnvironment {
  const { answers, urls } = settings;
  const base = { NODE_ENV: 'production', PORT: String(PORT) };

  if (spec.image === 'core/custom-code-runner') return { env: base, secrets: [] };

  if (spec.image === 'core/ui') return { env: { ...base, NEXT_PUBLIC_ENGINE_URI: urls.api }, secrets: [] };

  if (spec.image === 'core/console') {
    const env: Record<string, string> = {
      ...base,
      NEXT_PUBLIC_BASE_URI: urls.console,
      NEXT_PUBLIC_ENGINE_API_URI: urls.api,
      NEXT_PUBLIC_ENGINE_UI_URI: urls.ui,
    };
    if (answers.auth.mode === 'auth0') {
      env.NEXT_PUBLIC_AUTH0_DOMAIN = answers.auth.auth0.domain;
      env.NEXT_PUBLIC_AUTH0_CLIENT_ID = answers.auth.auth0.clientId;
    }
    return { env, secrets: [] };
  }

  const env: Record<string, string> = {
    ...base,
    ...(spec.modeFlag ? { [spec.modeFlag]: '1' } : {}),
    BASE_URI: urls.api,
    CUSTOM_CODE_RUNNER_URI: cloud.customCodeRunnerUri,
    // The runner needs 20 GB of virtual memory for WebAssembly on AMD64, the default platform.
    CUSTOM_CODE_MEMORY_LIMIT: '21474836480',
    ...cloud.storage,
    TMP_STORAGE_BUCKET: settings.buckets.tmp,
    CONNECTORS_STORAGE_BUCKET: settings.buckets.connectors,
    STATIC_STORAGE_BUCKET: settings.buckets.static,
    BASE_STATIC_URI: urls.static,
  };
  const secrets = [...ENGINE_SECRETS];
  if (answers.auth.mode === 'auth0') {
    env.AUTH0_DOMAIN = answers.auth.auth0.domain;
    env.AUTH0_CLIENT_ID = answers.auth.auth0.clientId;
    secrets.push({ env: 'AUTH0_CLIENT_SECRET', secret: 'auth0ClientSecret' });
  } else if (answers.auth.smtp) {
    const smtp = answers.auth.smtp;
    Object.assign(env, { SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port), SMTP_USER: smtp.user, EMAIL_FROM: smtp.from });
    secrets.push({ env: 'SMTP_PASSWORD', secret: 'smtpPassword' });
  }
  return { env, secrets };
}

/** The secrets a deployment stores: the engine's, the optional auth ones, and the registry login. */
export function requiredSecrets(settings: EnvInputs): SecretKey[] {
  const keys: SecretKey[] = ['secret', 'encryptionSecret', 'mongoUri', 'redisUri', 'registryPassword'];
  if (settings.answers.auth.mode === 'auth0') keys.push('auth0ClientSecret');
  else if (settings.answers.auth.smtp) keys.push('smtpPassword');
  return keys;
}

/**
 * Which services read each secret from their env, so restart when it rotates: a running container
 * keeps the value it started with. The registry password is read by none: the platform uses it
 * only to pull an image, so the next pull takes the new one and nothing needs to restart for it.
 */
export function secretReaders(settings: EnvInputs): Record<SecretKey, ServiceId[]> {
  const readers = Object.fromEntries(requiredSecrets(settings).map((key) => [key, [] as ServiceId[]])) as Record<SecretKey, ServiceId[]>;
  // Which secrets a service reads does not depend on the cloud's values.
  for (const spec of SERVICES) for (const ref of documentedEnvironment(spec, settings, { customCodeRunnerUri: '', storage: {} }).secrets) (readers[ref.secret] ??= []).push(spec.id);
  return readers;
}
