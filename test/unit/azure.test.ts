// The Container Apps adapter's plan, as data: the steps, each app's document (ingress, sizes,
// Key Vault references wired into env by secretref), plan --out, and how app and revision
// states become a service phase.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDocument, containerAppCpu, containerAppSizeProblem, handChanges } from '../../source/clouds/azure/documents.js';
import { azureScaling } from '../../source/clouds/azure/scaling.js';
import { azureAdapter } from '../../source/clouds/azure/index.js';
import { phaseOf, revisionPhase, watchAzure } from '../../source/clouds/azure/observe.js';
import { KEY_VAULT_TRIES, WAITING_FOR_KEY_VAULT, whileKeyVaultAccessPropagates } from '../../source/clouds/azure/propagation.js';
import { azureSteps } from '../../source/clouds/azure/steps.js';
import type { Outputs } from '../../source/clouds/types.js';
import { batches, withRollouts } from '../../source/engine/plan.js';
import { InterruptedError } from '../../source/errors.js';
import { displayArgv } from '../../source/exec/command.js';
import { CliError } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICES, serviceSpec, type ServiceId } from '../../source/membrane/services.js';
import { writePlan } from '../../source/plan/write-plan.js';
import { AUTH0, CANARY, azureSettings, scriptedRunner } from './fixtures.js';

