// A full Container Apps install with the built CLI against the strict fake `az` (no real az can
// run here), asserted from the fake's state and the argv it received; then a re-run that must
// change nothing, a failing revision, and an install killed with SIGKILL that `resume` completes.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_VAULT_TRIES } from '../../source/clouds/azure/propagation.js';
import { recordedEndpoints } from '../../source/clouds/endpoints.js';
import { SERVICES } from '../../source/membrane/services.js';
import { azRun, azureAnswers, type FakeAz, startFakeAz } from '../support/az.js';
import { CANARY_MARKERS, CANARY_SECRETS, leakedCanaries, readTree, runCli, type CliRun } from '../support/cli.js';
import { auditLines, MARKER_VAR, runAndKill, servicesInAuditOrder, upgradeKilledThenResumed, waitForOrphans, wavesOf } from '../support/kill.js';

const RUN_TIMEOUT_MS = 300_000;
const VAULT = 'membrane-vault';
const RG = 'membrane-rg';
const SECRET_VALUES: Record<string, string> = {
  'membrane-jwt-secret': CANARY_SECRETS.MEMBRANE_SECRET,
  'membrane-encryption-secret': CANARY_SECRETS.MEMBRANE_ENCRYPTION_SECRET,
  'membrane-mongo-uri': CANARY_SECRETS.MEMBRANE_MONGO_URI,
  'membrane-redis-uri': CANARY_SECRETS.MEMBRANE_REDIS_URI,
  'membrane-registry-password': CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD,
};

let azure: FakeAz;
let work: string;
let first: CliRun;
let firstSeconds: number;

const answers = (subscription: string) => azureAnswers(subscription, { resourceGroup: RG, keyVault: VAULT });
const cliEnv = (extra: Record<string, string> = {}) => ({ ...azure.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50', ...extra });
const installArgs = (stateDir: string) => ['--config', join(work, 'answers.json'), '--yes', '--state-dir', stateDir];
const app = (service: string) => azure.state().apps[`${RG}/membrane-${service}`]!.resource;
/** The endpoints the last run of STATE_DIR's default deployment recorded in its journal. */
const recorded = async (stateDir: string) => {
  const journal = JSON.parse(await readFile(join(stateDir, 'default', 'journal.json'), 'utf8'));
  return recordedEndpoints(journal.state.steps.endpoints.outputs)!;
};
/** az calls that change something. */
const changing = (calls: { argv: string[] }[]) =>
  calls.map((call) => call.argv.slice(0, 4).join(' ')).filter((cmd) => /(create|update|set)$/.test(cmd) || / (create|update|set) /.test(`${cmd} `));

beforeAll(async () => {
  azure = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: VAULT, location: 'eastus' });
  work = await mkdtemp(join(tmpdir(), 'membrane-azure-'));
  await writeFile(join(work, 'answers.json'), JSON.stringify(answers(azure.subscription)));
  const started = Date.now();
  first = await runCli(installArgs(join(work, 'state')), cliEnv(), RUN_TIMEOUT_MS);
  firstSeconds = (Date.now() - started) / 1000;
}, RUN_TIMEOUT_MS);

afterAll(async () => {
  await azure?.stop();
});

