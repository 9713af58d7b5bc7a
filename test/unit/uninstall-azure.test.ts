// The Azure uninstall against a scripted subscription: the order it removes in (the reverse of the
// install's), and the rule that what the user owns is never removed, even under the installer's names.
import { describe, expect, it } from 'vitest';
import { azureSteps } from '../../source/clouds/azure/steps.js';
import { azureUninstall } from '../../source/clouds/azure/uninstall.js';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { azureSettings, scriptedRunner } from './fixtures.js';

const SUB = '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333';
const VAULT_ID = `${SUB}/resourceGroups/membrane-rg/providers/Microsoft.KeyVault/vaults/membrane-vault`;
const TAGS = { 'membrane-deployment': 'default' };
const FQDN = (app: string) => `${app}.happy-hill-123.eastus.azurecontainerapps.io`;
const VERIFICATION = 'F1E2D3C4';
const SECRETS = ['jwt-secret', 'encryption-secret', 'mongo-uri', 'redis-uri', 'registry-password'].map((name) => `membrane-${name}`);

interface Scenario {
  /** Found under the installer's names without its tag. */
  foreign?: { app?: string; identity?: string; secret?: string };
  /** The record set's value instead of what the install wrote. */
  uiCname?: string;
  /** Other TXT records beside the install's asuid.api record. */
  otherTxt?: string;
  softDelete?: boolean;
}

/** A scripted az: the reads answered from the scenario, every command recorded. */
function fakeAz({ foreign = {}, uiCname, otherTxt, softDelete = true }: Scenario = {}) {
  const app = (id: string) => {
    const name = `membrane-${id}`;
    const isPublic = ['api', 'ui', 'console'].includes(id);
    return {
      name,
      tags: name === foreign.app ? {} : TAGS,
      properties: {
        customDomainVerificationId: VERIFICATION,
        configuration: { ingress: isPublic ? { fqdn: FQDN(name), customDomains: [{ name: `${id}.example.com`, bindingType: 'SniEnabled', certificateId: `${SUB}/managedCertificates/mc-${id}` }] } : null },
      },
    };
  };
  const principal = (identity: string) => `principal-of-${identity}`;
  const secretName = (scope: string) => scope.split('/secrets/')[1];
  const grants = (identity: string) => [
    ...SECRETS.map((secret) => ({ id: `${VAULT_ID}/secrets/${secret}/providers/Microsoft.Authorization/roleAssignments/${identity}-${secret}`, scope: `${VAULT_ID}/secrets/${secret}` })),
    // The user's own grant to the same principal, on the whole vault.
    { id: `${VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/${identity}-vault`, scope: VAULT_ID },
  ];
  const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1]!;
  const answers: Record<string, (argv: string[]) => unknown> = {
    'containerapp list': () => SERVICE_IDS.map(app),
    'keyvault show': () => ({ id: VAULT_ID, properties: { enableSoftDelete: softDelete, softDeleteRetentionInDays: 7 } }),
    'identity show': (argv) => ({ principalId: principal(flag(argv, '--name')), tags: flag(argv, '--name') === foreign.identity ? {} : TAGS }),
    'role assignment list': (argv) => grants(flag(argv, '--assignee').replace('principal-of-', '')).filter((g) => !g.scope.includes('/secrets/') || SECRETS.includes(secretName(g.scope)!)),
    'keyvault secret list': () => [...SECRETS, 'operator-secret'].map((name) => ({ name, tags: name === foreign.secret || name === 'operator-secret' ? {} : TAGS })),
    'network dns zone list': () => [{ name: 'example.com', resourceGroup: 'dns-rg', zoneType: 'Public' }],
    'network dns record-set list': () => ['api', 'ui', 'console'].flatMap((id) => [
      { name: id, type: 'Microsoft.Network/dnszones/CNAME', CNAMERecord: { cname: id === 'ui' && uiCname ? uiCname : FQDN(`membrane-${id}`) } },
      { name: `asuid.${id}`, type: 'Microsoft.Network/dnszones/TXT', TXTRecords: [{ value: [VERIFICATION] }, ...(id === 'api' && otherTxt ? [{ value: [otherTxt] }] : [])] },
    ]),
  };
  return scriptedRunner((argv) => {
    const words = argv.slice(1).filter((_, i, all) => !all.slice(0, i + 1).some((w) => w.startsWith('-')));
    for (let k = words.length; k > 0; k--) {
      const answer = answers[words.slice(0, k).join(' ')];
      if (answer) return answer(argv);
    }
    return {};
  });
}

const settings = (edit: Parameters<typeof azureSettings>[0] = () => {}) => azureSettings((raw) => {
  raw.dns = { zone: 'example.com' };
  edit(raw);
});