const identityId = (name: string) => `/subscriptions/s/resourcegroups/membrane-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const IDENTITY = identityId('membrane-apps');
const VAULT_ID = '/subscriptions/s/resourceGroups/membrane-rg/providers/Microsoft.KeyVault/vaults/membrane-vault';
const outputs: Outputs = {
  get: (key) =>
    ({
      'identity:engine:id': IDENTITY,
      'identity:engine:client-id': 'client-id-1',
      'identity:engine:principal-id': 'principal-id-1',
      'identity:runner:id': identityId('membrane-runner'),
      'identity:runner:principal-id': 'principal-id-2',
      'identity:web:id': identityId('membrane-web'),
      'identity:web:principal-id': 'principal-id-3',
      'key-vault:id': VAULT_ID,
      'key-vault:uri': 'https://membrane-vault.vault.azure.net/',
      'environment:id': '/subscriptions/s/resourceGroups/membrane-rg/providers/Microsoft.App/managedEnvironments/membrane-env',
      'environment:default-domain': 'happy-hill-123.eastus.azurecontainerapps.io',
      'secret:registryPassword:version': 'c0ffee',
      'secret:secret:version': 'a1',
      'secret:encryptionSecret:version': 'b2',
      'secret:mongoUri:version': 'c3',
      'secret:redisUri:version': 'd4',
    })[key] ?? `<${key}>`,
};

const doc = (service: ServiceId, settings = azureSettings()) => appDocument(serviceSpec(service), settings, outputs);
const envOf = (service: ServiceId) => doc(service).properties.template.containers[0]!.env;

describe('Container Apps plan', () => {
  it('makes the identities, secrets and lookups first, then each identity\'s grants, then the apps in waves', () => {
    expect(withRollouts(azureSteps(azureSettings())).map((step) => step.id)).toEqual([
      'identity:engine', 'identity:runner', 'identity:web',
      'secret:secret', 'secret:encryptionSecret', 'secret:mongoUri', 'secret:redisUri', 'secret:registryPassword',
      'key-vault', 'environment',
      'access:engine', 'access:runner', 'access:web',
      'app:custom-code-runner', 'rollout:wave-1',
      'app:orchestrator', 'app:queued-worker', 'app:instant-worker', 'rollout:wave-2',
      'app:api',
      'app:ui', 'app:console', 'rollout:wave-3',
    ]);
  });

  it('with --strict-order: one app at a time, each alone and healthy before the next', () => {
    const steps = withRollouts(azureSteps(azureSettings()), { strictOrder: true });
    expect(steps.map((step) => step.id).slice(-14)).toEqual(SERVICES.flatMap((spec) => [`app:${spec.id}`, `rollout:${spec.id}`]));
    // The waves' groups are gone: each app's batch holds it alone.
    expect(batches(steps).filter((batch) => batch.some((step) => step.kind === 'action' && step.deploys)).map((batch) => batch.length)).toEqual(SERVICES.map(() => 1));
    expect(steps.find((step) => step.id === 'rollout:orchestrator')).toMatchObject({ kind: 'rollout', services: ['orchestrator'], title: 'Wait until orchestrator is healthy' });
  });

  it('grants "Key Vault Secrets User" per secret, only on what each identity\'s apps reference', () => {
    const scopes = (reader: string, settings = azureSettings()) =>
      azureSteps(settings).find((step) => step.id === `access:${reader}`)!.preview(outputs).map((command) => {
        const argv = displayArgv(command);
        expect(argv.slice(0, 5)).toEqual(['az', 'role', 'assignment', 'create', '--assignee-object-id']);
        expect(argv[argv.indexOf('--role') + 1]).toBe('Key Vault Secrets User');
        return argv[argv.indexOf('--scope') + 1];
      });
    const secret = (name: string) => `${VAULT_ID}/secrets/membrane-${name}`;
    expect(scopes('engine')).toEqual(['registry-password', 'jwt-secret', 'encryption-secret', 'mongo-uri', 'redis-uri'].map(secret));
    expect(scopes('engine', azureSettings((raw) => (raw.auth = AUTH0)))).toContain(secret('auth0-client-secret'));
    expect(scopes('runner')).toEqual([secret('registry-password')]);
    expect(scopes('web')).toEqual([secret('registry-password')]);
    expect(doc('custom-code-runner').identity.userAssignedIdentities).toEqual({ [identityId('membrane-runner')]: {} });
    expect(doc('console').properties.configuration.secrets).toEqual([{ name: 'registry-password', keyVaultUrl: 'https://membrane-vault.vault.azure.net/secrets/membrane-registry-password/c0ffee', identity: identityId('membrane-web') }]);
  });

  it('sets each Key Vault secret from a file, never from argv', () => {
    const [set] = azureSteps(azureSettings()).find((step) => step.id === 'secret:mongoUri')!.preview(outputs, CANARY);
    const argv = displayArgv(set!);
    expect(argv.slice(0, 8)).toEqual(['az', 'keyvault', 'secret', 'set', '--vault-name', 'membrane-vault', '--name', 'membrane-mongo-uri']);
    expect(argv).toContain('--file=<secret MEMBRANE_MONGO_URI>');
    expect(argv.join(' ')).not.toContain(CANARY.mongoUri);
  });

  it('gives each service its ingress: public for api/ui/console, internal for the runner, none for the workers', () => {
    expect(doc('api').properties.configuration.ingress).toEqual({ external: true, targetPort: 5000, transport: 'auto', allowInsecure: false });
    expect(doc('custom-code-runner').properties.configuration.ingress).toMatchObject({ external: false, targetPort: 5000 });
    for (const service of ['orchestrator', 'queued-worker', 'instant-worker'] as const) expect(doc(service).properties.configuration).not.toHaveProperty('ingress');
  });

  it('references every secret in Key Vault through the identity and wires each into env by secretref', () => {
    const api = doc('api');
    expect(api.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } });
    // Each reference pinned to the version its secret step reported (the last segment of the secret's id).
    expect(api.properties.configuration.secrets).toEqual([['registry-password', 'c0ffee'], ['jwt-secret', 'a1'], ['encryption-secret', 'b2'], ['mongo-uri', 'c3'], ['redis-uri', 'd4']].map(([name, version]) => ({
      name,
      keyVaultUrl: `https://membrane-vault.vault.azure.net/secrets/membrane-${name}/${version}`,
      identity: IDENTITY,
    })));
    // Secrets are app-scoped: a new reference alone makes no revision. The versions the container reads sit in its
    // template, so a rotation makes a new revision of exactly the readers (the registry password: of none).
    expect(envOf('api').find((e) => e.name === 'MEMBRANE_DEPLOY_SECRET_VERSIONS')).toEqual({ name: 'MEMBRANE_DEPLOY_SECRET_VERSIONS', value: 'SECRET=a1,ENCRYPTION_SECRET=b2,MONGO_URI=c3,REDIS_URI=d4' });
    for (const service of ['custom-code-runner', 'ui', 'console'] as const) expect(envOf(service).map((e) => e.name), service).not.toContain('MEMBRANE_DEPLOY_SECRET_VERSIONS');
    expect(envOf('api').filter((e) => 'secretRef' in e)).toEqual([
      { name: 'SECRET', secretRef: 'jwt-secret' },
      { name: 'ENCRYPTION_SECRET', secretRef: 'encryption-secret' },
      { name: 'MONGO_URI', secretRef: 'mongo-uri' },
      { name: 'REDIS_URI', secretRef: 'redis-uri' },
    ]);
    // The registry password is a Key Vault reference too: nothing secret lives in the app.
    expect(api.properties.configuration.registries).toEqual([{ server: 'harbor.integration.app', username: 'robot$core+acme', passwordSecretRef: 'registry-password' }]);
    for (const value of Object.values(CANARY)) expect(JSON.stringify(api)).not.toContain(value);
  });

  it('points the engine at the runner\'s internal FQDN and storage at the account through the identity', () => {
    const env = Object.fromEntries(envOf('queued-worker').flatMap((e) => ('value' in e ? [[e.name, e.value]] : [])));
    expect(env.CUSTOM_CODE_RUNNER_URI).toBe('https://membrane-custom-code-runner.internal.happy-hill-123.eastus.azurecontainerapps.io');
    expect(env).toMatchObject({ STORAGE_PROVIDER: 'abs', AZURE_STORAGE_ACCOUNT_NAME: 'membranefiles', AZURE_CLIENT_ID: 'client-id-1', IS_QUEUED_TASKS_WORKER: '1' });
  });

  it('sizes on the Consumption plan (2 GiB per vCPU) without going below the documented minimums', () => {
    expect(doc('queued-worker').properties.template.containers[0]!.resources).toEqual({ cpu: 1, memory: '2Gi' });
    expect(doc('ui').properties.template.containers[0]!.resources).toEqual({ cpu: 0.5, memory: '1Gi' });
    expect(containerAppCpu(256, 512)).toBe(0.25);
    expect(containerAppSizeProblem('api', 4096, 16384)).toMatch(/more than the Consumption plan's 4 vCPU/);
    expect(azureAdapter(azureSettings((raw) => (raw.services = { api: { cpu: 8192 } }))).inputProblems()).toHaveLength(1);
  });

  it('scales per autoscaling.md: the docs\' HTTP rule on the public apps, min/max from the answers, the orchestrator fixed', () => {
    const http = [{ name: 'http-scaling', http: { metadata: { concurrentRequests: '100' } } }];
    expect(doc('api').properties.template.scale).toEqual({ minReplicas: 2, maxReplicas: 10, rules: http });
    expect(doc('console').properties.template.scale).toEqual({ minReplicas: 2, maxReplicas: 5, rules: http });
    // No rule: the runner (internal ingress) gets Container Apps' default HTTP rule; the workers stay at their minimum.
    expect(doc('custom-code-runner').properties.template.scale).toEqual({ minReplicas: 2, maxReplicas: 20, rules: [] });
    expect(doc('queued-worker').properties.template.scale).toEqual({ minReplicas: 2, maxReplicas: 50, rules: [] });
    expect(doc('orchestrator').properties.template.scale).toEqual({ minReplicas: 2, maxReplicas: 2, rules: [] });
    const custom = azureSettings((raw) => (raw.services = { api: { replicas: 3, maxReplicas: 30 }, orchestrator: { replicas: 3 } }));
    const scaling = Object.fromEntries(azureScaling(custom).map((s) => [s.service, s]));
    expect(scaling.api).toMatchObject({ min: 3, max: 30, on: '100 concurrent requests' });
    expect(scaling.orchestrator).toEqual({ service: 'orchestrator', min: 3, max: 3 });
    expect(scaling['instant-worker']).toMatchObject({ min: 2, max: 2, fixed: expect.stringMatching(/no ingress or rule: stays at 2, though maxReplicas is 20/) });
  });

  it('handChanges names a scale rule removed or edited in the portal', () => {
    const wanted = doc('api');
    const shown = structuredClone(wanted) as any;
    expect(handChanges(shown, wanted)).toEqual([]);
    shown.properties.template.scale.rules[0].http.metadata.concurrentRequests = '10';
    expect(handChanges(shown, wanted)).toEqual(['scale rules http-scaling (HTTP 10) → http-scaling (HTTP 100)']);
    delete shown.properties.template.scale.rules;
    expect(handChanges(shown, wanted)).toEqual(['scale rules none → http-scaling (HTTP 100)']);
  });

  it('refuses a deployment name that makes an app name longer than 32 characters', () => {
    expect(azureAdapter(azureSettings(undefined, 'production-eu')).inputProblems()).toEqual(
      expect.arrayContaining([expect.stringContaining('membrane-production-eu-custom-code-runner is longer than Azure\'s 32 characters')]),
    );
  });

  it('hashes the document into a tag: the same answers give the same hash, a new tag another', () => {
    expect(doc('api').tags['membrane-spec']).toBe(doc('api').tags['membrane-spec']);
    expect(doc('api', azureSettings((raw) => (raw.imageTag = '2025-10-01'))).tags['membrane-spec']).not.toBe(doc('api').tags['membrane-spec']);
  });
});

