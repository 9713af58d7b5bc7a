// uninstall on Azure Container Apps with the built CLI against the strict fake az (one for the file),
// asserted from the fake's state: after it, the subscription holds what the operator had before the
// install (their identity, role assignment, secret and DNS record among it), and nothing of the installer's.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { az, azureAnswers, type FakeAz, startFakeAz } from '../support/az.js';
import { CANARY_SECRETS, leakedCanaries, runCli } from '../support/cli.js';
import { MARKER_VAR, runAndKill, waitForOrphans } from '../support/kill.js';

const RUN_TIMEOUT_MS = 300_000;
const RG = 'membrane-rg';
const DNS_RG = 'dns-rg';
const VAULT = 'membrane-vault';
const SECRETS = ['membrane-encryption-secret', 'membrane-jwt-secret', 'membrane-mongo-uri', 'membrane-redis-uri', 'membrane-registry-password'];

let azure: FakeAz;
let work: string;
/** The subscription as the operator had it, before any install. */
let before: Inventory;

const state = () => join(work, 'state');
const env = (extra: Record<string, string> = {}) => ({ ...azure.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50',
  // No DNS from the tests: every name "does not resolve".
  CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}', ...extra });
const uninstall = (...args: string[]) => runCli(['uninstall', '--state-dir', state(), ...args], env(), RUN_TIMEOUT_MS);
const answers = (subscription: string) => azureAnswers(subscription, { resourceGroup: RG, keyVault: VAULT });

type Inventory = ReturnType<typeof inventory>;
/** What the fake holds, secrets aside (asserted on their own). */
function inventory() {
  const st = azure.state();
  return {
    groups: Object.keys(st.resourceGroups).sort(),
    environments: Object.keys(st.environments).sort(),
    vaults: Object.keys(st.keyVaults).sort(),
    apps: Object.keys(st.apps).sort(),
    identities: Object.keys(st.identities).sort(),
    roleAssignments: st.roleAssignments.map((a) => `${a.principalId} ${a.roleDefinitionName} ${a.scope}`).sort(),
    records: Object.values(st.dnsZones['example.com']!.recordSets).map((set) => `${set.name} ${set.type} ${set.values.flat().join(',')}`).sort(),
  };
}
const secrets = () => azure.state().keyVaults[VAULT]!;
/** az calls that change something, from the fake's call log. */
const changing = (from: number) => azure.calls().slice(from).map((call) => call.argv.join(' ')).filter((argv) => / (delete|remove-record|create|set|set-record|add-record|update|add|bind|recover)( |$)/.test(argv));

beforeAll(async () => {
  azure = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: VAULT, location: 'eastus', readyAfter: 0,
    // The operator's own record in the zone, which uninstall must leave.
    dnsZones: [{ name: 'example.com', resourceGroup: DNS_RG, recordSets: [{ name: 'www', type: 'CNAME', values: ['web.example.net'] }] }] });
  work = await mkdtemp(join(tmpdir(), 'membrane-uninstall-azure-'));
  // The operator's identity with a grant on the vault, and a secret of theirs in it.
  const operator = await az(azure.env, ['identity', 'create', '--name', 'operator-id', '--resource-group', RG]);
  const vaultId = `/subscriptions/${azure.subscription}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
  await az(azure.env, ['role', 'assignment', 'create', '--assignee-object-id', operator.principalId, '--assignee-principal-type', 'ServicePrincipal', '--role', 'Key Vault Secrets User', '--scope', vaultId]);
  await writeFile(join(work, 'operator-secret'), 'operator-value');
  await az(azure.env, ['keyvault', 'secret', 'set', '--vault-name', VAULT, '--name', 'operator-secret', '--file', join(work, 'operator-secret')]);
  // An identity under the "qa" deployment's name that was there before its install (no tag): adopted, never removed.
  await az(azure.env, ['identity', 'create', '--name', 'membrane-qa-runner', '--resource-group', RG]);
  before = inventory();

  await writeFile(join(work, 'default.json'), JSON.stringify({ ...answers(azure.subscription), dns: { zone: 'example.com' } }));
  const installed = await runCli(['--config', join(work, 'default.json'), '--yes', '--state-dir', state()], env(), RUN_TIMEOUT_MS);
  expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
}, RUN_TIMEOUT_MS);

afterAll(async () => {
  await azure?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('uninstall on Azure Container Apps against the strict fake az', () => {
  it('--dry-run lists everything the installer made, in reverse order, and changes nothing', async () => {
    const installed = inventory();
    expect(installed.apps).toHaveLength(7);
    const calls = azure.calls().length;
    const run = await uninstall('--dry-run');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const titles = [
      'Custom domain api.example.com of Container App membrane-api',
      'DNS record api.example.com CNAME',
      'DNS record asuid.api.example.com TXT',
      'Container App membrane-api (environment membrane-env: the environment stays)',
      'Container App membrane-custom-code-runner',
      'Role "Key Vault Secrets User" of identity membrane-apps on 5 secret(s) of Key Vault membrane-vault',
      'Identity membrane-apps',
    ];
    const at = titles.map((title) => run.stdout.indexOf(`  - ${title}`));
    expect(at.every((index) => index >= 0), run.stdout).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(run.stdout).toContain('$ az containerapp delete --name membrane-api --resource-group membrane-rg --yes');
    expect(run.stdout).toContain('Key Vault secret membrane-mongo-uri stays: secrets go only with --delete-secrets');
    expect(run.stdout).toContain('Never touched: subscription');
    expect(run.stdout).not.toMatch(/www\.example\.com|operator-id|operator-secret/);
    expect(inventory()).toEqual(installed);
    expect(changing(calls)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('killed in the middle, run again: it finishes, leaving only what the operator owns', async () => {
    const marker = randomUUID();
    const killed = await runAndKill({
      args: ['uninstall', '--yes', '--state-dir', state()],
      env: env({ [MARKER_VAR]: marker }),
      auditLog: join(state(), 'default', 'audit.log'),
      killWhen: (lines) => lines.some((line) => line.includes('"containerapp","delete"')),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the uninstall finished before the kill point').toBeUndefined();
    await waitForOrphans(marker);
    // Stopped among the apps: the records are gone, the identities (last) are not.
    expect(inventory().records).toEqual(before.records);
    expect(inventory().identities).toContain(`${RG}/membrane-apps`);

    const again = await uninstall('--yes');
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('✔ removed Identity membrane-apps');
    expect(again.stdout).not.toContain('✔ removed DNS record');
    expect(again.stdout).toContain('Deployment "default" is uninstalled');
    expect(inventory()).toEqual(before);
    // Without --delete-secrets every secret stays, and the operator's too.
    expect(Object.keys(secrets().secrets).sort()).toEqual([...SECRETS, 'operator-secret']);
    expect(leakedCanaries(again.stdout + again.stderr)).toEqual([]);

    const status = await runCli(['status', '--json', '--state-dir', state()], env());
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'uninstalled', installed: false });
  }, RUN_TIMEOUT_MS * 2);

  it('--delete-secrets deletes the installer\'s secrets recoverably (soft delete, never purged)', async () => {
    const calls = azure.calls().length;
    const run = await uninstall('--yes', '--delete-secrets');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✔ removed Key Vault secret membrane-mongo-uri (soft delete: recoverable)');
    expect(run.stdout).toContain(`recover one with: az keyvault secret recover --vault-name ${VAULT} --name NAME`);
    expect(Object.keys(secrets().secrets)).toEqual(['operator-secret']);
    expect(Object.keys(secrets().deletedSecrets ?? {}).sort()).toEqual(SECRETS);
    const deletes = azure.calls().slice(calls).filter((call) => call.argv.slice(0, 3).join(' ') === 'keyvault secret delete');
    expect(deletes).toHaveLength(5);
    expect(azure.calls().some((call) => call.argv.includes('purge'))).toBe(false);
    // Recoverable with its value, as the note says.
    await az(azure.env, ['keyvault', 'secret', 'recover', '--vault-name', VAULT, '--name', 'membrane-mongo-uri']);
    expect((await az(azure.env, ['keyvault', 'secret', 'show', '--vault-name', VAULT, '--name', 'membrane-mongo-uri'])).value).toBe(CANARY_SECRETS.MEMBRANE_MONGO_URI);
    expect(leakedCanaries(run.stdout + run.stderr)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('with the journal lost, --config finds what the installer made by its tags, and keeps the identity that was there before', async () => {
    await writeFile(join(work, 'qa.json'), JSON.stringify(answers(azure.subscription)));
    const installed = await runCli(['--name', 'qa', '--config', join(work, 'qa.json'), '--yes', '--state-dir', state()], env(), RUN_TIMEOUT_MS);
    expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
    expect(inventory().apps.filter((name) => name.includes('membrane-qa-'))).toHaveLength(7);
    await rm(join(state(), 'qa'), { recursive: true, force: true });

    const nothing = await uninstall('--name', 'qa', '--yes');
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('give the answers it was installed with: --config answers.json');

    const run = await uninstall('--name', 'qa', '--config', join(work, 'qa.json'), '--yes');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const title of ['Container App membrane-qa-api', 'Role "Key Vault Secrets User" of identity membrane-qa-runner', 'Identity membrane-qa-apps', 'Identity membrane-qa-web']) {
      expect(run.stdout).toContain(`✔ removed ${title}`);
    }
    expect(run.stdout).toContain('Identity membrane-qa-runner does not carry the tag membrane-deployment=qa');
    // Its grants went (the installer made them); the identity, the operator's before the install, stays.
    expect(inventory()).toEqual(before);
    expect(Object.keys(secrets().secrets).filter((name) => name.startsWith('membrane-qa-'))).toHaveLength(5);
    expect(leakedCanaries(run.stdout + run.stderr + (await readFile(join(state(), 'qa', 'audit.log'), 'utf8')))).toEqual([]);
  }, RUN_TIMEOUT_MS * 2);
});
