// The Container Apps install as idempotent steps: three user-assigned identities (engine, runner,
// ui/console), the secrets in the vault (values from 0600 files, never argv), each identity allowed
// to read only the secrets its apps reference, then one app per service in the guide's waves,
// created or updated from its document.
import type { SecretKey, Secrets } from '../../answers/schema.js';
import { SECRET_ENV } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import type { Command, FileArg } from '../../exec/command.js';
import { NOT_REPEATABLE } from '../../exec/runner.js';
import { requiredSecrets } from '../../membrane/env.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import { findOrNull, runJson } from '../cli-json.js';
import { SECRET_STEP_PREFIX, type ActionStep, type Outputs, type StepResult } from '../types.js';
import { appDocument, handChanges, readerSecrets, SPEC_TAG } from './documents.js';
import { azArgv, azureNames, outputKey, READERS, SECRETS_USER_ROLE, tagArgs, type AzureNames, type Reader } from './names.js';
import { whileKeyVaultAccessPropagates } from './propagation.js';

/**
 * A user-assigned identity exists before the apps do, so their Key Vault references resolve on
 * the first revision; a system-assigned one would only exist once the app is being created.
 */
function identityStep(reader: Reader, settings: SettingsFor<'azure'>, names: AzureNames): ActionStep {
  const { subscription, resourceGroup, location } = settings.answers.azure;
  const name = names.identity(reader);
  const create: Command = { argv: azArgv(subscription, 'identity', 'create', '--name', name, '--resource-group', resourceGroup, '--location', location, ...tagArgs(names)) };
  return {
    kind: 'action',
    id: `identity:${reader}`,
    title: `Identity ${name}`,
    group: 'prepare',
    preview: () => [create],
    async apply({ runner }) {
      const found = await findOrNull(runner, { argv: azArgv(subscription, 'identity', 'show', '--name', name, '--resource-group', resourceGroup) });
      // Creating an identity that exists returns it unchanged, so this may be retried.
      const identity = found ?? (await runJson(runner, create));
      return {
        outcome: found ? 'unchanged' : 'created',
        outputs: {
          [outputKey.identityId(reader)]: identity.id,
          [outputKey.identityPrincipalId(reader)]: identity.principalId,
          [outputKey.identityClientId(reader)]: identity.clientId,
        },
      };
    },
  };
}

/** The vault's resource id (the scope of every grant) and its URI (the apps' references). */
function vaultStep(settings: SettingsFor<'azure'>): ActionStep {
  const { subscription, keyVault } = settings.answers.azure;
  const show: Command = { argv: azArgv(subscription, 'keyvault', 'show', '--name', keyVault) };
  return {
    kind: 'action',
    id: 'key-vault',
    title: `Key Vault ${keyVault}`,
    group: 'prepare',
    preview: () => [show],
    async apply({ runner }) {
      const vault = await runJson(runner, show);
      return { outcome: 'checked', outputs: { [outputKey.vaultId]: vault.id, [outputKey.vaultUri]: vault.properties.vaultUri } };
    },
  };
}

/**
 * "Key Vault Secrets User" on each secret the reader's apps reference (scope VAULT_ID/secrets/NAME),
 * never on the vault: the runner runs customers' code and must not read the engine's secrets.
 */
function accessStep(reader: Reader, settings: SettingsFor<'azure'>, names: AzureNames): ActionStep {
  const { subscription } = settings.answers.azure;
  const secrets = readerSecrets(reader, settings).map((key) => names.vaultSecret(key));
  const scope = (outputs: Outputs, secret: string) => `${outputs.get(outputKey.vaultId)}/secrets/${secret}`;
  const grant = (principalId: string, scopeId: string): Command => ({
    argv: azArgv(subscription, 'role', 'assignment', 'create', '--assignee-object-id', principalId, '--assignee-principal-type', 'ServicePrincipal',
      '--role', SECRETS_USER_ROLE, '--scope', scopeId),
  });
  return {
    kind: 'action',
    id: `access:${reader}`,
    title: `${names.identity(reader)} may read ${secrets.join(', ')}`,
    group: 'access',
    preview: (outputs) => secrets.map((secret) => grant(outputs.get(outputKey.identityPrincipalId(reader)), scope(outputs, secret))),
    async apply({ runner, outputs }) {
      const principalId = outputs.get(outputKey.identityPrincipalId(reader));
      // --all: grants on single secrets are below the vault, where a --scope listing does not look.
      const listed = await runJson<{ scope?: string }[]>(runner, { argv: azArgv(subscription, 'role', 'assignment', 'list', '--all', '--assignee', principalId, '--role', SECRETS_USER_ROLE) });
      const held = new Set((Array.isArray(listed) ? listed : []).map((assignment) => assignment.scope?.toLowerCase()));
      const missing = secrets.map((secret) => scope(outputs, secret)).filter((scopeId) => !held.has(scopeId.toLowerCase()));
      // A grant that took effect although its answer was lost fails as "already exists": the engine runs the step again, which lists first.
      for (const scopeId of missing) await runner.run(grant(principalId, scopeId), NOT_REPEATABLE);
      return { outcome: missing.length ? 'created' : 'unchanged' };
    },
  };
}