describe('Azure uninstall', () => {
  it('removes in the reverse of the install\'s order: custom domains, records, apps (last wave first), role assignments, secrets, identities', async () => {
    const { runner } = fakeAz();
    const plan = await azureUninstall(settings(), runner, {}, { deleteSecrets: true });
    expect([...new Set(plan.removals.map((r) => r.kind))]).toEqual(['custom-domain', 'dns-record', 'container-app', 'role-assignments', 'secret', 'identity']);
    const steps = azureSteps(settings()).map((step) => step.id);
    const created = ['app:api', 'access:engine', 'identity:engine'].map((id) => steps.indexOf(id));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const apps = plan.removals.filter((r) => r.kind === 'container-app').map((r) => r.id);
    expect(apps).toHaveLength(7);
    expect(apps.at(-1)).toBe('membrane-custom-code-runner');
    // Without the journal, the apps say what the install wrote.
    expect(plan.removals.filter((r) => r.kind === 'dns-record').map((r) => r.id)).toEqual(['api', 'asuid.api', 'ui', 'asuid.ui', 'console', 'asuid.console'].map((name) => `example.com/${name}/${name.startsWith('asuid') ? 'TXT' : 'CNAME'}`));
    expect(plan.notes.join('\n')).toContain('keeps each deleted secret 7 days');
    expect(plan.notes.join('\n')).toContain('az keyvault secret recover --vault-name membrane-vault --name NAME');
  });

  it('removes only the role assignments it granted: the reader\'s secrets, not the user\'s grant on the vault', async () => {
    const { runner, calls } = fakeAz();
    const plan = await azureUninstall(settings(), runner, {}, { deleteSecrets: false });
    const web = plan.removals.find((r) => r.id === 'membrane-web/Key Vault Secrets User')!;
    calls.length = 0;
    await web.remove(runner);
    // ui and console read only the registry password.
    expect(calls).toEqual([[
      'az', 'role', 'assignment', 'delete', '--ids', `${VAULT_ID}/secrets/membrane-registry-password/providers/Microsoft.Authorization/roleAssignments/membrane-web-membrane-registry-password`,
      '--subscription', 'acme-prod', '--output', 'json', '--only-show-errors',
    ]]);
    const engine = plan.removals.find((r) => r.id === 'membrane-apps/Key Vault Secrets User')!;
    expect(engine.preview()[0]!.argv.filter((arg) => String(arg).endsWith('-vault'))).toEqual([]);
  });

  it('keeps what carries no tag, the identity the user named, and the secrets unless asked', async () => {
    const { runner } = fakeAz({ foreign: { app: 'membrane-orchestrator', identity: 'membrane-runner', secret: 'membrane-mongo-uri' } });
    const plan = await azureUninstall(settings((raw) => (raw.azure.identity = 'membrane-apps')), runner, {}, { deleteSecrets: false });
    const ids = plan.removals.map((r) => r.id);
    expect(ids).not.toContain('membrane-orchestrator');
    expect(plan.removals.filter((r) => r.kind === 'identity').map((r) => r.id)).toEqual(['membrane-web']);
    expect(plan.removals.filter((r) => r.kind === 'secret')).toEqual([]);
    // The user's identity keeps itself, but loses the grants the installer gave it.
    expect(ids).toContain('membrane-apps/Key Vault Secrets User');
    const kept = plan.kept.join('\n');
    expect(kept).toContain('Container App membrane-orchestrator does not carry the tag membrane-deployment=default');
    expect(kept).toContain('Identity membrane-runner does not carry the tag');
    expect(kept).toContain('Identity membrane-apps is yours (azure.identity): it stays');
    expect(kept).toContain('Key Vault secret membrane-mongo-uri does not carry the tag');
    expect(kept).toContain('Key Vault secret membrane-jwt-secret stays: secrets go only with --delete-secrets');
    expect(kept).not.toContain('operator-secret');
    expect(kept).toContain('Never touched: subscription acme-prod, resource group membrane-rg, Container Apps environment membrane-env, Key Vault membrane-vault');
  });

  it('leaves a DNS record whose value is not the install\'s, and takes only its own record out of a TXT set', async () => {
    const { runner } = fakeAz({ uiCname: 'elsewhere.example.net', otherTxt: 'google-site-verification=abc' });
    const plan = await azureUninstall(settings(), runner, {}, { deleteSecrets: false });
    const records = plan.removals.filter((r) => r.kind === 'dns-record');
    expect(records.map((r) => r.id)).not.toContain('example.com/ui/CNAME');
    expect(plan.kept.join('\n')).toContain(`DNS record ui.example.com CNAME is elsewhere.example.net, not what the install wrote (${FQDN('membrane-ui')}): left as it is`);
    const txt = records.find((r) => r.id === 'example.com/asuid.api/TXT')!.preview()[0]!.argv;
    expect(txt.slice(0, 8)).toEqual(['az', 'network', 'dns', 'record-set', 'txt', 'remove-record', '--record-set-name', 'asuid.api']);
    expect(txt.slice(8, 10)).toEqual(['--value', VERIFICATION]);
  });

  it('deletes no secret from a vault without soft delete, where it could not be recovered', async () => {
    const { runner } = fakeAz({ softDelete: false });
    const plan = await azureUninstall(settings(), runner, {}, { deleteSecrets: true });
    expect(plan.removals.filter((r) => r.kind === 'secret')).toEqual([]);
    expect(plan.kept.join('\n')).toContain('has soft delete off, so a deleted secret could not be recovered');
  });
});
