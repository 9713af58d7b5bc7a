// uninstall on Azure Container Apps: what the installer made for this deployment, found from the
// journal's outputs and from the cloud's own tags (membrane-deployment=NAME on the apps, identities and
// Key Vault secrets), so a lost journal still finds it. One found under the installer's name without
// the tag was there before (the install adopts what exists) and stays. What cannot carry a tag is
// identified otherwise: role assignments by principal, role and the single secret they are scoped to,
// custom domains and DNS records by the values the install wrote. The user's subscription, resource
// group, environment, vault, storage account, DNS zone and named identity are never touched.
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg, Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { requiredSecrets } from '../../membrane/env.js';
import { SERVICES } from '../../membrane/services.js';
import { findOrNull, runJson, unlessGone } from '../cli-json.js';
import { dnsName, recordedEndpoints } from '../endpoints.js';
import type { Removal, UninstallOptions, UninstallPlan } from '../types.js';
import { readerSecrets } from './documents.js';
import { findZone, recordSets, relativeName, setType, setValues, zoneArgv } from './dns.js';
import { appRecords, publicApps, type ListedApp } from './endpoints.js';
import { azArgv, azureNames, outputKey, READERS, SECRETS_USER_ROLE } from './names.js';

type Tags = Record<string, string> | null | undefined;
interface Vault { id: string; properties: { enableSoftDelete?: boolean; softDeleteRetentionInDays?: number } }

/** Key Vault's default (and longest) soft-delete retention. */
const DEFAULT_RETENTION_DAYS = 90;