describe('the endpoints step: each public app\'s FQDN and what its custom domain needs', () => {
  const ENV_DOMAIN = 'happy-river-1.eastus.azurecontainerapps.io';
  const VERIFICATION = 'F1E2D3C4B5A6978812345678901234567890ABCDEF1234567890ABCDEF123456';
  const ENV_ID = '/subscriptions/s/resourceGroups/membrane-rg/providers/Microsoft.App/managedEnvironments/membrane-env';
  const listedApp = (service: string, customDomains: unknown[] | null = null) => ({
    name: `membrane-${service}`,
    properties: { customDomainVerificationId: VERIFICATION, configuration: { ingress: { fqdn: `membrane-${service}.${ENV_DOMAIN}`, customDomains } } },
  });
  const certificate = (host: string, provisioningState: string) => ({ id: `${ENV_ID}/managedCertificates/mc-${host}`, name: `mc-${host}`, properties: { provisioningState, subjectName: `${host}.example.com` } });
  async function read(apps: unknown[], certificates: unknown[] = []) {
    const { runner, calls } = scriptedRunner((argv) => (argv.includes('certificate') ? certificates : apps));
    const step = azureAdapter(azureSettings()).plan().find((s) => s.id === 'endpoints')!;
    expect(step.kind).toBe('action');
    const result = await (step as any).apply({ runner, outputs, progress: () => {}, stop: new AbortController().signal });
    return { calls, endpoints: JSON.parse(result.outputs.endpoints), result };
  }

  it('reads every app in one az containerapp list and asks for a CNAME to each FQDN and an asuid TXT record', async () => {
    const { calls, endpoints, result } = await read(['api', 'ui', 'console', 'orchestrator'].map((s) => listedApp(s)));
    expect(result.outcome).toBe('checked');
    expect(calls).toEqual([['az', 'containerapp', 'list', '--resource-group', 'membrane-rg', '--subscription', expect.any(String), '--output', 'json', '--only-show-errors']]);
    expect(endpoints.services.map((e: any) => [e.host, e.target, e.tls.ok])).toEqual([
      ['api.example.com', `membrane-api.${ENV_DOMAIN}`, false],
      ['ui.example.com', `membrane-ui.${ENV_DOMAIN}`, false],
      ['console.example.com', `membrane-console.${ENV_DOMAIN}`, false],
    ]);
    expect(endpoints.services[0].tls.detail).toMatch(/^no custom domain yet/);
    expect(endpoints.records).toContainEqual({ name: 'api.example.com', type: 'CNAME', value: `membrane-api.${ENV_DOMAIN}` });
    expect(endpoints.records).toContainEqual({ name: 'asuid.console.example.com', type: 'TXT', value: VERIFICATION });
    expect(endpoints.records).toHaveLength(6);
    const next = endpoints.nextSteps.join('\n');
    expect(next).toContain('az containerapp hostname add --name membrane-api --resource-group membrane-rg --hostname api.example.com');
    expect(next).toContain('az containerapp hostname bind --name membrane-console --resource-group membrane-rg --hostname console.example.com --environment membrane-env --validation-method CNAME');
    expect(next).toContain('/auth/register');
    expect(next).not.toMatch(/load balancer/i);
  });

  it('says a bound host has TLS, and gives only the commands still missing for the others', async () => {
    const { endpoints, calls } = await read([
      listedApp('api', [{ name: 'api.example.com', bindingType: 'SniEnabled', certificateId: `${ENV_ID}/managedCertificates/mc-api` }]),
      listedApp('ui', [{ name: 'ui.example.com', bindingType: 'Disabled' }]),
      listedApp('console'),
    ], [certificate('api', 'Succeeded')]);
    expect(calls[1]).toEqual(['az', 'containerapp', 'env', 'certificate', 'list', '--name', 'membrane-env', '--resource-group', 'membrane-rg', '--managed-certificates-only', '--subscription', expect.any(String), '--output', 'json', '--only-show-errors']);
    expect(endpoints.services.map((e: any) => e.tls.ok)).toEqual([true, false, false]);
    expect(endpoints.services[0].tls.detail).toBe('custom domain of membrane-api, bound with managed certificate mc-api');
    const commands = endpoints.nextSteps.filter((line: string) => line.startsWith('  az '));
    expect(commands).toEqual([
      '  az containerapp hostname bind --name membrane-ui --resource-group membrane-rg --hostname ui.example.com --environment membrane-env --validation-method CNAME',
      '  az containerapp hostname add --name membrane-console --resource-group membrane-rg --hostname console.example.com',
      '  az containerapp hostname bind --name membrane-console --resource-group membrane-rg --hostname console.example.com --environment membrane-env --validation-method CNAME',
    ]);
  });

  it('says a managed certificate Azure has not issued yet is pending, not TLS', async () => {
    const bound = (service: string) => listedApp(service, [{ name: `${service}.example.com`, bindingType: 'SniEnabled', certificateId: `${ENV_ID}/managedCertificates/mc-${service}` }]);
    const { endpoints } = await read(['api', 'ui', 'console'].map(bound), [certificate('api', 'Succeeded'), certificate('ui', 'Pending')]);
    expect(endpoints.services.map((e: any) => e.tls.ok)).toEqual([true, false, false]);
    expect(endpoints.services[1].tls.detail).toBe('custom domain of membrane-ui; managed certificate mc-ui not issued yet (Pending): Azure issues it minutes after the bind, and verify checks the host then');
    expect(endpoints.services[2].tls.detail).toContain('not issued yet (unknown)');
    expect(endpoints.nextSteps.filter((line: string) => line.startsWith('  az '))).toEqual([]);
  });
});

