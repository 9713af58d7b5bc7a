// Proves the Azure test harness: the fake `az` (test/support/fake-az/az), run as the adapter will run it,
// through child processes with the fake first on PATH. It must accept exactly the options real az 2.7x
// accepts, fail as az fails (exit 2 for arguments, 3 for missing resources, 1 for service errors), keep
// state across processes (also under concurrency) and model Container Apps readiness and failure.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { az, AzCliError, azRun, startFakeAz, type FakeAz } from '../support/az.js';

const RG = 'rg-membrane';
const ENV_NAME = 'membrane-env';
const KV = 'kv-membrane-demo';
const SECRET_VALUE = 'canary-az-Vb8q2Lm4';

let fake: FakeAz;
let work: string;
let envId: string;
let domain: string;
let identity: { id: string; principalId: string; clientId: string };
let n = 0;

const env = () => fake.env;
/** The error of an az call that must fail. */
async function failure(args: string[], extraEnv: Record<string, string> = {}): Promise<AzCliError> {
  const error = await az({ ...env(), ...extraEnv }, args).then(() => undefined, (e: unknown) => e);
  expect(error, `az ${args.join(' ')} should fail`).toBeInstanceOf(AzCliError);
  return error as AzCliError;
}
/** Writes a JSON file and returns its path. */
async function file(name: string, content: unknown): Promise<string> {
  const path = join(work, `${++n}-${name}`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}
const kvUrl = (secret: string) => `https://${KV}.vault.azure.net/secrets/${secret}`;

/** The Container App resource our adapter will write with --yaml (as JSON). */
function appDoc(overrides: { image?: string; ingress?: Record<string, unknown> | null; env?: unknown[]; secrets?: unknown[]; cpu?: number; memory?: string; registries?: unknown[]; probes?: unknown[] } = {}) {
  return {
    location: 'eastus',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
    properties: {
      managedEnvironmentId: envId,
      configuration: {
        activeRevisionsMode: 'Single',
        ...(overrides.ingress !== null && { ingress: overrides.ingress ?? { external: true, targetPort: 5000, transport: 'auto' } }),
        secrets: overrides.secrets ?? [{ name: 'jwt-secret', keyVaultUrl: kvUrl('jwt-secret'), identity: identity.id }],
        registries: overrides.registries ?? [{ server: 'harbor.example.com', username: 'robot$acme', passwordSecretRef: 'jwt-secret' }],
      },
      template: {
        containers: [{
          name: 'api',
          image: overrides.image ?? 'harbor.example.com/core/api:1.0.0',
          env: overrides.env ?? [{ name: 'NODE_ENV', value: 'production' }, { name: 'SECRET', secretRef: 'jwt-secret' }],
          resources: { cpu: overrides.cpu ?? 1, memory: overrides.memory ?? '2Gi' },
          ...(overrides.probes && { probes: overrides.probes }),
        }],
        scale: { minReplicas: 1, maxReplicas: 3 },
      },
    },
    tags: { 'membrane-deployment': 'default' },
  };
}
async function createApp(name: string, doc: unknown = appDoc(), verb = 'create') {
  return az(env(), ['containerapp', verb, '-n', name, '-g', RG, '--yaml', await file(`${name}.yaml`, doc)]);
}

describe('the fake az', () => {
  beforeAll(async () => {
    fake = await startFakeAz({ resourceGroup: RG, environment: ENV_NAME, keyVault: KV, location: 'eastus', dnsZones: [{ name: 'example.org', resourceGroup: RG, recordSets: [{ name: 'www', type: 'A', values: ['203.0.113.7'] }] }] });
    work = await mkdtemp(join(tmpdir(), 'fake-az-test-'));
  });

  afterAll(async () => {
    await fake?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('strict arguments, as az parses them', () => {
    it('refuses a misspelled option with exit 2 and names it with its value', async () => {
      const e = await failure(['containerapp', 'create', '-n', 'x', '-g', RG, '--targt-port', '5000', '--yaml', 'f.yaml']);
      expect(e.exitCode).toBe(2);
      expect(e.stderr).toMatch(/^ERROR: unrecognized arguments: --targt-port 5000$/m);
      // An unambiguous prefix is not expanded either, nor are stray positionals accepted.
      expect((await failure(['group', 'show', '-n', RG, '--na', RG])).stderr).toContain(`unrecognized arguments: --na ${RG}`);
      // argparse reports missing required options before unrecognized ones.
      expect((await failure(['group', 'show', '--na', RG])).stderr).toContain('the following arguments are required: --name/-n/--resource-group/-g');
      expect((await failure(['group', 'show', '-n', RG, 'extra'])).stderr).toContain('unrecognized arguments: extra');
    });

    it('refuses a missing required option with exit 2', async () => {
      const e = await failure(['containerapp', 'create', '-g', RG, '--yaml', 'f.yaml']);
      expect(e.exitCode).toBe(2);
      expect(e.stderr).toContain('ERROR: the following arguments are required: --name/-n');
      expect((await failure(['keyvault', 'secret', 'set', '--vault-name', KV])).stderr).toContain('the following arguments are required: --name/-n');
      // ARM show commands take --ids instead, and say so.
      expect((await failure(['containerapp', 'show', '-g', RG])).stderr).toContain('(--name | --ids) are required');
    });

    it('validates enums (case-insensitively, like get_enum_type) and types', async () => {
      const ingress = await failure(['containerapp', 'create', '-n', 'x', '-g', RG, '--ingress', 'public']);
      expect(ingress.exitCode).toBe(2);
      expect(ingress.stderr).toContain("'public' is not a valid value for '--ingress'");
      const encoding = await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 's', '-f', 'x', '--encoding', 'utf8']);
      expect(encoding.exitCode).toBe(2);
      expect(encoding.stderr).toContain("'utf8' is not a valid value for '--encoding'");
      expect((await failure(['containerapp', 'logs', 'show', '-n', 'x', '-g', RG, '--type', 'app'])).exitCode).toBe(2);
      expect((await failure(['containerapp', 'logs', 'show', '-n', 'x', '-g', RG, '--tail', 'ten'])).stderr).toContain("argument --tail: invalid int value: 'ten'");
      expect((await failure(['group', 'show', '-n', RG, '-o', 'xml'])).exitCode).toBe(2);
      expect(await az(env(), ['group', 'show', '-n', RG, '-o', 'JSON'])).toMatchObject({ name: RG });
    });

    it('treats a value that starts with a dash as an option, as argparse does', async () => {
      const e = await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'dash', '--value', '-starts-with-dash']);
      expect(e.exitCode).toBe(2);
      expect(e.stderr).toContain('argument --value: expected one argument');
      expect(await az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'dash', '--value=-starts-with-dash'])).toMatchObject({ value: '-starts-with-dash' });
    });

    it('refuses unknown commands with exit 2 and never logs in', async () => {
      const e = await failure(['containerap', 'show']);
      expect(e.exitCode).toBe(2);
      expect(e.stderr).toMatch(/^ERROR: 'containerap' is misspelled or not recognized by the system\.$/m);
      expect((await failure(['containerapp', 'env', 'delete', '-n', 'x', '-g', RG])).stderr).toContain("'delete' is misspelled");
      const login = await failure(['login', '--use-device-code']);
      expect(login.exitCode).toBe(1);
      expect(login.stderr).toContain('never logs in');
    });

    it('supports --query as a plain field path and -o tsv, and refuses real JMESPath with exit 2', async () => {
      const id = await azRun(env(), ['containerapp', 'env', 'show', '-n', ENV_NAME, '-g', RG, '--query', 'id', '-o', 'tsv']);
      expect(id).toMatchObject({ exitCode: 0, stdout: `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.App/managedEnvironments/${ENV_NAME}\n` });
      const e = await failure(['containerapp', 'list', '-g', RG, '--query', "[?name=='api']"]);
      expect(e.exitCode).toBe(2);
      expect(e.stderr).toContain('--query supports only plain field paths');
      expect((await failure(['group', 'show', '-n', RG, '-o', 'table'])).stderr).toContain('not implemented');
    });
  });

  describe('account, groups, environments, vaults', () => {
    it('reports its version, with a knob for an older one', async () => {
      expect(await az(env(), ['version'])).toEqual({ 'azure-cli': '2.75.0', 'azure-cli-core': '2.75.0', 'azure-cli-telemetry': '1.1.0', extensions: { containerapp: '1.1.0b4' } });
      const old = await az({ ...env(), AZ_FAKE_VERSION: '2.60.0', AZ_FAKE_CONTAINERAPP_VERSION: '' }, ['version']);
      expect(old).toMatchObject({ 'azure-cli': '2.60.0', extensions: {} });
      expect((await failure(['version', '--subscription', 'x'])).exitCode).toBe(2);
    });

    it('shows the account, and says so when logged out', async () => {
      const account = await az(env(), ['account', 'show']);
      expect(account).toMatchObject({ id: fake.subscription, name: 'Fake Subscription', state: 'Enabled', tenantId: fake.tenantId, user: { name: 'deployer@example.com', type: 'user' } });
      expect(await az(env(), ['account', 'show', '--subscription', 'Fake Subscription'])).toMatchObject({ id: fake.subscription });
      expect((await failure(['account', 'show', '-s', 'other'])).stderr).toContain("Subscription 'other' not found");
      const out = await failure(['account', 'show'], { AZ_FAKE_LOGGED_OUT: '1' });
      expect(out.exitCode).toBe(1);
      expect(out.stderr).toContain("ERROR: Please run 'az login' to setup account.");
    });

    it('shows the seeded group, environment and vault; misses exit 3', async () => {
      expect(await az(env(), ['group', 'show', '--name', RG])).toEqual({
        id: `/subscriptions/${fake.subscription}/resourceGroups/${RG}`, location: 'eastus', managedBy: null, name: RG,
        properties: { provisioningState: 'Succeeded' }, tags: null, type: 'Microsoft.Resources/resourceGroups',
      });
      const missingGroup = await failure(['group', 'show', '-n', 'nope']);
      expect(missingGroup.exitCode).toBe(3);
      expect(missingGroup.stderr).toContain("(ResourceGroupNotFound) Resource group 'nope' could not be found.");

      const environment = await az(env(), ['containerapp', 'env', 'show', '-n', ENV_NAME, '-g', RG]);
      envId = environment.id;
      domain = environment.properties.defaultDomain;
      expect(envId).toBe(`/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.App/managedEnvironments/${ENV_NAME}`);
      expect(domain).toMatch(/^[a-z0-9-]+\.eastus\.azurecontainerapps\.io$/);
      expect(environment.properties.provisioningState).toBe('Succeeded');
      expect(await az(env(), ['containerapp', 'env', 'show', '--ids', envId])).toMatchObject({ id: envId });
      expect((await failure(['containerapp', 'env', 'show', '-n', 'nope', '-g', RG])).stderr).toContain("The Resource 'Microsoft.App/managedEnvironments/nope' under resource group");

      expect(await az(env(), ['keyvault', 'show', '-n', KV])).toMatchObject({
        id: `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${KV}`,
        name: KV, properties: { vaultUri: `https://${KV}.vault.azure.net/`, enableRbacAuthorization: true },
      });
      expect((await failure(['keyvault', 'show', '-n', 'nope', '-g', RG])).exitCode).toBe(3);
    });
  });

  describe('Key Vault secrets', () => {
    it('sets versions from a file (never from argv) and shows the latest', async () => {
      const first = await az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '--name', 'jwt-secret', '--file', await file('jwt', `${SECRET_VALUE}-v1`), '--encoding', 'utf-8']);
      expect(first).toMatchObject({ name: 'jwt-secret', value: `${SECRET_VALUE}-v1`, attributes: { enabled: true }, tags: { 'file-encoding': 'utf-8' } });
      expect(first.id).toMatch(new RegExp(`^https://${KV}\\.vault\\.azure\\.net/secrets/jwt-secret/[0-9a-f]{32}$`));
      const second = await az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'jwt-secret', '-f', await file('jwt', `${SECRET_VALUE}\n`)]);
      expect(second.id).not.toBe(first.id);
      // Python reads the file in text mode: the trailing newline is part of the secret.
      expect(await az(env(), ['keyvault', 'secret', 'show', '--vault-name', KV, '-n', 'jwt-secret'])).toMatchObject({ id: second.id, value: `${SECRET_VALUE}\n` });
      expect(await az(env(), ['keyvault', 'secret', 'show', '--id', first.id])).toMatchObject({ value: `${SECRET_VALUE}-v1` });
      expect(fake.state().keyVaults[KV].secrets['jwt-secret'].versions.map((v) => v.value)).toEqual([`${SECRET_VALUE}-v1`, `${SECRET_VALUE}\n`]);
      const base64 = await az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'blob', '-f', await file('blob', 'hi'), '-e', 'base64']);
      expect(base64).toMatchObject({ value: 'aGk=\n', tags: { 'file-encoding': 'base64' } });
      // No call ever carried the secret on its command line.
      expect(fake.calls().filter((c) => c.argv.join(' ').includes(SECRET_VALUE))).toEqual([]);
    });

    it('refuses an empty or double source, and misses with SecretNotFound (exit 3)', async () => {
      expect((await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'x', '--value', ''])).stderr).toContain('incorrect usage: [Required] --value VALUE | --file PATH');
      expect((await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'x', '--value', 'a', '-f', 'b'])).exitCode).toBe(2);
      expect((await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'bad_name', '--value', 'a'])).stderr).toContain('(BadParameter)');
      const missing = await failure(['keyvault', 'secret', 'show', '--vault-name', KV, '-n', 'nope']);
      expect(missing.exitCode).toBe(3);
      expect(missing.stderr).toContain('ERROR: (SecretNotFound) A secret with (name/id) nope was not found in this key vault.');
    });

    it('lands six concurrent secret sets without losing any', async () => {
      const sets = Array.from({ length: 6 }, async (_, i) =>
        az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '-n', `c${i % 3}`, '-f', await file(`c${i}`, `value-${i}`)]));
      const results = await Promise.all(sets);
      expect(new Set(results.map((r) => r.id)).size).toBe(6);
      const secrets = fake.state().keyVaults[KV].secrets;
      for (const name of ['c0', 'c1', 'c2']) expect(secrets[name].versions).toHaveLength(2);
      expect(Object.values(secrets).flatMap((s) => s.versions.map((v) => v.value)).filter((v) => v.startsWith('value-')).sort()).toEqual(
        ['value-0', 'value-1', 'value-2', 'value-3', 'value-4', 'value-5']);
      expect(fake.calls().filter((c) => c.argv[2] === 'set' && /^c\d$/.test(c.argv[6] ?? '') && c.exitCode === 0)).toHaveLength(6);
    });
  });

  describe('identities and role assignments', () => {
    it('creates an identity once; a second create returns it unchanged', async () => {
      const created = await az(env(), ['identity', 'create', '--name', 'membrane-id', '--resource-group', RG, '--tags', 'membrane=1']);
      expect(created).toMatchObject({ name: 'membrane-id', location: 'eastus', tenantId: fake.tenantId, type: 'Microsoft.ManagedIdentity/userAssignedIdentities' });
      expect(created.id).toBe(`/subscriptions/${fake.subscription}/resourcegroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/membrane-id`);
      expect(await az(env(), ['identity', 'create', '-n', 'membrane-id', '-g', RG])).toEqual(created);
      expect(await az(env(), ['identity', 'show', '-n', 'membrane-id', '-g', RG])).toEqual(created);
      expect((await failure(['identity', 'show', '-n', 'nope', '-g', RG])).exitCode).toBe(3);
      expect((await failure(['identity', 'create', '-n', 'x', '-g', RG, '--isolation-scope', 'Global'])).exitCode).toBe(2);
      identity = created;
    });

    it('assigns a role to the principal ID, refuses a duplicate and a client ID', async () => {
      const vaultId = `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${KV}`;
      const args = ['role', 'assignment', 'create', '--assignee-object-id', identity.principalId, '--assignee-principal-type', 'ServicePrincipal', '--role', 'Key Vault Secrets User', '--scope', vaultId];
      const created = await az(env(), args);
      expect(created).toMatchObject({ principalId: identity.principalId, principalType: 'ServicePrincipal', scope: vaultId, roleDefinitionId: expect.stringMatching(/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/) });
      const duplicate = await failure(args);
      expect(duplicate.exitCode).toBe(1);
      expect(duplicate.stderr).toContain('(RoleAssignmentExists) The role assignment already exists.');
      // The classic mistake: the client ID is not the principal (object) ID.
      const wrongId = await failure(['role', 'assignment', 'create', '--assignee-object-id', identity.clientId, '--role', 'Reader', '--scope', vaultId]);
      expect(wrongId.stderr).toContain('(PrincipalNotFound)');
      expect((await failure(['role', 'assignment', 'create', '--assignee-object-id', identity.principalId, '--assignee-principal-type', 'User', '--role', 'Reader', '--scope', vaultId])).stderr).toContain('(UnmatchedPrincipalType)');
      expect((await failure(['role', 'assignment', 'create', '--assignee-object-id', identity.principalId, '--role', 'Secrets Reader', '--scope', vaultId])).stderr).toContain("Role 'Secrets Reader' doesn't exist.");
      expect((await failure([...args, '-g', RG])).stderr).toContain(`unrecognized arguments: -g ${RG}`); // create has no -g in 2.7x

      expect(await az(env(), ['role', 'assignment', 'list', '--assignee', identity.principalId, '--scope', vaultId])).toEqual([
        expect.objectContaining({ principalId: identity.principalId, roleDefinitionName: 'Key Vault Secrets User', principalName: identity.clientId }),
      ]);
      expect(await az(env(), ['role', 'assignment', 'list', '--assignee', identity.principalId])).toEqual([]); // default scope: the subscription itself
      expect(await az(env(), ['role', 'assignment', 'list', '--all', '--role', 'Key Vault Secrets User'])).toHaveLength(1);
      expect((await failure(['role', 'assignment', 'list', '--all', '--scope', vaultId])).stderr).toContain('group or scope are not required when --all is used');
    });
  });

  describe('container apps', () => {
    it('creates an app from a JSON --yaml file, in progress, with its external FQDN', async () => {
      const app = await createApp('membrane-api');
      expect(app).toMatchObject({
        id: `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.App/containerapps/membrane-api`,
        name: 'membrane-api', location: 'eastus', type: 'Microsoft.App/containerApps', tags: { 'membrane-deployment': 'default' },
        identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: { principalId: identity.principalId, clientId: identity.clientId } } },
        properties: { provisioningState: 'InProgress', managedEnvironmentId: envId, latestReadyRevisionName: null,
          configuration: { ingress: { external: true, targetPort: 5000, fqdn: `membrane-api.${domain}` } } },
      });
      expect(app.properties.latestRevisionName).toMatch(/^membrane-api--[a-z0-9]{7}$/);
      expect(app.properties.configuration.secrets).toEqual([{ name: 'jwt-secret', keyVaultUrl: kvUrl('jwt-secret'), identity: identity.id }]);
      const internal = await createApp('membrane-worker', appDoc({ ingress: { external: false, targetPort: 5000 } }));
      expect(internal.properties.configuration.ingress.fqdn).toBe(`membrane-worker.internal.${domain}`);
    });

    it('becomes ready after K show/list reads, and one list call lists every app', async () => {
      const first = await az(env(), ['containerapp', 'show', '-n', 'membrane-api', '-g', RG]);
      expect(first.properties).toMatchObject({ provisioningState: 'InProgress', latestReadyRevisionName: null });
      const listed = await az(env(), ['containerapp', 'list', '-g', RG]);
      expect(listed.map((a: any) => a.name).sort()).toEqual(['membrane-api', 'membrane-worker']);
      const api = listed.find((a: any) => a.name === 'membrane-api');
      expect(api.properties).toMatchObject({ provisioningState: 'Succeeded', runningStatus: 'Running', latestReadyRevisionName: api.properties.latestRevisionName });
      const revision = await az(env(), ['containerapp', 'revision', 'show', '-n', 'membrane-api', '-g', RG, '--revision', api.properties.latestRevisionName]);
      expect(revision).toMatchObject({ name: api.properties.latestRevisionName, properties: { healthState: 'Healthy', runningState: 'Running', provisioningState: 'Provisioned', replicas: 1, active: true } });
      expect(revision.properties.createdTime).toEqual(expect.any(String));
      // The app name can come from the revision name, as in az.
      expect(await az(env(), ['containerapp', 'revision', 'show', '-g', RG, '--revision', api.properties.latestRevisionName])).toMatchObject({ name: revision.name });
      expect((await failure(['containerapp', 'revision', 'show', '-n', 'membrane-api', '-g', RG, '--revision', 'membrane-api--nope'])).exitCode).toBe(3);
      expect(await az({ ...env(), AZ_FAKE_READY_AFTER: '0' }, ['containerapp', 'list', '-g', RG, '--environment', ENV_NAME, '--query', '[].name'])).toHaveLength(2);
    });

    it('with readiness by time (ready.json), a new revision settles only once that long after it was created, however often it is read', async () => {
      const takes = 2_500;
      fake.setReadyAfterMs(takes);
      try {
        const creating = Date.now();
        const app = await createApp('membrane-slow');
        const created = Date.now();
        for (let read = 0; read < 3; read++) {
          const early = await az(env(), ['containerapp', 'list', '-g', RG]);
          expect(Date.now() - creating).toBeLessThan(takes);
          expect(early.find((a: any) => a.name === 'membrane-slow').properties).toMatchObject({ provisioningState: 'InProgress', latestReadyRevisionName: null });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, created + takes - Date.now())));
        const ready = await az(env(), ['containerapp', 'show', '-n', 'membrane-slow', '-g', RG]);
        expect(ready.properties).toMatchObject({ provisioningState: 'Succeeded', latestReadyRevisionName: app.properties.latestRevisionName });
      } finally {
        fake.setReadyAfterMs(null);
        await az(env(), ['containerapp', 'delete', '-n', 'membrane-slow', '-g', RG, '--yes']);
      }
    });

    it('keeps custom domains as ARM does: null until added, Disabled without a certificate, SniEnabled once bound; list shows them and the verification id', async () => {
      const fields = async () => (await az(env(), ['containerapp', 'list', '-g', RG])).find((a: any) => a.name === 'membrane-api').properties;
      const before = await fields();
      expect(before.configuration.ingress.customDomains).toBeNull();
      const environment = await az(env(), ['containerapp', 'env', 'show', '-n', ENV_NAME, '-g', RG]);
      expect(before.customDomainVerificationId).toBe(environment.properties.customDomainConfiguration.customDomainVerificationId);
      await az(env(), ['containerapp', 'hostname', 'add', '--name', 'membrane-api', '--resource-group', RG, '--hostname', 'api.example.com']);
      expect((await fields()).configuration.ingress.customDomains).toEqual([{ name: 'api.example.com', bindingType: 'Disabled' }]);
      await az(env(), ['containerapp', 'hostname', 'bind', '--name', 'membrane-api', '--resource-group', RG, '--hostname', 'api.example.com', '--environment', ENV_NAME, '--validation-method', 'CNAME']);
      expect((await fields()).configuration.ingress.customDomains).toEqual([
        { name: 'api.example.com', bindingType: 'SniEnabled', certificateId: `${envId}/managedCertificates/mc-api-example-com` },
      ]);
      expect((await failure(['containerapp', 'hostname', 'bind', '--name', 'membrane-api', '-g', RG, '--hostname', 'api.example.com', '--validation-method', 'DNS'])).exitCode).toBe(2);
    });

    it('cuts a new revision when the template changes, not when only configuration does', async () => {
      const before = fake.state().apps[`${RG}/membrane-api`];
      const updated = await createApp('membrane-api', appDoc({ image: 'harbor.example.com/core/api:1.1.0' }), 'update');
      expect(updated.properties.latestRevisionName).not.toBe(before.latest);
      expect(updated.properties.latestReadyRevisionName).toBe(before.latest);
      const configOnly = await createApp('membrane-api', { properties: { configuration: { ingress: { external: true, targetPort: 5000, transport: 'http' } } } }, 'update');
      expect(configOnly.properties.latestRevisionName).toBe(updated.properties.latestRevisionName);
      expect(configOnly.properties.configuration.ingress.transport).toBe('http');
      expect(configOnly.properties.template.containers[0].image).toBe('harbor.example.com/core/api:1.1.0'); // PATCH keeps the rest
      const missing = await failure(['containerapp', 'update', '-n', 'nope', '-g', RG, '--yaml', await file('u.yaml', appDoc())]);
      expect(missing.exitCode).toBe(3);
      expect(missing.stderr).toContain("ERROR: (ResourceNotFound) The Resource 'Microsoft.App/containerApps/nope' under resource group 'rg-membrane' was not found.");
      // create on an existing app is a PUT (an upsert): it replaces the body and keeps the app.
      const again = await createApp('membrane-worker', appDoc({ ingress: { external: true, targetPort: 8080 } }));
      expect(again.properties.configuration.ingress).toMatchObject({ targetPort: 8080, fqdn: `membrane-worker.${domain}` });
    });

    it('refuses what Azure refuses: unknown secretRef, bad sizes, missing targetPort, unreadable Key Vault secret', async () => {
      const ref = await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ env: [{ name: 'X', secretRef: 'missing-secret' }] }))]);
      expect(ref.exitCode).toBe(1);
      expect(ref.stderr).toContain("(ContainerAppSecretRefNotFound) SecretRef 'missing-secret' defined for container 'api' not found.");
      const registry = await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ registries: [{ server: 'harbor.example.com', username: 'u', passwordSecretRef: 'harbor' }] }))]);
      expect(registry.stderr).toContain("SecretRef 'harbor' defined for registry 'harbor.example.com' not found.");
      const size = await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ cpu: 1, memory: '1Gi' }))]);
      expect(size.stderr).toContain('(ContainerAppInvalidResourceTotal)');
      expect((await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ ingress: { external: true } }))])).stderr).toContain("Field 'configuration.ingress.targetPort'");
      const noRole = await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ secrets: [{ name: 'jwt-secret', keyVaultUrl: kvUrl('not-set'), identity: identity.id }] }))]);
      expect(noRole.stderr).toContain('Unable to get value using Managed identity');
      expect((await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', 'kind: containerapp\n')])).stderr).toContain('JSON subset of YAML');
      expect((await failure(['containerapp', 'create', '-n', 'Bad_Name', '-g', RG, '--yaml', await file('b.yaml', appDoc())])).stderr).toContain('Invalid ContainerApp name Bad_Name');
      // Probes within the REST spec's ranges only, one of each type.
      const httpGet = { path: '/', port: 5000 };
      const probe = async (probes: unknown[]) => (await failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('b.yaml', appDoc({ probes }))])).stderr;
      expect(await probe([{ type: 'Startup', httpGet, periodSeconds: 10, failureThreshold: 30 }])).toContain("Field 'template.containers.api.probes[0].failureThreshold' is invalid with details: 'Invalid value: 30: must be between 1 and 10'");
      expect(await probe([{ type: 'Liveness', httpGet, periodSeconds: 300 }])).toContain('probes[0].periodSeconds');
      expect(await probe([{ type: 'Liveness', httpGet, successThreshold: 2 }])).toContain('must be 1 for Liveness probes');
      expect(await probe([{ type: 'Readiness', httpGet }, { type: 'Readiness', httpGet }])).toContain('only one probe of each type');
      expect(fake.state().apps[`${RG}/bad`]).toBeUndefined();
    });

    it('refuses scale rules as ARM does: a name not a lowercase label, no trigger or two, a concurrency below 1', async () => {
      const withRules = (rules: unknown[]) => {
        const doc = appDoc();
        (doc.properties.template.scale as Record<string, unknown>).rules = rules;
        return doc;
      };
      const create = async (rules: unknown[]) => failure(['containerapp', 'create', '-n', 'bad', '-g', RG, '--yaml', await file('rules.yaml', withRules(rules))]);
      expect((await create([{ name: 'Concurrent HTTP Requests', http: { metadata: { concurrentRequests: '100' } } }])).stderr)
        .toContain("(ContainerAppInvalidPropertyValue) Property 'rules.name' has an invalid value 'Concurrent HTTP Requests'.");
      expect((await create([{ name: 'cpu-rule', type: 'cpu', metadata: { value: '50' } }])).stderr).toContain("The scale rule 'cpu-rule' provided for Container App 'bad' is invalid must have either Azure Queue or HTTP or Custom Rule specified.");
      expect((await create([{ name: 'two', http: { metadata: {} }, tcp: { metadata: {} } }])).stderr).toContain("The scale rule 'two'");
      expect((await create([{ name: 'http-scaling', http: { metadata: { concurrentRequests: '0' } } }])).stderr).toContain("Field 'template.scale.rules.http-scaling.metadata.concurrentRequests'");
      expect(fake.state().apps[`${RG}/bad`]).toBeUndefined();
      const good = await createApp('membrane-scaled', withRules([{ name: 'http-scaling', http: { metadata: { concurrentRequests: '100' } } }]));
      expect(good.properties.template.scale.rules).toEqual([{ name: 'http-scaling', http: { metadata: { concurrentRequests: '100' } } }]);
    });

    it('fails the latest revision through the failure knob, and heals on the next one', async () => {
      const app = await createApp('membrane-api', appDoc({ image: 'harbor.example.com/core/api:2.0.0-broken' }), 'update');
      fake.setFailure('membrane-api', "Container 'api' crashed: exit code 1");
      await az(env(), ['containerapp', 'show', '-n', 'membrane-api', '-g', RG]);
      const settled = await az(env(), ['containerapp', 'show', '-n', 'membrane-api', '-g', RG]);
      expect(settled.properties.provisioningState).toBe('Succeeded');
      expect(settled.properties.latestReadyRevisionName).not.toBe(app.properties.latestRevisionName);
      const revision = await az(env(), ['containerapp', 'revision', 'show', '-n', 'membrane-api', '-g', RG, '--revision', app.properties.latestRevisionName]);
      expect(revision.properties).toMatchObject({ healthState: 'Unhealthy', runningState: 'Failed', runningStateDetails: "Container 'api' crashed: exit code 1" });
      fake.setFailure('membrane-api', null);
      const fixed = await createApp('membrane-api', appDoc({ image: 'harbor.example.com/core/api:2.0.1' }), 'update');
      const healed = await az({ ...env(), AZ_FAKE_READY_AFTER: '1' }, ['containerapp', 'show', '-n', 'membrane-api', '-g', RG]);
      expect(healed.properties.latestReadyRevisionName).toBe(fixed.properties.latestRevisionName);
    });

    it('keeps a provisioned revision Activating for AZ_FAKE_ACTIVATE_AFTER reads: the app Succeeded, its revision not ready yet', async () => {
      const activating = { ...env(), AZ_FAKE_READY_AFTER: '1', AZ_FAKE_ACTIVATE_AFTER: '2' };
      const made = await az(activating, ['containerapp', 'create', '-n', 'membrane-slow', '-g', RG, '--yaml', await file('membrane-slow.yaml', appDoc())]);
      const show = () => az(activating, ['containerapp', 'show', '-n', 'membrane-slow', '-g', RG]);
      const revision = made.properties.latestRevisionName;
      // azure-cli-extensions#6251: provisioningState Succeeded does not mean the revision is healthy.
      expect((await show()).properties).toMatchObject({ provisioningState: 'Succeeded', latestRevisionName: revision, latestReadyRevisionName: null });
      expect((await az(activating, ['containerapp', 'revision', 'show', '-n', 'membrane-slow', '-g', RG, '--revision', revision])).properties)
        .toMatchObject({ provisioningState: 'Provisioned', healthState: 'None', runningState: 'Activating', replicas: 0, trafficWeight: 0 });
      expect((await show()).properties.latestReadyRevisionName).toBeNull();
      expect((await show()).properties.latestReadyRevisionName).toBe(revision);
      expect((await az(activating, ['containerapp', 'revision', 'show', '-n', 'membrane-slow', '-g', RG, '--revision', revision])).properties)
        .toMatchObject({ healthState: 'Healthy', runningState: 'Running', replicas: 1 });
      await az(env(), ['containerapp', 'delete', '-n', 'membrane-slow', '-g', RG, '--yes']);
    });

    it('prints canned or configured log lines', async () => {
      const canned = await azRun(env(), ['containerapp', 'logs', 'show', '-n', 'membrane-api', '-g', RG, '--tail', '2', '--format', 'json']);
      expect(canned.exitCode).toBe(0);
      const lines = canned.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(2);
      expect(lines[1].Log).toContain('Server listening');
      fake.setLogs('membrane-api', ['boot', 'MongoServerSelectionError: connection refused']);
      const text = await azRun(env(), ['containerapp', 'logs', 'show', '-n', 'membrane-api', '-g', RG, '--type', 'console', '--format', 'text', '--follow', 'false']);
      expect(text.stdout).toMatch(/MongoServerSelectionError: connection refused\n$/);
      expect((await failure(['containerapp', 'logs', 'show', '-n', 'nope', '-g', RG])).exitCode).toBe(3);
    });

    it('never shows secret values of the app unless asked', async () => {
      await createApp('literal', appDoc({ secrets: [{ name: 'jwt-secret', value: SECRET_VALUE }] }));
      const shown = await azRun(env(), ['containerapp', 'show', '-n', 'literal', '-g', RG]);
      expect(shown.stdout).not.toContain(SECRET_VALUE);
      expect(JSON.parse((await azRun(env(), ['containerapp', 'show', '-n', 'literal', '-g', RG, '--show-secrets'])).stdout).properties.configuration.secrets[0].value).toBe(SECRET_VALUE);
    });

    it('lets an identity granted one secret (scope VAULT_ID/secrets/NAME) reference that secret and no other', async () => {
      const vaultId = `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${KV}`;
      const reader = await az(env(), ['identity', 'create', '-n', 'membrane-one-secret', '-g', RG]);
      await az(env(), ['role', 'assignment', 'create', '--assignee-object-id', reader.principalId, '--assignee-principal-type', 'ServicePrincipal',
        '--role', 'Key Vault Secrets User', '--scope', `${vaultId}/secrets/jwt-secret`]);
      const only = (secret: string) => ({
        ...appDoc({ secrets: [{ name: 'the-secret', keyVaultUrl: kvUrl(secret), identity: reader.id }], env: [{ name: 'SECRET', secretRef: 'the-secret' }], registries: [] }),
        identity: { type: 'UserAssigned', userAssignedIdentities: { [reader.id]: {} } },
      });
      expect((await createApp('membrane-one-secret', only('jwt-secret'))).properties.configuration.secrets).toEqual([{ name: 'the-secret', keyVaultUrl: kvUrl('jwt-secret'), identity: reader.id }]);
      const other = await failure(['containerapp', 'update', '-n', 'membrane-one-secret', '-g', RG, '--yaml', await file('o.yaml', only('blob'))]);
      expect(other.exitCode).toBe(1);
      expect(other.stderr).toContain(`ERROR: (InvalidParameterValueInContainerTemplate) The following field(s) are either invalid or missing. Field 'configuration.secrets' is invalid with details: 'Invalid value: "the-secret": Unable to get value using Managed identity ${reader.id} for secret the-secret.`);
    });

    it('refuses Key Vault references while a new role assignment propagates (AZ_FAKE_KV_PROPAGATION_FAILURES), then accepts them', async () => {
      const knob = { AZ_FAKE_KV_PROPAGATION_FAILURES: '2' };
      const vaultId = `/subscriptions/${fake.subscription}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${KV}`;
      await az({ ...env(), ...knob }, ['role', 'assignment', 'create', '--assignee-object-id', identity.principalId, '--assignee-principal-type', 'ServicePrincipal',
        '--role', 'Key Vault Secrets User', '--scope', `${vaultId}/secrets/blob`]);
      // An app without Key Vault references is not held up.
      await createApp('membrane-plain', appDoc({ secrets: [{ name: 'jwt-secret', value: 'plain' }] }));
      for (let attempt = 1; attempt <= 2; attempt++) {
        const waiting = await failure(['containerapp', 'create', '-n', 'membrane-propagating', '-g', RG, '--yaml', await file('p.yaml', appDoc())]);
        expect(waiting.exitCode, `attempt ${attempt}`).toBe(1);
        expect(waiting.stderr).toContain(`Unable to get value using Managed identity ${identity.id} for secret jwt-secret. Error: unable to fetch secret 'jwt-secret' using Managed identity '${identity.id}'`);
      }
      expect(fake.state().apps[`${RG}/membrane-propagating`]).toBeUndefined();
      expect(await createApp('membrane-propagating')).toMatchObject({ name: 'membrane-propagating' });
    });
  });
  describe('Azure DNS, custom domains and managed certificates', () => {
    const zone = ['--resource-group', RG, '--zone-name', 'example.org'];
    it('lists the subscription\'s zones with their group; record-set list shows SOA, NS and the seeded records', async () => {
      expect(await az(env(), ['network', 'dns', 'zone', 'list'])).toEqual([expect.objectContaining({ name: 'example.org', resourceGroup: RG, zoneType: 'Public' })]);
      expect((await failure(['network', 'dns', 'zone', 'list', '--zone-name', 'example.org'])).exitCode).toBe(2);
      const sets = await az(env(), ['network', 'dns', 'record-set', 'list', ...zone]);
      expect(sets.map((set: any) => `${set.name} ${set.type}`)).toEqual(['@ Microsoft.Network/dnszones/SOA', '@ Microsoft.Network/dnszones/NS', 'www Microsoft.Network/dnszones/A']);
      expect((await failure(['network', 'dns', 'record-set', 'list', '-g', RG, '-z', 'nope.example'])).exitCode).toBe(3);
    });

    it('creates CNAME and TXT record sets; --if-none-match refuses an existing one; a CNAME never sits beside another type', async () => {
      const cname = await az(env(), ['network', 'dns', 'record-set', 'cname', 'set-record', ...zone, '--record-set-name', 'api', '--cname', 'membrane-api.example.net', '--if-none-match']);
      expect(cname).toMatchObject({ name: 'api', fqdn: 'api.example.org.', CNAMERecord: { cname: 'membrane-api.example.net' }, type: 'Microsoft.Network/dnszones/CNAME' });
      const again = await failure(['network', 'dns', 'record-set', 'cname', 'set-record', ...zone, '--record-set-name', 'api', '--cname', 'other.example.net', '--if-none-match']);
      expect(again.stderr).toContain('(PreconditionFailed) The Record set api exists already');
      expect((await failure(['network', 'dns', 'record-set', 'cname', 'set-record', ...zone, '--record-set-name', 'www', '--cname', 'x.example.net'])).stderr).toContain('A CNAME record set cannot coexist');
      const txt = await az(env(), ['network', 'dns', 'record-set', 'txt', 'add-record', ...zone, '--record-set-name', 'asuid.api', '--value', 'abc', '--if-none-match']);
      expect(txt).toMatchObject({ name: 'asuid.api', TXTRecords: [{ value: ['abc'] }] });
      expect((await failure(['network', 'dns', 'record-set', 'txt', 'add-record', ...zone, '--record-set-name', 'asuid.api', '--value', 'abc', '--ttl', '300'])).exitCode).toBe(2);
    });

    it('adds a hostname in one of its zones only when the CNAME and asuid TXT are there; bind issues a managed certificate, Pending at first', async () => {
      const api = await az(env(), ['containerapp', 'show', '-n', 'membrane-api', '-g', RG]);
      const host = ['--name', 'membrane-api', '--resource-group', RG, '--hostname', 'app.example.org'];
      expect((await failure(['containerapp', 'hostname', 'add', ...host])).stderr).toContain(`A TXT record pointing from asuid.app.example.org to ${api.properties.customDomainVerificationId} was not found.`);
      await az(env(), ['network', 'dns', 'record-set', 'txt', 'add-record', ...zone, '-n', 'asuid.app', '-v', api.properties.customDomainVerificationId]);
      expect((await failure(['containerapp', 'hostname', 'add', ...host])).stderr).toContain(`A CNAME record pointing from app.example.org to ${api.properties.configuration.ingress.fqdn} was not found.`);
      await az(env(), ['network', 'dns', 'record-set', 'cname', 'set-record', ...zone, '-n', 'app', '-c', api.properties.configuration.ingress.fqdn]);
      expect((await failure(['containerapp', 'hostname', 'bind', ...host, '--environment', ENV_NAME, '--validation-method', 'CNAME'])).stderr).toContain("requires hostname 'app.example.org' added as a custom hostname");
      await az(env(), ['containerapp', 'hostname', 'add', ...host]);
      await az(env(), ['containerapp', 'hostname', 'bind', ...host, '--environment', ENV_NAME, '--validation-method', 'CNAME']);
      const certificates = ['containerapp', 'env', 'certificate', 'list', '--name', ENV_NAME, '--resource-group', RG, '--managed-certificates-only'];
      const pending = { ...env(), AZ_FAKE_CERT_READY_AFTER: '2' };
      const subject = (list: any[]) => list.find((c) => c.properties.subjectName === 'app.example.org').properties.provisioningState;
      expect(subject(await az(pending, certificates))).toBe('Pending');
      expect(subject(await az(pending, certificates))).toBe('Succeeded');
    });
  });

  // What uninstall runs, with the real commands' confirmation and not-found behaviour.
  describe('removals', () => {
    const zone = ['--resource-group', RG, '--zone-name', 'example.org'];
    it('deletes a hostname, then the app, only with --yes; an app that is gone deletes quietly (ARM 204)', async () => {
      const host = ['--name', 'membrane-api', '--resource-group', RG, '--hostname', 'app.example.org'];
      expect((await failure(['containerapp', 'hostname', 'delete', ...host])).stderr).toContain('Unable to prompt for confirmation as no tty available. Use --yes.');
      expect((await az(env(), ['containerapp', 'hostname', 'delete', ...host, '--yes'])).map((d: any) => d.name)).not.toContain('app.example.org');
      const again = await failure(['containerapp', 'hostname', 'delete', ...host, '--yes']);
      expect([again.exitCode, again.stderr]).toEqual([3, expect.stringContaining("The hostname 'app.example.org' in Container app 'membrane-api' was not found.")]);
      const app = ['containerapp', 'delete', '--name', 'membrane-api', '--resource-group', RG];
      expect((await failure(app)).stderr).toContain('Use --yes.');
      expect((await azRun(env(), [...app, '--yes'])).exitCode).toBe(0);
      expect((await failure(['containerapp', 'show', '-n', 'membrane-api', '-g', RG])).exitCode).toBe(3);
      expect(await azRun(env(), [...app, '--yes'])).toMatchObject({ exitCode: 0, stdout: '' });
    });

    it('removes one DNS record of its set; the set goes with its last record; a missing set is not found (exit 3)', async () => {
      const txt = ['network', 'dns', 'record-set', 'txt', 'remove-record', ...zone, '--record-set-name', 'asuid.api'];
      expect((await failure([...txt, '--value', 'other'])).stderr).toContain("Record {'value': ['other']} not found.");
      expect(await azRun(env(), [...txt, '--value', 'abc'])).toMatchObject({ exitCode: 0 });
      expect((await failure([...txt, '--value', 'abc'])).exitCode).toBe(3);
      const cname = ['network', 'dns', 'record-set', 'cname', 'remove-record', ...zone, '--record-set-name', 'api', '--cname', 'membrane-api.example.net'];
      expect((await failure([...cname, '--yes'])).exitCode).toBe(2);
      expect((await azRun(env(), cname)).exitCode).toBe(0);
      const sets = await az(env(), ['network', 'dns', 'record-set', 'list', ...zone]);
      expect(sets.map((set: any) => set.name)).not.toContain('api');
    });

    it('deletes role assignments by id (one gone already is fine); filters that match none are an error', async () => {
      const assignments = await az(env(), ['role', 'assignment', 'list', '--all', '--assignee', identity.principalId]);
      const byIds = ['role', 'assignment', 'delete', '--ids', ...assignments.map((a: any) => a.id)];
      expect((await failure([...byIds, '--role', 'Reader'])).stderr).toContain('When assignment ids are used, other parameter values are not required');
      expect((await azRun(env(), byIds)).exitCode).toBe(0);
      expect((await azRun(env(), byIds)).exitCode).toBe(0);
      expect(await az(env(), ['role', 'assignment', 'list', '--all', '--assignee', identity.principalId])).toEqual([]);
      expect((await failure(['role', 'assignment', 'delete', '--assignee', identity.principalId, '--role', 'Reader'])).stderr).toContain('No matched assignments were found to delete');
    });

    it('deletes an identity without asking; one that is gone deletes quietly', async () => {
      const remove = ['identity', 'delete', '--name', 'membrane-id', '--resource-group', RG];
      expect((await failure([...remove, '--yes'])).exitCode).toBe(2);
      expect((await azRun(env(), remove)).exitCode).toBe(0);
      expect((await failure(['identity', 'show', '-n', 'membrane-id', '-g', RG])).exitCode).toBe(3);
      expect((await azRun(env(), remove)).exitCode).toBe(0);
    });

    it('soft-deletes a secret: gone from show and list, its name taken until it is recovered with its value', async () => {
      const path = await file('value.txt', SECRET_VALUE);
      await az(env(), ['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'soft', '-f', path, '--tags', 'membrane-deployment=default']);
      const listed = await az(env(), ['keyvault', 'secret', 'list', '--vault-name', KV]);
      expect(listed.find((s: any) => s.name === 'soft')).toMatchObject({ tags: { 'membrane-deployment': 'default' } });
      expect(JSON.stringify(listed)).not.toContain(SECRET_VALUE);
      const deleted = await az(env(), ['keyvault', 'secret', 'delete', '--vault-name', KV, '--name', 'soft']);
      expect(deleted).toMatchObject({ name: 'soft', recoveryId: `https://${KV}.vault.azure.net/deletedsecrets/soft`, value: null });
      expect((await failure(['keyvault', 'secret', 'show', '--vault-name', KV, '-n', 'soft'])).exitCode).toBe(3);
      expect((await failure(['keyvault', 'secret', 'delete', '--vault-name', KV, '-n', 'soft'])).exitCode).toBe(3);
      expect((await failure(['keyvault', 'secret', 'set', '--vault-name', KV, '-n', 'soft', '-f', path])).stderr).toContain('is currently in a deleted but recoverable state');
      await az(env(), ['keyvault', 'secret', 'recover', '--vault-name', KV, '--name', 'soft']);
      expect(await az(env(), ['keyvault', 'secret', 'show', '--vault-name', KV, '-n', 'soft'])).toMatchObject({ value: SECRET_VALUE });
    });
  });
});