export async function azureUninstall(settings: SettingsFor<'azure'>, runner: Runner, known: Readonly<Record<string, string>>, options: UninstallOptions): Promise<UninstallPlan> {
  const names = azureNames(settings);
  const azure = settings.answers.azure;
  const { subscription, resourceGroup, environment, keyVault } = azure;
  const zone = settings.answers.dns?.zone;
  const command = (...args: Arg[]): Command => ({ argv: azArgv(subscription, ...args) });
  const tag = Object.entries(names.tags).map(([key, value]) => `${key}=${value}`).join(', ');
  const isOurs = (tags: Tags) => Object.entries(names.tags).every(([key, value]) => tags?.[key] === value);
  const noTag = `does not carry the tag ${tag}, so the installer did not make it: left as it is`;
  const kept: string[] = [];
  const notes: string[] = [];

  const [listed, vault, identities] = await Promise.all([
    runJson<ListedApp[]>(runner, command('containerapp', 'list', '--resource-group', resourceGroup)),
    findOrNull<Vault>(runner, command('keyvault', 'show', '--name', keyVault)),
    Promise.all(READERS.map(async (reader) => {
      const name = names.identity(reader);
      const found = await findOrNull<{ principalId: string; tags?: Tags }>(runner, command('identity', 'show', '--name', name, '--resource-group', resourceGroup));
      return { reader, name, found };
    })),
  ]);
  const apps = Array.isArray(listed) ? listed : [];
  const ourApps = new Set(SERVICES.map((spec) => names.app(spec.id)).filter((name) => {
    const app = apps.find((a) => a.name === name);
    if (app && !isOurs(app.tags)) kept.push(`Container App ${name} ${noTag}`);
    return app !== undefined && isOurs(app.tags);
  }));
  const ourPublicApps = publicApps(settings, apps).filter((app) => ourApps.has(app.app));

  /** The hosts the install added to its apps with dns.zone: deleting an app would drop them too, but only after the records. */
  function customDomains(): Removal[] {
    if (!zone) return [];
    return ourPublicApps.filter((app) => app.domain).map(({ app, host }) => {
      const remove = command('containerapp', 'hostname', 'delete', '--name', app, '--resource-group', resourceGroup, '--hostname', host, '--yes');
      return { title: `Custom domain ${host} of Container App ${app}`, kind: 'custom-domain', id: `${app}/${host}`, group: 'custom-domains', preview: () => [remove], remove: (runner: Runner) => unlessGone(runner.run(remove)) };
    });
  }

  async function dnsRecords(): Promise<Removal[]> {
    if (!zone) return [];
    // The journal's records are what the install wrote; without it, the apps still say what it wrote (their FQDN and verification id).
    const written = recordedEndpoints(known)?.records ?? appRecords(ourPublicApps);
    const found = await findZone(runner, settings, zone);
    if (typeof found === 'string' || !written.length) return [];
    const sets = await recordSets(runner, subscription, found);
    return written.flatMap((record): Removal[] => {
      const name = relativeName(found, record.name);
      const set = sets.find((s) => s.name.toLowerCase() === name.toLowerCase() && setType(s) === record.type);
      if (!set) return [];
      const values = setValues(set);
      const value = values.find((v) => dnsName(v) === dnsName(record.value));
      if (value === undefined) {
        kept.push(`DNS record ${record.name} ${record.type} is ${values.join(', ')}, not what the install wrote (${record.value}): left as it is`);
        return [];
      }
      // remove-record takes out this one record; the set goes with its last one (a TXT set's other records stay).
      const remove: Command = { argv: zoneArgv(subscription, found, record.type === 'CNAME'
        ? ['record-set', 'cname', 'remove-record', '--record-set-name', name, '--cname', value]
        : ['record-set', 'txt', 'remove-record', '--record-set-name', name, '--value', value]) };
      return [{
        title: `DNS record ${record.name} ${record.type} ${record.value} (Azure DNS zone ${zone})`,
        kind: 'dns-record',
        id: `${found.name}/${name}/${record.type}`,
        group: 'dns-records',
        preview: () => [remove],
        remove: (runner) => unlessGone(runner.run(remove)),
      }];
    });
  }

  function containerApps(): Removal[] {
    // The reverse of the install's waves; one wave at a time.
    return [...SERVICES].sort((a, b) => b.wave - a.wave).filter((spec) => ourApps.has(names.app(spec.id))).map((spec) => {
      const name = names.app(spec.id);
      // ARM answers 204 for an app that is gone, so az succeeds either way.
      const remove = command('containerapp', 'delete', '--name', name, '--resource-group', resourceGroup, '--yes');
      return { title: `Container App ${name} (environment ${environment}: the environment stays)`, kind: 'container-app', id: name, group: `apps-wave-${spec.wave}`, preview: () => [remove], remove: async (runner: Runner) => void (await runner.run(remove)) };
    });
  }

  async function roleAssignments(): Promise<Removal[]> {
    if (!vault) return [];
    const perReader = await Promise.all(identities.map(async ({ reader, name, found }): Promise<Removal | undefined> => {
      // Its principal from the journal too: an identity deleted already leaves its assignments behind.
      const principals = [...new Set([known[outputKey.identityPrincipalId(reader)], found?.principalId].filter((id): id is string => Boolean(id)))];
      const secrets = readerSecrets(reader, settings).map((key) => names.vaultSecret(key));
      const scopes = new Set(secrets.map((secret) => `${vault.id}/secrets/${secret}`.toLowerCase()));
      const listed = await Promise.all(principals.map((principal) => runJson<{ id: string; scope?: string }[]>(runner, command('role', 'assignment', 'list', '--all', '--assignee', principal, '--role', SECRETS_USER_ROLE))));
      const ids = listed.flatMap((list) => (Array.isArray(list) ? list : [])).filter((a) => scopes.has(a.scope?.toLowerCase() ?? '')).map((a) => a.id);
      if (!ids.length) return undefined;
      // By id: ARM answers 204 for one deleted meanwhile.
      const remove = command('role', 'assignment', 'delete', '--ids', ...ids);
      return {
        title: `Role "${SECRETS_USER_ROLE}" of identity ${name} on ${ids.length} secret(s) of Key Vault ${keyVault}`,
        kind: 'role-assignments',
        id: `${name}/${SECRETS_USER_ROLE}`,
        group: 'role-assignments',
        preview: () => [remove],
        remove: async (runner) => void (await runner.run(remove)),
      };
    }));
    return perReader.filter((removal): removal is Removal => removal !== undefined);
  }

  async function vaultSecrets(): Promise<Removal[]> {
    if (!vault) {
      kept.push(`Key Vault ${keyVault} is not there (any more), so there are no secrets of the installer to remove`);
      return [];
    }
    const listed = await runJson<{ name: string; tags?: Tags }[]>(runner, command('keyvault', 'secret', 'list', '--vault-name', keyVault));
    const secrets = Array.isArray(listed) ? listed : [];
    const installed = new Set(requiredSecrets(settings).map((key) => names.vaultSecret(key)));
    for (const secret of secrets.filter((s) => installed.has(s.name) && !isOurs(s.tags))) kept.push(`Key Vault secret ${secret.name} ${noTag}`);
    const ours = secrets.filter((s) => isOurs(s.tags));
    if (!options.deleteSecrets) {
      for (const secret of ours) kept.push(`Key Vault secret ${secret.name} stays: secrets go only with --delete-secrets`);
      return [];
    }
    if (vault.properties.enableSoftDelete === false) {
      // Without soft delete a delete cannot be undone: never from the installer.
      kept.push(`Key Vault ${keyVault} has soft delete off, so a deleted secret could not be recovered: the installer deletes none of ${ours.map((s) => s.name).join(', ')}; delete them yourself if you mean it`);
      return [];
    }
    return ours.map((secret) => {
      const remove = command('keyvault', 'secret', 'delete', '--vault-name', keyVault, '--name', secret.name);
      return { title: `Key Vault secret ${secret.name} (soft delete: recoverable)`, kind: 'secret', id: secret.name, group: 'secrets', preview: () => [remove], remove: (runner: Runner) => unlessGone(runner.run(remove)) };
    });
  }

  function identityRemovals(): Removal[] {
    return identities.flatMap(({ reader, name, found }): Removal[] => {
      if (reader === 'engine' && azure.identity) {
        kept.push(`Identity ${name} is yours (azure.identity): it stays; only the role assignments the installer gave it go`);
        return [];
      }
      if (!found) return [];
      if (!isOurs(found.tags)) {
        kept.push(`Identity ${name} ${noTag}`);
        return [];
      }
      // ARM answers 204 for an identity that is gone.
      const remove = command('identity', 'delete', '--name', name, '--resource-group', resourceGroup);
      return [{ title: `Identity ${name} (user-assigned, made by the installer)`, kind: 'identity', id: name, group: 'identities', preview: () => [remove], remove: async (runner) => void (await runner.run(remove)) }];
    });
  }

  const [records, grants, stored] = await Promise.all([dnsRecords(), roleAssignments(), vaultSecrets()]);
  if (stored.length) {
    const days = vault?.properties.softDeleteRetentionInDays ?? DEFAULT_RETENTION_DAYS;
    notes.push(`Key Vault ${keyVault} keeps each deleted secret ${days} days (soft delete; the installer never purges); until then recover one with: az keyvault secret recover --vault-name ${keyVault} --name NAME`);
    notes.push('Key Vault does not reuse the name of a deleted secret: to install this deployment again, recover its secrets first.');
  }
  if (zone && ourPublicApps.some((app) => app.domain?.certificateId)) {
    kept.push(`The managed certificates Azure issued for the custom domains stay in environment ${environment} (the environment is yours): see them with az containerapp env certificate list --name ${environment} --resource-group ${resourceGroup} --managed-certificates-only`);
  }
  kept.push(`Never touched: subscription ${subscription}, resource group ${resourceGroup}, Container Apps environment ${environment}, Key Vault ${keyVault} (only the installer's secrets in it, with --delete-secrets), storage account ${names.storageAccount}${zone ? `, Azure DNS zone ${zone}` : ''}${azure.identity ? `, identity ${azure.identity}` : ''}`);
  // The reverse of the install's order: custom domains and records, apps, role assignments, secrets, identities.
  return { removals: [...customDomains(), ...records, ...containerApps(), ...grants, ...stored, ...identityRemovals()], kept, notes };
}