function secretStep(key: SecretKey, settings: SettingsFor<'azure'>, names: AzureNames): ActionStep {
  const { subscription, keyVault } = settings.answers.azure;
  const name = names.vaultSecret(key);
  const value = (secrets?: Secrets): FileArg => ({ prefix: '--file=', name: SECRET_ENV[key], secret: { value: secrets?.[key], shell: `printf '%s' "$${SECRET_ENV[key]}"` } });
  const set = (secrets?: Secrets): Command => ({
    argv: azArgv(subscription, 'keyvault', 'secret', 'set', '--vault-name', keyVault, '--name', name, value(secrets), '--encoding', 'utf-8',
      ...tagArgs(names)),
  });
  return {
    kind: 'action',
    id: `${SECRET_STEP_PREFIX}${key}`,
    title: `Key Vault secret ${name}`,
    group: 'prepare',
    preview: (_outputs, secrets) => [set(secrets)],
    async apply({ runner, secrets }) {
      const wanted = secrets[key];
      const stored = await findOrNull(runner, { argv: azArgv(subscription, 'keyvault', 'secret', 'show', '--vault-name', keyVault, '--name', name) });
      if (wanted === undefined) {
        if (!stored) throw new Error(`${SECRET_ENV[key]} is needed: ${name} is not in Key Vault ${keyVault} (any more). Set it and run again.`);
        return { outcome: 'unchanged', outputs: versionOf(stored) };
      }
      if (stored?.value === wanted) return { outcome: 'unchanged', outputs: versionOf(stored) };
      // Setting the same value twice only adds an identical version, so this may be retried.
      const made = await runJson(runner, set(secrets));
      return { outcome: stored ? 'updated' : 'created', outputs: versionOf(made) };
    },
  };

  /** The version is the last segment of the secret's id (https://VAULT.vault.azure.net/secrets/NAME/VERSION): the apps pin it. */
  function versionOf(shown: { id?: string }): Record<string, string> {
    const [, version = ''] = shown.id?.match(/\/secrets\/[^/]+\/([^/]+)$/) ?? [];
    return { [outputKey.secretVersion(key)]: version };
  }
}

/** The environment's id and domain: the apps live in it, and the runner's internal URL is under its domain. */
function environmentStep(settings: SettingsFor<'azure'>): ActionStep {
  const { subscription, resourceGroup, environment } = settings.answers.azure;
  const show: Command = { argv: azArgv(subscription, 'containerapp', 'env', 'show', '--name', environment, '--resource-group', resourceGroup) };
  return {
    kind: 'action',
    id: 'environment',
    title: `Container Apps environment ${environment}`,
    group: 'prepare',
    preview: () => [show],
    async apply({ runner }) {
      const found = await runJson(runner, show);
      return { outcome: 'checked', outputs: { [outputKey.environmentId]: found.id, [outputKey.environmentDomain]: found.properties.defaultDomain } };
    },
  };
}

function appStep(spec: ServiceSpec, settings: SettingsFor<'azure'>, names: AzureNames): ActionStep {
  const { subscription, resourceGroup } = settings.answers.azure;
  const file = (outputs: Outputs): FileArg => ({ prefix: '--yaml=', name: `apps/${spec.id}.yaml`, content: `${JSON.stringify(appDocument(spec, settings, outputs), null, 2)}\n` });
  const write = (verb: 'create' | 'update', outputs: Outputs): Command => ({
    argv: azArgv(subscription, 'containerapp', verb, '--name', names.app(spec.id), '--resource-group', resourceGroup, file(outputs)),
  });
  return {
    kind: 'action',
    id: `app:${spec.id}`,
    title: `Container App ${names.app(spec.id)}`,
    deploys: spec.id,
    group: `wave-${spec.wave}`,
    preview: (outputs) => [write('create', outputs)],
    artifacts: (outputs) => [{ path: `apps/${spec.id}.yaml`, content: file(outputs).content! }],
    async apply(context) {
      const { runner, outputs } = context;
      const wanted = appDocument(spec, settings, outputs);
      // Each try looks first: a refused create made nothing, and one that went through is adopted.
      return whileKeyVaultAccessPropagates(context, async (): Promise<StepResult> => {
        const existing = await findOrNull(runner, { argv: azArgv(subscription, 'containerapp', 'show', '--name', names.app(spec.id), '--resource-group', resourceGroup) });
        const byHand = existing ? handChanges(existing, wanted) : [];
        if (existing?.tags?.[SPEC_TAG] === wanted.tags[SPEC_TAG] && byHand.length === 0) return { outcome: 'unchanged' };
        const change = !existing ? 'missing' : byHand.length ? byHand.join(', ') : 'made from other answers';
        await runner.run({ ...write(existing ? 'update' : 'create', outputs), change }, NOT_REPEATABLE);
        return { outcome: existing ? 'updated' : 'created' };
      });
    },
  };
}

export function azureSteps(settings: SettingsFor<'azure'>): ActionStep[] {
  const names = azureNames(settings);
  return [
    ...READERS.map((reader) => identityStep(reader, settings, names)),
    ...requiredSecrets(settings).map((key) => secretStep(key, settings, names)),
    vaultStep(settings),
    environmentStep(settings),
    // After the secrets: a grant names the secret it is for.
    ...READERS.map((reader) => accessStep(reader, settings, names)),
    ...SERVICES.map((spec) => appStep(spec, settings, names)),
  ];
}
