// Names of everything the installer creates on Azure, derived from the deployment's prefix so
// that two deployments (--name) can share a resource group and an environment.
import type { SecretKey } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg } from '../../exec/command.js';
import type { ServiceId, ServiceSpec } from '../../membrane/services.js';
import { SECRET_SUFFIX } from '../secret-names.js';
import { secretVersionOutput } from '../types.js';

/** The built-in role that lets an identity read secret values, and nothing else. */
export const SECRETS_USER_ROLE = 'Key Vault Secrets User';

/**
 * Who reads the vault. The engine services share one identity; the runner, which runs customers'
 * code, has its own; ui and console share a third. Each may read only what its apps reference.
 */
export type Reader = 'engine' | 'runner' | 'web';
export const READERS: readonly Reader[] = ['engine', 'runner', 'web'];

export function readerOf(spec: ServiceSpec): Reader {
  if (spec.image === 'core/api') return 'engine';
  return spec.image === 'core/custom-code-runner' ? 'runner' : 'web';
}

export function azureNames(settings: SettingsFor<'azure'>) {
  const { prefix } = settings;
  const azure = settings.answers.azure;
  // The registry password alone (the app's registry entry holds the username).
  const suffix = (key: SecretKey) => (key === 'registryPassword' ? 'registry-password' : SECRET_SUFFIX[key]);
  return {
    app: (service: ServiceId) => `${prefix}-${service}`,
    /** The secret in Key Vault. */
    vaultSecret: (key: SecretKey) => `${prefix}-${suffix(key)}`,
    /** The app's own secret that references it (env vars use it through secretref). */
    appSecret: (key: SecretKey) => suffix(key),
    /** azure.identity names the engine's, which predates the others. */
    identity: (reader: Reader) => (reader === 'engine' ? (azure.identity ?? `${prefix}-apps`) : `${prefix}-${reader}`),
    storageAccount: azure.storageAccount ?? `${prefix.replaceAll('-', '')}files`.slice(0, 24),
    tags: { 'membrane-deployment': settings.name },
  };
}

export type AzureNames = ReturnType<typeof azureNames>;

/** `--tags` and its KEY=VALUE words, for the commands that tag what they create. */
export function tagArgs(names: AzureNames): string[] {
  return ['--tags', ...Object.entries(names.tags).map(([key, value]) => `${key}=${value}`)];
}

/** Output keys shared between steps. */
export const outputKey = {
  identityId: (reader: Reader) => `identity:${reader}:id`,
  identityPrincipalId: (reader: Reader) => `identity:${reader}:principal-id`,
  identityClientId: (reader: Reader) => `identity:${reader}:client-id`,
  vaultId: 'key-vault:id',
  vaultUri: 'key-vault:uri',
  secretVersion: secretVersionOutput,
  environmentId: 'environment:id',
  environmentDomain: 'environment:default-domain',
};

/** The az argv most calls share: explicit subscription, JSON output, no warnings on stderr. */
export function azArgv(subscription: string, ...args: Arg[]): Arg[] {
  return ['az', ...args, '--subscription', subscription, '--output', 'json', '--only-show-errors'];
}