describe('install on Azure Container Apps against the strict fake az', () => {
  it('exits 0 once every app is running', async () => {
    expect(first.stderr).toBe('');
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.stdout).toContain('7/7 healthy');
    // Container Apps has no load balancer: the end screen names each app's FQDN and the records its custom domain needs.
    expect(first.stdout).not.toMatch(/load balancer/i);
    expect(first.stdout).toMatch(new RegExp(`asuid\\.api\\.example\\.com\\s+TXT\\s+${app('api').properties.customDomainVerificationId}`));
    expect(first.stdout).toContain(`api.example.com: on the platform at ${app('api').properties.configuration.ingress.fqdn}`);
    console.info(`Container Apps install: ${firstSeconds.toFixed(1)} s, ${(await auditLines(join(work, 'state', 'default', 'audit.log'))).length} az calls`);
  });

  it('stores each secret in Key Vault once', () => {
    const secrets = azure.state().keyVaults[VAULT]!.secrets;
    expect(Object.keys(secrets).sort()).toEqual(Object.keys(SECRET_VALUES).sort());
    for (const [name, value] of Object.entries(SECRET_VALUES)) expect(secrets[name]!.versions.map((v) => v.value), name).toEqual([value]);
  });

  it('grants "Key Vault Secrets User" per secret: the runner\'s own identity reads the registry password and no engine secret', () => {
    const state = azure.state();
    const vaultId = state.keyVaults[VAULT]!.resource.id;
    const runner = state.identities[`${RG}/membrane-runner`]!;
    expect(app('custom-code-runner').identity.userAssignedIdentities).toEqual({ [runner.id]: expect.anything() });
    expect(state.roleAssignments.filter((a) => a.principalId === runner.principalId).map((a) => [a.roleDefinitionName, a.scope]))
      .toEqual([['Key Vault Secrets User', `${vaultId}/secrets/membrane-registry-password`]]);
    // Nobody reads the whole vault.
    expect(state.roleAssignments.filter((a) => !a.scope.startsWith(`${vaultId}/secrets/`))).toEqual([]);
  });

  it('lets each app\'s identity read exactly the secrets its document references', () => {
    const state = azure.state();
    const vault = state.keyVaults[VAULT]!;
    const within = (scope: string, id: string) => id.toLowerCase() === scope.toLowerCase() || id.toLowerCase().startsWith(`${scope.toLowerCase()}/`);
    for (const spec of SERVICES) {
      const resource = app(spec.id);
      const [identityId] = Object.keys(resource.identity.userAssignedIdentities);
      const identity = Object.values(state.identities).find((i) => i.id === identityId)!;
      const grants = state.roleAssignments.filter((a) => a.principalId === identity.principalId && a.roleDefinitionName === 'Key Vault Secrets User');
      const readable = Object.values(vault.secrets).map((secret) => secret.name).filter((name) => grants.some((a) => within(a.scope, `${vault.resource.id}/secrets/${name}`)));
      // https://VAULT.vault.azure.net/secrets/NAME/VERSION: the name, pinned to a version.
      const referenced = resource.properties.configuration.secrets.map((secret: any) => secret.keyVaultUrl.split('/secrets/')[1].split('/')[0]);
      expect(readable.sort(), spec.id).toEqual([...referenced].sort());
    }
  });

  it('creates seven apps with ingress per service, sizes, scale and every secret wired by secretref from Key Vault', () => {
    const identityOf = (service: string) => azure.state().identities[`${RG}/membrane-${service === 'custom-code-runner' ? 'runner' : service === 'ui' || service === 'console' ? 'web' : 'apps'}`]!.id;
    const runnerFqdn = app('custom-code-runner').properties.configuration.ingress.fqdn;
    expect(runnerFqdn).toMatch(/^membrane-custom-code-runner\.internal\./);
    for (const spec of SERVICES) {
      const resource = app(spec.id);
      const { configuration, template } = resource.properties;
      if (spec.exposure === 'none') expect(configuration.ingress ?? null, spec.id).toBeNull();
      else expect(configuration.ingress, spec.id).toMatchObject({ external: spec.exposure === 'public', targetPort: 5000 });
      expect(Object.keys(resource.identity.userAssignedIdentities), spec.id).toEqual([identityOf(spec.id)]);
      expect(configuration.registries).toEqual([{ server: 'harbor.integration.app', username: 'robot$core+acme', passwordSecretRef: 'registry-password' }]);
      for (const secret of configuration.secrets) {
        expect(secret.keyVaultUrl, `${spec.id} ${secret.name}`).toMatch(new RegExp(`^https://${VAULT}\\.vault\\.azure\\.net/secrets/membrane-[a-z0-9-]+/[0-9a-f]{32}$`));
        expect(secret.value, `${spec.id} ${secret.name}`).toBeUndefined();
      }
      const [container] = template.containers;
      expect(container.image).toBe(`harbor.integration.app/${spec.image}:2025-09-19`);
      // autoscaling.md: min 2, each service's max (the orchestrator fixed), the docs' HTTP rule on the public apps.
      expect(template.scale, spec.id).toEqual({
        minReplicas: 2,
        maxReplicas: spec.scaling.defaultMaxReplicas,
        rules: spec.exposure === 'public' ? [{ name: 'http-scaling', http: { metadata: { concurrentRequests: '100' } } }] : [],
      });
      // The guide's health check as probes on the service's own path, within Azure's ranges.
      const httpGet = { path: spec.healthPath, port: 5000 };
      expect(container.probes, spec.id).toEqual([
        { type: 'Startup', httpGet, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 10 },
        { type: 'Liveness', httpGet, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
        { type: 'Readiness', httpGet, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
      ]);
      const refs = container.env.filter((e: any) => e.secretRef).map((e: any) => `${e.name}=${e.secretRef}`);
      if (spec.image === 'core/api') {
        expect(refs, spec.id).toEqual(['SECRET=jwt-secret', 'ENCRYPTION_SECRET=encryption-secret', 'MONGO_URI=mongo-uri', 'REDIS_URI=redis-uri']);
        expect(container.env.find((e: any) => e.name === 'CUSTOM_CODE_RUNNER_URI').value).toBe(`https://${runnerFqdn}`);
        expect(container.resources).toMatchObject({ cpu: spec.id === 'api' ? 1 : 1, memory: '2Gi' });
      } else {
        expect(refs, spec.id).toEqual([]);
      }
      for (const marker of CANARY_MARKERS) expect(JSON.stringify(resource), spec.id).not.toContain(marker);
    }
  });

  it('records each public app\'s FQDN, the CNAME and asuid TXT records, and no TLS yet', async () => {
    const endpoints = await recorded(join(work, 'state'));
    expect(endpoints.services.map((e) => [e.host, e.target, e.tls.ok])).toEqual(
      (['api', 'ui', 'console'] as const).map((service) => [`${service}.example.com`, app(service).properties.configuration.ingress.fqdn, false]),
    );
    for (const service of ['api', 'ui', 'console']) {
      expect(endpoints.records).toContainEqual({ name: `${service}.example.com`, type: 'CNAME', value: app(service).properties.configuration.ingress.fqdn });
      // The value Azure checks: the app's customDomainVerificationId (the environment shows the same).
      expect(endpoints.records).toContainEqual({ name: `asuid.${service}.example.com`, type: 'TXT', value: app(service).properties.customDomainVerificationId });
    }
    expect(endpoints.records).toHaveLength(6);
  });

  it('prints custom-domain commands that az accepts: hostname add and bind for each public app', async () => {
    const commands = first.stdout.split('\n').flatMap((line) => line.match(/^\s+(az containerapp hostname .*)$/)?.[1] ?? []);
    expect(commands).toHaveLength(6);
    for (const command of commands) {
      const run = await azRun(azure.env, command.split(' ').slice(1));
      expect(run.exitCode, `${command}: ${run.stderr}`).toBe(0);
    }
    for (const service of ['api', 'ui', 'console']) {
      expect(app(service).properties.configuration.ingress.customDomains, service).toEqual([expect.objectContaining({ name: `${service}.example.com`, bindingType: 'SniEnabled' })]);
    }
  });

  it('never put a secret value in any argv az received, the state, the audit log or the output', async () => {
    const argvs = JSON.stringify(azure.calls().map((call) => call.argv));
    expect(leakedCanaries(argvs)).toEqual([]);
    const files = [...(await readTree(join(work, 'state'))).values()].join('\n');
    expect(leakedCanaries(first.stdout + first.stderr + files)).toEqual([]);
  });

  it('changes nothing on a second run', async () => {
    const before = azure.calls().length;
    const again = await runCli(installArgs(join(work, 'state')), cliEnv(), RUN_TIMEOUT_MS);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('7/7 healthy');
    expect(changing(azure.calls().slice(before))).toEqual([]);
    for (const spec of SERVICES) expect(Object.keys(azure.state().apps[`${RG}/membrane-${spec.id}`]!.revisions), spec.id).toHaveLength(1);
    // The domains bound above: the endpoints read again says so, and asks for no more commands.
    const endpoints = await recorded(join(work, 'state'));
    expect(endpoints.services.map((e) => e.tls)).toEqual(['api', 'ui', 'console'].map((service) => ({ ok: true, detail: `custom domain of membrane-${service}, bound with managed certificate mc-${service}-example-com` })));
    expect(again.stdout).not.toContain('az containerapp hostname');
  }, RUN_TIMEOUT_MS);

  it('diff: exit 0 after the install with reads only; exit 1 once an app is scaled by hand', async () => {
    const diff = () => runCli(['diff', '--state-dir', join(work, 'state'), '--json'], cliEnv(), RUN_TIMEOUT_MS);
    const before = azure.calls().length;
    const same = await diff();
    expect(same.exitCode, same.stdout + same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ cloud: 'azure', equal: true, differences: 0 });
    expect(changing(azure.calls().slice(before))).toEqual([]);

    // As the portal does it: the app's own document with one field changed, the installer's tags kept.
    const shown = JSON.parse((await azRun(azure.env, ['containerapp', 'show', '--name', 'membrane-queued-worker', '--resource-group', RG, '--subscription', azure.subscription])).stdout);
    shown.properties.template.scale.minReplicas = 1;
    await writeFile(join(work, 'scaled.yaml'), JSON.stringify(shown));
    const scaled = await azRun(azure.env, ['containerapp', 'update', '--name', 'membrane-queued-worker', '--resource-group', RG, '--yaml', join(work, 'scaled.yaml'), '--subscription', azure.subscription]);
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    const after = azure.calls().length;
    const drifted = await diff();
    expect(drifted.exitCode, drifted.stdout + drifted.stderr).toBe(1);
    const differing = JSON.parse(drifted.stdout).steps.filter((step: { status: string }) => step.status !== 'same');
    expect(differing.map((step: { id: string }) => step.id)).toEqual(['app:queued-worker']);
    expect(differing[0].command.slice(0, 3)).toEqual(['az', 'containerapp', 'update']);
    expect(differing[0].why).toBe('min replicas 1 → 2');
    // The app still runs with one replica: diff changed nothing.
    expect(changing(azure.calls().slice(after))).toEqual([]);
    expect(app('queued-worker').properties.template.scale.minReplicas).toBe(1);
  }, RUN_TIMEOUT_MS);

  it('rolls back an upgrade whose api revision does not start: every app it moved runs the old image again', async () => {
    azure.setFailure('membrane-api@2025-10-01', 'Container membrane-api exited with code 1');
    const run = await runCli(['upgrade', '--image-tag', '2025-10-01', '--yes', '--state-dir', join(work, 'state')], cliEnv(), RUN_TIMEOUT_MS);
    azure.setFailure('membrane-api@2025-10-01', null);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('api failed: Container membrane-api exited with code 1');
    expect(run.stdout).toContain('Rolling back custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console to the release of');
    for (const spec of SERVICES) expect(app(spec.id).properties.template.containers[0].image, spec.id).toMatch(/:2025-09-19$/);
  }, RUN_TIMEOUT_MS);

  it('upgrade with a rotated secret: a new Key Vault version, and a new revision of exactly the apps that read it; again: nothing', async () => {
    const rotated = 'canary-jwt-rotated-R3m9';
    const upgrade = () => runCli(['upgrade', '--image-tag', '2025-09-19', ...installArgs(join(work, 'state'))], cliEnv({ MEMBRANE_SECRET: rotated }), RUN_TIMEOUT_MS);
    const revisions = () => Object.fromEntries(SERVICES.map((spec) => [spec.id, Object.keys(azure.state().apps[`${RG}/membrane-${spec.id}`]!.revisions).length]));
    const before = revisions();
    const since = azure.calls().length;
    const run = await upgrade();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const engine = ['orchestrator', 'queued-worker', 'instant-worker', 'api'];
    expect(run.stdout).toContain(`  MEMBRANE_SECRET: restarts ${engine.join(', ')}\nRunning containers keep the old value until they restart`);
    expect(run.stdout).toContain(`MEMBRANE_SECRET: a new version; ${engine.join(', ')} restarted to read it.`);
    const calls = azure.calls().slice(since);
    expect(changing(calls).filter((cmd) => cmd.startsWith('keyvault'))).toEqual(['keyvault secret set --vault-name']);
    expect(calls.filter((call) => call.argv[0] === 'containerapp' && call.argv[1] === 'update').map((call) => call.argv[3]).sort()).toEqual(engine.map((id) => `membrane-${id}`).sort());
    // Each reader references the new version and runs a new revision; the runner and the frontends keep theirs.
    const versions = azure.state().keyVaults[VAULT]!.secrets['membrane-jwt-secret']!.versions;
    expect(versions.map((v: { value: string }) => v.value)).toEqual([CANARY_SECRETS.MEMBRANE_SECRET, rotated]);
    const after = revisions();
    for (const spec of SERVICES) expect(after[spec.id], spec.id).toBe(before[spec.id]! + (engine.includes(spec.id) ? 1 : 0));
    for (const id of engine) {
      const reference = app(id).properties.configuration.secrets.find((secret: { name: string }) => secret.name === 'jwt-secret');
      expect(reference.keyVaultUrl, id).toBe(`https://${VAULT}.vault.azure.net/secrets/membrane-jwt-secret/${versions.at(-1)!.version}`);
    }
    expect(run.stdout + run.stderr).not.toContain(rotated);
    for (const [path, content] of await readTree(join(work, 'state'))) expect(content, path).not.toContain(rotated);

    const again = azure.calls().length;
    const second = await upgrade();
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toContain('Secrets with a new value');
    expect(changing(azure.calls().slice(again))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('fails an app whose revision does not start, with its reason, and leaves later waves alone', async () => {
    const stateDir = join(work, 'failing');
    await writeFile(join(work, 'answers-2.json'), JSON.stringify({ ...answers(azure.subscription), imageTag: '2025-10-01' }));
    azure.setFailure('membrane-orchestrator', 'Container membrane-orchestrator exited with code 1: MONGO_URI unreachable');
    const run = await runCli(['--config', join(work, 'answers-2.json'), '--yes', '--state-dir', stateDir], cliEnv(), RUN_TIMEOUT_MS);
    azure.setFailure('membrane-orchestrator', null);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('orchestrator failed: Container membrane-orchestrator exited with code 1: MONGO_URI unreachable');
    expect(run.stdout).toContain('az containerapp logs show');
    // The API kept its earlier image: wave 3 never started.
    expect(app('api').properties.template.containers[0].image).toBe('harbor.integration.app/core/api:2025-09-19');
  }, RUN_TIMEOUT_MS);
});

describe('Container Apps install with --dns-zone: an Azure DNS zone in another resource group', () => {
  const DNS_RG = 'dns-rg';
  let zoned: FakeAz;
  let dir: string;
  const hosts = ['api', 'ui', 'console'];
  const env = (extra: Record<string, string> = {}) => ({ ...zoned.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50',
    // No DNS from the tests: every name "does not resolve" (the verify knob), so no resolver is asked.
    CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}', ...extra });
  const args = (zone: string) => ['--config', join(dir, 'answers.json'), '--yes', '--state-dir', join(dir, 'state'), '--dns-zone', zone];
  const zonedApp = (service: string) => zoned.state().apps[`${RG}/membrane-${service}`]!.resource;
  const recordSets = () => Object.values(zoned.state().dnsZones['example.com']!.recordSets).filter((set) => set.type === 'CNAME' || set.type === 'TXT')
    .map((set) => [set.name, set.type, [set.values[0]].flat().join('')]);
  const dnsWrites = (calls: { argv: string[] }[]) => calls.filter((call) => /^(network dns record-set (cname set-record|txt add-record)|containerapp hostname (add|bind)) /.test(`${call.argv.join(' ')} `));

  beforeAll(async () => {
    zoned = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: VAULT, location: 'eastus', readyAfter: 0, dnsZones: [{ name: 'example.com', resourceGroup: DNS_RG }] });
    dir = await mkdtemp(join(tmpdir(), 'membrane-azure-dns-'));
    await writeFile(join(dir, 'answers.json'), JSON.stringify(answers(zoned.subscription)));
  });
  afterAll(async () => {
    await zoned?.stop();
  });

  it('refuses a zone the subscription does not have before anything changes', async () => {
    const missing = await runCli(args('nope.example'), env(), RUN_TIMEOUT_MS);
    expect(missing.exitCode, missing.stdout + missing.stderr).toBe(2);
    expect(missing.stdout).toContain(`no public Azure DNS zone named nope.example in subscription ${zoned.subscription}`);
    expect(missing.stdout).toContain('az network dns zone create --name nope.example');
    expect(Object.keys(zoned.state().apps)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('creates the CNAME and asuid TXT records in the zone, waits until Azure sees them, adds and binds the three hosts; the endpoints say so', async () => {
    // Azure's validation sees each new record set only at its second look.
    const run = await runCli(args('example.com'), env({ AZ_FAKE_DNS_SEEN_AFTER: '1' }), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(recordSets().sort()).toEqual(hosts.flatMap((service) => [
      [service, 'CNAME', zonedApp(service).properties.configuration.ingress.fqdn],
      [`asuid.${service}`, 'TXT', zonedApp(service).properties.customDomainVerificationId],
    ]).sort());
    for (const service of hosts) {
      expect(zonedApp(service).properties.configuration.ingress.customDomains, service).toEqual([{ name: `${service}.example.com`, bindingType: 'SniEnabled', certificateId: expect.stringContaining(`/managedCertificates/mc-${service}-example-com`) }]);
    }
    const endpoints = await recorded(join(dir, 'state'));
    expect(endpoints.zone).toBe('Azure DNS zone example.com');
    expect(endpoints.services.map((e) => e.tls)).toEqual(hosts.map((service) => ({ ok: true, detail: `custom domain of membrane-${service}, bound with managed certificate mc-${service}-example-com` })));
    expect(run.stdout).toContain('DNS records, kept by the installer in Azure DNS zone example.com:');
    expect(run.stdout).not.toContain('az containerapp hostname');
    expect(run.stdout).toContain('Checking each public host as users will reach it:');
    expect(zoned.calls().filter((call) => call.argv[1] === 'hostname' && call.exitCode === 1).length, 'refused while Azure did not see the records').toBeGreaterThan(0);
  }, RUN_TIMEOUT_MS);

  it('creates and binds nothing on a second run', async () => {
    const before = zoned.calls().length;
    const again = await runCli(args('example.com'), env(), RUN_TIMEOUT_MS);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(dnsWrites(zoned.calls().slice(before))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('refuses a record set it did not make, naming it, and leaves it as it is', async () => {
    await azRun(zoned.env, ['network', 'dns', 'record-set', 'cname', 'set-record', '-g', DNS_RG, '-z', 'example.com', '-n', 'ui', '-c', 'legacy-ui.example.net']);
    const before = zoned.calls().length;
    const clash = await runCli(args('example.com'), env(), RUN_TIMEOUT_MS);
    expect(clash.exitCode, clash.stdout + clash.stderr).toBe(1);
    expect(clash.stdout).toContain(`ui.example.com CNAME is legacy-ui.example.net, not ${zonedApp('ui').properties.configuration.ingress.fqdn}. The installer does not overwrite records it did not make`);
    expect(dnsWrites(zoned.calls().slice(before))).toEqual([]);
    expect(recordSets()).toContainEqual(['ui', 'CNAME', 'legacy-ui.example.net']);
  }, RUN_TIMEOUT_MS);
});

describe('Container Apps install killed with SIGKILL while the apps are being created', () => {
  it('resumes to one complete deployment, creating nothing twice', async () => {
    await azure.stop();
    azure = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: VAULT, location: 'eastus' });
    await writeFile(join(work, 'answers.json'), JSON.stringify(answers(azure.subscription)));
    const stateDir = join(work, 'killed');
    const marker = randomUUID();
    const env = cliEnv({ [MARKER_VAR]: marker });
    const killed = await runAndKill({
      args: installArgs(stateDir),
      env,
      auditLog: join(stateDir, 'default', 'audit.log'),
      killWhen: (lines) => lines.some((line) => line.includes('"create","--name","membrane-orchestrator"')),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the install finished before the kill point').toBeUndefined();
    await waitForOrphans(marker);

    const resumed = await runCli(['resume', '--name', 'default', '--state-dir', stateDir, '--yes'], env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('7/7 healthy');
    const state = azure.state();
    expect(Object.keys(state.apps)).toHaveLength(7);
    for (const [name, entry] of Object.entries(state.apps)) expect(Object.keys(entry.revisions), name).toHaveLength(1);
    expect(Object.keys(state.identities).sort()).toEqual([`${RG}/membrane-apps`, `${RG}/membrane-runner`, `${RG}/membrane-web`]);
    // The engine's five secrets, and the registry password for the runner and for ui/console: each once.
    const grants = state.roleAssignments.filter((a) => a.roleDefinitionName === 'Key Vault Secrets User').map((a) => `${a.principalId} ${a.scope}`);
    expect(grants).toHaveLength(7);
    expect(new Set(grants).size).toBe(7);
    const creates = azure.calls().filter((call) => call.argv[0] === 'containerapp' && call.argv[1] === 'create');
    expect(new Set(creates.map((call) => call.argv[3])).size).toBe(creates.length);
    expect(leakedCanaries(await readFile(join(stateDir, 'default', 'journal.json'), 'utf8'))).toEqual([]);
  }, RUN_TIMEOUT_MS * 2);

  it('an upgrade killed with SIGKILL mid-rollout resumes to the new tag: the guide\'s order, one new revision per app', async () => {
    const stateDir = join(work, 'killed');
    const { killed, resumed, lines } = await upgradeKilledThenResumed({
      tag: '2025-11-01', args: installArgs(stateDir), stateDir, env: cliEnv(), killAt: '"update","--name","membrane-orchestrator"', timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the upgrade finished before the kill point').toBeUndefined();
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    for (const spec of SERVICES) {
      expect(app(spec.id).properties.template.containers[0].image, spec.id).toMatch(/:2025-11-01$/);
      expect(Object.keys(azure.state().apps[`${RG}/membrane-${spec.id}`]!.revisions), spec.id).toHaveLength(2);
    }
    const updated = servicesInAuditOrder(lines, 'update');
    // Wave-2 commands in flight at the kill finish as orphans, whose lines the killed installer never wrote;
    // the runner, the orchestrator (the kill point) and the whole of wave 3 are always there, in the guide's order.
    expect(updated).toEqual(expect.arrayContaining(['custom-code-runner', 'orchestrator', 'api', 'ui', 'console']));
    expect(wavesOf(updated)).toEqual([...wavesOf(updated)].sort());
  }, RUN_TIMEOUT_MS * 2);
});

describe('Container Apps install while Azure propagates the new Key Vault roles', () => {
  // Every try of a refused create is a `show` and a `create`; the waits between them are the runner's backoff, shortened here.
  const quickEnv = (failures: number) => cliEnv({ CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '1', AZ_FAKE_KV_PROPAGATION_FAILURES: String(failures) });
  const creates = (app: string) => azure.calls().filter((call) => call.argv[0] === 'containerapp' && call.argv[1] === 'create' && call.argv[3] === app);

  it('waits while Azure refuses the references, saying so; gives up after its bounded wait naming resume; resume waits on and completes', async () => {
    await azure.stop();
    azure = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: VAULT, location: 'eastus' });
    await writeFile(join(work, 'answers.json'), JSON.stringify(answers(azure.subscription)));
    const stateDir = join(work, 'not-propagated');
    // Two refusals more than the installer tries: the resume meets them too, then the role is in effect.
    const run = await runCli(installArgs(stateDir), quickEnv(KEY_VAULT_TRIES + 2), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    // The runner is the first app: it meets the refusals, and its row says why it waits.
    expect(run.stdout).toContain('… Container App membrane-custom-code-runner: waiting for Key Vault access to propagate');
    expect(run.stdout).toContain('Azure has not yet propagated the "Key Vault Secrets User" role to identity membrane-runner');
    expect(run.stdout).toContain(`create-membrane-deploy resume --name default --state-dir ${stateDir}`);
    expect(creates('membrane-custom-code-runner')).toHaveLength(KEY_VAULT_TRIES);
    expect(azure.state().apps).toEqual({});

    const resumed = await runCli(['resume', '--name', 'default', '--state-dir', stateDir, '--yes'], quickEnv(0), RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('… Container App membrane-custom-code-runner: waiting for Key Vault access to propagate');
    expect(resumed.stdout).toContain('7/7 healthy');
    expect(creates('membrane-custom-code-runner').slice(KEY_VAULT_TRIES).map((call) => call.exitCode)).toEqual([1, 1, 0]);
    expect(Object.keys(azure.state().apps)).toHaveLength(7);
  }, RUN_TIMEOUT_MS * 2);
});