describe('the dns-records step (dns.zone): records, custom domains and managed certificates', () => {
  const FQDN = (service: string) => `membrane-${service}.happy-river-1.eastus.azurecontainerapps.io`;
  const apps = ['api', 'ui', 'console'].map((service) => ({ name: `membrane-${service}`, properties: { customDomainVerificationId: 'VERIFY', configuration: { ingress: { fqdn: FQDN(service), customDomains: null } } } }));
  const set = (name: string, type: string, data: object) => ({ name, type: `Microsoft.Network/dnszones/${type}`, ...data });
  async function apply(sets: unknown[]) {
    const { runner, calls } = scriptedRunner((argv) => {
      const asked = argv.slice(1, 5).join(' ');
      return asked === 'network dns zone list' ? [{ name: 'example.com', resourceGroup: 'dns-rg', zoneType: 'Public' }] : asked === 'network dns record-set list' ? sets : apps;
    });
    const step = azureAdapter(azureSettings((raw) => (raw.dns = { zone: 'example.com' }))).plan().find((s) => s.id === 'dns-records')!;
    const result = await (step as any).apply({ runner, outputs, progress: () => {}, stop: new AbortController().signal }).catch((error: Error) => error);
    return { calls, result };
  }

  it('refuses records it did not make: a CNAME elsewhere, a set of another type beside a CNAME, a TXT set with other values; it writes nothing', async () => {
    const { calls, result } = await apply([
      set('api', 'CNAME', { CNAMERecord: { cname: 'legacy.example.net' } }),
      set('ui', 'A', { ARecords: [{ ipv4Address: '203.0.113.7' }] }),
      set('asuid.console', 'TXT', { TXTRecords: [{ value: ['someone-else'] }] }),
      set('asuid.ui', 'A', { ARecords: [{ ipv4Address: '203.0.113.8' }] }),
    ]);
    expect(result).toBeInstanceOf(Error);
    expect(result.message).toBe('Azure DNS zone example.com already has other records: api.example.com CNAME is legacy.example.net, not ' + FQDN('api') +
      '; ui.example.com has a A record set, which a CNAME record cannot sit beside; asuid.console.example.com TXT is someone-else, not VERIFY. The installer does not overwrite records it did not make: change or delete them, then run resume.');
    expect(calls.filter((argv) => argv.includes('set-record') || argv.includes('add-record') || argv.includes('hostname'))).toEqual([]);
  });

  it('creates only the missing records, in the zone\'s own resource group, then adds and binds each host with a managed certificate', async () => {
    const { calls, result } = await apply([set('api', 'CNAME', { CNAMERecord: { cname: FQDN('api') } }), set('asuid.api', 'TXT', { TXTRecords: [{ value: ['VERIFY'] }] })]);
    expect(result).toEqual({ outcome: 'created' });
    const line = (argv: string[]) => argv.slice(0, argv.indexOf('--subscription')).join(' ');
    expect(calls.filter((argv) => argv.includes('set-record') || argv.includes('add-record')).map(line).sort()).toEqual([
      `az network dns record-set cname set-record --record-set-name console --cname ${FQDN('console')} --if-none-match --resource-group dns-rg --zone-name example.com`,
      `az network dns record-set cname set-record --record-set-name ui --cname ${FQDN('ui')} --if-none-match --resource-group dns-rg --zone-name example.com`,
      'az network dns record-set txt add-record --record-set-name asuid.console --value VERIFY --if-none-match --resource-group dns-rg --zone-name example.com',
      'az network dns record-set txt add-record --record-set-name asuid.ui --value VERIFY --if-none-match --resource-group dns-rg --zone-name example.com',
    ]);
    expect(calls.filter((argv) => argv[2] === 'hostname').map(line).sort()).toEqual(['api', 'console', 'ui'].flatMap((service) => [
      `az containerapp hostname add --name membrane-${service} --resource-group membrane-rg --hostname ${service}.example.com`,
      `az containerapp hostname bind --name membrane-${service} --resource-group membrane-rg --hostname ${service}.example.com --environment membrane-env --validation-method CNAME`,
    ]).sort());
  });
});

describe('waiting while Azure propagates a Key Vault role', () => {
  const refused = new CliError('invalid', ['az', 'containerapp', 'create'], 1,
    "(InvalidParameterValueInContainerTemplate) ... 'Invalid value: \"jwt-secret\": Unable to get value using Managed identity /subscriptions/s/.../membrane-apps for secret jwt-secret. ...';.");
  function context(stop = new AbortController()) {
    const said: string[] = [];
    const waits: number[] = [];
    const runner: Runner = { run: () => Promise.reject(new Error('unused')), backoff: async (n) => void waits.push(n) };
    return { said, waits, stop, context: { runner, progress: (message: string) => said.push(message), stop: stop.signal } };
  }
  const failing = (failures: unknown[]) => {
    let tries = 0;
    return { attempt: async () => { if (tries < failures.length) throw failures[tries++]; return { outcome: 'created' as const }; }, tries: () => tries };
  };

  it('tries again after exactly that refusal, saying it waits, with a backoff that stops growing', async () => {
    const { said, waits, context: c } = context();
    const attempts = failing(Array(9).fill(refused));
    await expect(whileKeyVaultAccessPropagates(c, attempts.attempt)).resolves.toEqual({ outcome: 'created' });
    expect(attempts.tries()).toBe(9);
    expect(new Set(said)).toEqual(new Set([WAITING_FOR_KEY_VAULT]));
    expect(waits).toEqual([1, 2, 3, 4, 5, 6, 7, 7, 7]);
  });

  it('fails at once on any other error', async () => {
    const { waits, context: c } = context();
    const other = new CliError('invalid', ['az', 'containerapp', 'create'], 1, "(ContainerAppSecretRefNotFound) SecretRef 'x' not found.");
    await expect(whileKeyVaultAccessPropagates(c, failing([other]).attempt)).rejects.toBe(other);
    expect(waits).toEqual([]);
  });

  it(`gives up after ${KEY_VAULT_TRIES} tries, naming the cause and resume`, async () => {
    const { context: c } = context();
    const attempts = failing(Array(KEY_VAULT_TRIES).fill(refused));
    await expect(whileKeyVaultAccessPropagates(c, attempts.attempt)).rejects.toThrow(
      /^Azure has not yet propagated the "Key Vault Secrets User" role to identity membrane-apps: it still cannot read the app's secret jwt-secret .* run create-membrane-deploy resume to continue\.$/);
    expect(attempts.tries()).toBe(KEY_VAULT_TRIES);
  });

  it('stops waiting after a Ctrl-C', async () => {
    const stop = new AbortController();
    const { context: c } = context(stop);
    stop.abort();
    await expect(whileKeyVaultAccessPropagates(c, failing([refused, refused]).attempt)).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('Container App state to phase', () => {
  const app = (provisioningState: string, latest = 'a--2', ready?: string) => ({ name: 'membrane-api', properties: { provisioningState, latestRevisionName: latest, latestReadyRevisionName: ready } });
  it('is healthy when provisioning succeeded and the latest revision is the ready one', () => {
    expect(phaseOf(app('Succeeded', 'a--2', 'a--2'))).toMatchObject({ phase: 'healthy' });
    expect(phaseOf(app('InProgress', 'a--2', 'a--1'))).toMatchObject({ phase: 'deploying' });
    expect(phaseOf(app('Failed'))).toMatchObject({ phase: 'failed' });
    expect(phaseOf(app('Succeeded', 'a--2', 'a--1'))).toBe('waiting-for-revision');
  });

  it('asks the revision why it is not ready: unhealthy fails with its details', () => {
    expect(revisionPhase({ properties: { healthState: 'Unhealthy', runningState: 'Failed', runningStateDetails: 'Container exited with code 1' } })).toEqual({ phase: 'failed', message: 'Container exited with code 1' });
    expect(revisionPhase({ properties: { healthState: 'None', runningState: 'Activating' } })).toEqual({ phase: 'deploying', message: 'revision Activating' });
  });
});

describe('polling a rollout wait: one az call per poll', () => {
  const settings = azureSettings();
  const listed = (apps: Record<string, [string, string | null]>) => Object.entries(apps).map(([service, [latest, ready]]) => ({ name: `membrane-${service}`, properties: { provisioningState: 'Succeeded', latestRevisionName: latest, latestReadyRevisionName: ready } }));
  /** A cloud whose list is `apps()` and whose revisions say `revisions[name]` (Activating when unnamed). */
  function cloud(apps: () => ReturnType<typeof listed>, revisions: Record<string, object> = {}) {
    return scriptedRunner((argv) => {
      if (argv[2] === 'list') return apps();
      const name = argv[argv.indexOf('--revision') + 1]!;
      return { name, properties: revisions[name] ?? { provisioningState: 'Provisioned', healthState: 'None', runningState: 'Activating' } };
    });
  }
  const kinds = (calls: string[][]) => calls.map((argv) => (argv[2] === 'list' ? 'list' : argv[argv.indexOf('--revision') + 1]));

  it('alternates the list with one waiting app\'s revision, the one asked longest ago first, and returns every service each poll', async () => {
    let apps = listed({ orchestrator: ['o--1', null], 'queued-worker': ['q--1', null], 'instant-worker': ['i--1', 'i--1'] });
    const { runner, calls } = cloud(() => apps);
    const poll = watchAzure(settings, ['orchestrator', 'queued-worker', 'instant-worker']);
    for (let i = 0; i < 5; i++) expect((await poll(runner)).map((o) => o.service)).toEqual(SERVICES.map((spec) => spec.id));
    expect(kinds(calls)).toEqual(['list', 'o--1', 'list', 'q--1', 'list']);
    apps = listed({ orchestrator: ['o--1', 'o--1'], 'queued-worker': ['q--1', null], 'instant-worker': ['i--1', 'i--1'] });
    await poll(runner);
    await poll(runner);
    expect(kinds(calls).slice(5)).toEqual(['o--1', 'list']);
  });

  it('reports a failed revision with its runningStateDetails, and forgets it once the app has a newer revision', async () => {
    let apps = listed({ api: ['a--1', null] });
    const { runner } = cloud(() => apps, { 'a--1': { provisioningState: 'Provisioned', healthState: 'Unhealthy', runningState: 'Failed', runningStateDetails: 'Container exited with code 1' } });
    const poll = watchAzure(settings, ['api']);
    const api = async () => (await poll(runner)).find((o) => o.service === 'api');
    expect(await api()).toMatchObject({ phase: 'deploying' });
    expect(await api()).toMatchObject({ phase: 'failed', message: 'Container exited with code 1' });
    apps = listed({ api: ['a--2', null] });
    expect(await api()).toMatchObject({ phase: 'deploying', message: 'a--2 is provisioned, not ready yet' });
  });

  it('starts every wait with a list, never asks an app outside the wave, and says nothing of its phase', async () => {
    const apps = listed({ api: ['a--1', 'a--1'], ui: ['u--2', 'u--1'] });
    const { runner, calls } = cloud(() => apps);
    const first = watchAzure(settings, ['api']);
    await first(runner);
    const observations = await watchAzure(settings, ['console'])(runner);
    expect(kinds(calls)).toEqual(['list', 'list']);
    expect(observations.find((o) => o.service === 'ui')).toEqual({ service: 'ui', running: 0, desired: settings.sizing.ui.replicas });
    expect(observations.find((o) => o.service === 'api')).toMatchObject({ phase: 'healthy' });
  });
});

describe('plan --out for Container Apps', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'azure-plan-'));
    const settings = azureSettings();
    const adapter = azureAdapter(settings);
    files = await writePlan(dir, settings, withRollouts(adapter.plan()), adapter.notes());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes plan.json, the seven app documents and a deploy.sh that bash accepts', () => {
    expect(files).toEqual(expect.arrayContaining(['plan.json', 'deploy.sh', 'apps/api.yaml', 'apps/custom-code-runner.yaml']));
    expect(spawnSync('bash', ['-n', join(dir, 'deploy.sh')]).status).toBe(0);
    const script = readFileSync(join(dir, 'deploy.sh'), 'utf8');
    expect(script).toContain(`--file=<(printf '%s' "$MEMBRANE_MONGO_URI")`);
    expect(script).toContain('az containerapp create --name membrane-api --resource-group membrane-rg --yaml=apps/api.yaml');
    expect(JSON.parse(readFileSync(join(dir, 'apps/api.yaml'), 'utf8')).properties.managedEnvironmentId).toBe('<environment:id>');
  });
});

describe('Container App probes', () => {
  it('says in words why an app made without Liveness and Readiness probes rolls once', () => {
    const wanted = doc('custom-code-runner');
    const [container] = wanted.properties.template.containers;
    const before = structuredClone(wanted) as any;
    before.properties.template.containers[0].probes = [{ type: 'Startup', httpGet: { path: '/api/v2/health', port: 5000 }, periodSeconds: 10, failureThreshold: 30 }];
    expect(handChanges(before, wanted)).toEqual([
      'startup probe GET /api/v2/health every 10 s, 1 s timeout, 30 failures → GET /api/v2/health every 30 s, 5 s timeout, 10 failures',
      'liveness probe none → GET /api/v2/health every 30 s, 5 s timeout, 3 failures',
      'readiness probe none → GET /api/v2/health every 30 s, 5 s timeout, 3 failures',
    ]);
    expect(handChanges(structuredClone(wanted) as any, wanted)).toEqual([]);
    expect(container!.probes.map((probe) => probe.type)).toEqual(['Startup', 'Liveness', 'Readiness']);
  });
});
