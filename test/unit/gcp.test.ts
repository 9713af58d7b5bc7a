// The Cloud Run adapter's plan, as data: which steps in which order, what each deploy sets,
// what a reviewer reads in plan --out, and how Knative's status becomes a service phase.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudRunSizeProblem, deployment, envFile, handChanges } from '../../source/clouds/gcp/documents.js';
import { gcpAdapter } from '../../source/clouds/gcp/index.js';
import { gcpNames } from '../../source/clouds/gcp/names.js';
import { phaseOf } from '../../source/clouds/gcp/observe.js';
import { gcpPreflight } from '../../source/clouds/gcp/preflight.js';
import { gcpSteps } from '../../source/clouds/gcp/steps.js';
import type { ActionStep, Outputs } from '../../source/clouds/types.js';
import { withRollouts } from '../../source/engine/plan.js';
import { displayArgv } from '../../source/exec/command.js';
import { CliError } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { handChanges as gcpHandChanges } from '../../source/clouds/gcp/documents.js';
import { SERVICES, serviceSpec, type ServiceId } from '../../source/membrane/services.js';
import { writePlan } from '../../source/plan/write-plan.js';
import { CANARY, gcpSettings, scriptedRunner } from './fixtures.js';

const outputs: Outputs = {
  get: (key) => ({
    'project:number': '123456789012',
    'custom-code-runner:url': 'https://membrane-custom-code-runner-123456789012.us-central1.run.app',
    'secret:secret:version': '3',
    'secret:encryptionSecret:version': '1',
    'secret:mongoUri:version': '2',
    'secret:redisUri:version': '1',
  })[key] ?? `<${key}>`,
};

function deployArgv(service: ServiceId, settings = gcpSettings()) {
  return displayArgv(deployment(serviceSpec(service), settings, gcpNames(settings), outputs).command);
}

describe('Cloud Run plan', () => {
  it('enables APIs, stores secrets, proxies Harbor, then deploys in waves with the runner URL read after wave 1', () => {
    const ids = withRollouts(gcpSteps(gcpSettings())).map((step) => step.id);
    expect(ids).toEqual([
      'apis',
      'secret:secret', 'secret:encryptionSecret', 'secret:mongoUri', 'secret:redisUri', 'secret:registryPassword',
      'repository',
      'service:custom-code-runner', 'rollout:wave-1',
      'runner-url',
      'service:orchestrator', 'service:queued-worker', 'service:instant-worker', 'rollout:wave-2',
      'service:api',
      'service:ui', 'service:console', 'rollout:wave-3',
    ]);
  });

  it('creates each secret from stdin and lets only the identity that needs it read it', () => {
    const step = gcpSteps(gcpSettings()).find((s) => s.id === 'secret:mongoUri')!;
    const [create, grant] = step.preview(outputs, CANARY);
    expect(displayArgv(create!)).toEqual(['gcloud', 'secrets', 'create', 'membrane-mongo-uri', '--data-file=-', '--replication-policy=automatic', '--labels=membrane-deployment=default', '--project=acme-membrane', '--format=json', '--quiet']);
    expect(create!.stdin).toMatchObject({ name: 'MEMBRANE_MONGO_URI', secret: { value: CANARY.mongoUri } });
    expect(displayArgv(grant!)).toContain('--member=serviceAccount:123456789012-compute@developer.gserviceaccount.com');
    const registry = gcpSteps(gcpSettings()).find((s) => s.id === 'secret:registryPassword')!.preview(outputs, CANARY);
    // Artifact Registry reads the bare password; its service agent is the only reader.
    expect(registry[0]!.stdin!.secret.value).toBe(CANARY.registryPassword);
    expect(displayArgv(registry[1]!)).toContain('--member=serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com');
  });

  it('makes the remote repository of the Harbor registry with the password from Secret Manager', () => {
    const [create] = gcpSteps(gcpSettings()).find((s) => s.id === 'repository')!.preview(outputs);
    expect(displayArgv(create!)).toEqual(expect.arrayContaining([
      'membrane-harbor', '--mode=remote-repository', '--remote-docker-repo=https://harbor.integration.app', '--remote-username=robot$core+acme',
      '--remote-password-secret-version=projects/acme-membrane/secrets/membrane-registry-password/versions/latest', '--location=us-central1',
    ]));
  });

  it('deploys the runner internal-only, unauthenticated (callers send no ID token), with request-based CPU', () => {
    const argv = deployArgv('custom-code-runner');
    expect(argv.slice(0, 4)).toEqual(['gcloud', 'run', 'deploy', 'membrane-custom-code-runner']);
    expect(argv).toEqual(expect.arrayContaining([
      '--image=us-central1-docker.pkg.dev/acme-membrane/membrane-harbor/core/custom-code-runner:2025-09-19',
      '--port=5000', '--cpu=1', '--memory=2048Mi', '--min-instances=2', '--max-instances=20', '--concurrency=80',
      '--ingress=internal', '--allow-unauthenticated', '--cpu-throttling', '--async',
    ]));
    expect(argv.some((arg) => arg.startsWith('--set-secrets'))).toBe(false);
    expect(argv.some((arg) => arg.startsWith('--network'))).toBe(false);
  });

  it('keeps the workers\' CPU allocated, closed to callers, and routes them through the VPC', () => {
    const argv = deployArgv('queued-worker');
    expect(argv).toEqual(expect.arrayContaining(['--ingress=internal', '--no-allow-unauthenticated', '--no-cpu-throttling', '--network=default', '--subnet=default', '--vpc-egress=all-traffic']));
    // Each pinned to the version its secret step reported, never :latest (read only when an instance starts).
    expect(argv).toContain('--set-secrets=SECRET=membrane-jwt-secret:3,ENCRYPTION_SECRET=membrane-encryption-secret:1,MONGO_URI=membrane-mongo-uri:2,REDIS_URI=membrane-redis-uri:1');
    expect(argv).toContain('--service-account=123456789012-compute@developer.gserviceaccount.com');
  });

  it('scales within the answers\' min/max instances (orchestrator fixed), with the docs\' --concurrency 80 where requests come in', () => {
    expect(deployArgv('api')).toEqual(expect.arrayContaining(['--min-instances=2', '--max-instances=10', '--concurrency=80', '--cpu-throttling']));
    expect(deployArgv('ui')).toEqual(expect.arrayContaining(['--min-instances=2', '--max-instances=5', '--concurrency=80']));
    expect(deployArgv('orchestrator')).toEqual(expect.arrayContaining(['--min-instances=2', '--max-instances=2']));
    // The workers take no requests (CPU always allocated): concurrency does not scale them.
    expect(deployArgv('queued-worker')).toEqual(expect.arrayContaining(['--min-instances=2', '--max-instances=50', '--no-cpu-throttling']));
    expect(deployArgv('queued-worker').some((arg) => arg.startsWith('--concurrency'))).toBe(false);
    const custom = gcpSettings((raw) => (raw.services = { api: { replicas: 3, maxReplicas: 40 } }));
    expect(deployArgv('api', custom)).toEqual(expect.arrayContaining(['--min-instances=3', '--max-instances=40']));
  });

  it('handChanges names instances and a concurrency changed in the console', () => {
    const settings = gcpSettings();
    const { shape } = deployment(serviceSpec('api'), settings, gcpNames(settings), outputs);
    const shown = { spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/minScale': '2', 'autoscaling.knative.dev/maxScale': '10' } },
      spec: { containerConcurrency: 80, containers: [{ image: shape.image, resources: { limits: { cpu: shape.cpu, memory: shape.memory } }, startupProbe: shape.probes.startup, livenessProbe: shape.probes.liveness }] } } } };
    expect(handChanges(shown, shape)).toEqual([]);
    shown.spec.template.metadata.annotations['autoscaling.knative.dev/maxScale'] = '3';
    shown.spec.template.spec.containerConcurrency = 1000;
    expect(handChanges(shown, shape)).toEqual(['max instances 3 → 10', 'concurrency 1000 → 80']);
  });

  it('opens the API, UI and console to the internet', () => {
    for (const service of ['api', 'ui', 'console'] as const) expect(deployArgv(service)).toEqual(expect.arrayContaining(['--ingress=all', '--allow-unauthenticated']));
    // The guide's full vCPU for the API (1024 units) is one Cloud Run CPU.
    expect(deployArgv('api')).toContain('--cpu=1');
    expect(deployArgv('api', gcpSettings((raw) => (raw.services = { api: { cpu: 2048, memory: 4096 } })))).toContain('--cpu=2');
  });

  it('gives the engine the runner URL and GCS storage in an env file, never a secret value', () => {
    const settings = gcpSettings();
    const { envFile: file } = deployment(serviceSpec('api'), settings, gcpNames(settings), outputs);
    expect(file.path).toBe('services/api.env.yaml');
    expect(file.content).toContain('CUSTOM_CODE_RUNNER_URI: "https://membrane-custom-code-runner-123456789012.us-central1.run.app"\n');
    expect(file.content).toContain('STORAGE_PROVIDER: "gcs"\n');
    expect(file.content).toContain('GOOGLE_CLOUD_PROJECT_ID: "acme-membrane"\n');
    expect(file.content).toContain('IS_API: "1"\n');
    for (const value of Object.values(CANARY)) expect(file.content).not.toContain(value);
  });

  it('leaves PORT and the other reserved names out of every env file: Cloud Run sets them and refuses a revision that does', () => {
    const settings = gcpSettings();
    for (const spec of SERVICES) {
      const { envFile: file } = deployment(spec, settings, gcpNames(settings), outputs);
      const names = file.content.split('\n').filter(Boolean).map((line) => line.split(':')[0]);
      expect(names, spec.id).toContain('NODE_ENV');
      expect(names.filter((name) => ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'].includes(name)), spec.id).toEqual([]);
    }
    expect(deployArgv('api')).toContain('--port=5000');
  });

  it('hashes the whole spec: the same answers give the same hash, a new image tag another', () => {
    const hash = (settings = gcpSettings()) => deployment(serviceSpec('api'), settings, gcpNames(settings), outputs).hash;
    expect(hash()).toBe(hash());
    expect(hash(gcpSettings((raw) => (raw.imageTag = '2025-10-01')))).not.toBe(hash());
    expect(deployArgv('api')).toContain(`--labels=membrane-deployment=default,membrane-spec=${hash()}`);
  });
});

describe('envFile', () => {
  it('quotes every value, so commas, colons, quotes and # stay literal', () => {
    const yaml = envFile({ A: 'x,y', B: 'http://h:5000/#frag', C: 'say "hi"' });
    expect(yaml).toBe('A: "x,y"\nB: "http://h:5000/#frag"\nC: "say \\"hi\\""\n');
  });
});

describe('Cloud Run sizes', () => {
  it('rounds CPU units up to whole CPUs and refuses memory the CPU count does not allow', () => {
    expect(cloudRunSizeProblem('api', 1024, 2048)).toBeUndefined();
    expect(cloudRunSizeProblem('api', 512, 4096)).toBeUndefined();
    expect(cloudRunSizeProblem('api', 1024, 6144)).toBe('services.api.memory: 6144 MiB needs 2 CPUs (cpu 2048) on Cloud Run.');
    expect(cloudRunSizeProblem('api', 9000, 2048)).toBe("services.api.cpu: 9000 is more than Cloud Run's 8 CPUs (8192).");
    expect(cloudRunSizeProblem('ui', 512, 256)).toBe('services.ui.memory: Cloud Run needs at least 512 MiB.');
  });

  it('are checked by the adapter before anything runs', () => {
    const adapter = gcpAdapter(gcpSettings((raw) => (raw.services = { api: { memory: 6144 } })));
    expect(adapter.inputProblems()).toEqual(['services.api.memory: 6144 MiB needs 2 CPUs (cpu 2048) on Cloud Run.']);
  });
});

describe('Knative status to phase', () => {
  const service = (generation: number, observed: number | undefined, ready?: 'True' | 'False' | 'Unknown', message?: string) => ({
    metadata: { name: 'membrane-api', generation },
    status: { observedGeneration: observed, conditions: ready ? [{ type: 'Ready', status: ready, message }] : [] },
  });

  it('is healthy only when Ready is True for the latest generation', () => {
    expect(phaseOf(service(2, 2, 'True'), 2)).toMatchObject({ phase: 'healthy', running: 2, desired: 2 });
    expect(phaseOf(service(3, 2, 'True'), 2)).toMatchObject({ phase: 'deploying', running: 0 });
    expect(phaseOf(service(1, undefined), 2)).toMatchObject({ phase: 'deploying' });
  });

  it('fails with Cloud Run\'s own message when Ready is False for the latest generation', () => {
    const message = "Revision 'membrane-api-00001-abc' is not ready and cannot serve traffic.";
    expect(phaseOf(service(1, 1, 'False', message), 2)).toEqual({ phase: 'failed', running: 0, desired: 2, message });
    expect(phaseOf(service(2, 1, 'False', message), 2).phase).toBe('deploying');
  });
});

describe('plan --out for Cloud Run', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcp-plan-'));
    const settings = gcpSettings();
    const adapter = gcpAdapter(settings);
    files = await writePlan(dir, settings, withRollouts(adapter.plan()), adapter.notes());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes plan.json, the env files and a deploy.sh that bash accepts', () => {
    expect(files).toEqual(expect.arrayContaining(['plan.json', 'deploy.sh', 'services/api.env.yaml', 'services/custom-code-runner.env.yaml']));
    expect(spawnSync('bash', ['-n', join(dir, 'deploy.sh')]).status).toBe(0);
  });

  it('pipes each secret into gcloud from its variable and shows placeholders for what only the cloud knows', () => {
    const script = readFileSync(join(dir, 'deploy.sh'), 'utf8');
    expect(script).toContain(`printf '%s' "$MEMBRANE_SECRET" | gcloud secrets create membrane-jwt-secret --data-file=-`);
    expect(script).toContain('--service-account=<project:number>-compute@developer.gserviceaccount.com');
    expect(readFileSync(join(dir, 'services/api.env.yaml'), 'utf8')).toContain('CUSTOM_CODE_RUNNER_URI: "<custom-code-runner:url>"');
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    const secret = plan.steps.find((step: ActionStep) => step.id === 'secret:secret');
    expect(secret.commands[0].stdin).toBe('<secret MEMBRANE_SECRET>');
    expect(plan.notes.join(' ')).toContain('60 minutes');
  });
});

describe('Cloud Run preflight, on what gcloud answers', () => {
  const ME = 'ada@example.com';
  const SA = '123456789012-compute@developer.gserviceaccount.com';
  const link = (path: string) => `https://www.googleapis.com/compute/v1/projects/acme-membrane/${path}`;
  const nat = (extra: object) => ({ name: 'nat-config', ...extra });
  const answers = (overrides: Record<string, unknown>) => ({
    'auth list': [{ account: ME, status: 'ACTIVE' }],
    'projects describe': { projectNumber: '123456789012', lifecycleState: 'ACTIVE' },
    'subnets describe': { network: link('global/networks/default'), ipCidrRange: '10.128.0.0/20', privateIpGoogleAccess: true },
    'routers list': [{ name: 'nat-router', network: link('global/networks/default'), nats: [nat({ sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' })] }],
    'service-accounts describe': { email: SA },
    'projects get-iam-policy': { bindings: [{ role: 'roles/owner', members: [`user:${ME}`] }] },
    'service-accounts get-iam-policy': {},
    ...overrides,
  });
  /** Runs the named checks against canned answers (an Error answer is the CLI failing with it); returns them and the calls made. */
  async function preflight(titles: RegExp, canned: Record<string, unknown>, settings = gcpSettings()) {
    const calls: string[] = [];
    const runner: Runner = {
      async run(command) {
        const argv = displayArgv(command);
        const key = Object.keys(canned).find((k) => argv.join(' ').includes(k));
        calls.push(key ?? argv.join(' '));
        const answer = key === undefined ? {} : canned[key];
        if (answer instanceof CliError) throw answer;
        return { stdout: JSON.stringify(answer), stderr: '', exitCode: 0 };
      },
      backoff: async () => {},
    };
    const checks = gcpPreflight(settings, runner).filter((check) => titles.test(check.title));
    return { results: await Promise.all(checks.map((check) => check.run())), calls };
  }
  const denied = new CliError('access-denied', [], 1, 'PERMISSION_DENIED: The caller does not have permission');

  it('passes a subnet with Private Google Access served by an all-subnets NAT, and an owner of the project, sharing the login and project reads', async () => {
    const { results, calls } = await preflight(/Subnet|NAT|service account/, answers({}));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results[2]!.detail).toBe(`${SA}; ${ME} may act as it (roles/owner)`);
    // The account's own policy is read only when the project's grants nothing.
    expect(calls.sort()).toEqual(['auth list', 'projects describe', 'projects get-iam-policy', 'routers list', 'service-accounts describe', 'subnets describe']);
  });

  it('asks for the Compute Engine API, which the network needs, and leaves the others to the install', async () => {
    const enabled = (apis: string[]) => ({ 'services list': apis.map((name) => ({ config: { name } })) });
    expect((await preflight(/APIs/, answers(enabled(['run.googleapis.com'])))).results[0])
      .toEqual({ ok: false, detail: 'compute.googleapis.com is off: the VPC network and Direct VPC egress need it', fix: 'gcloud services enable compute.googleapis.com --project=acme-membrane' });
    expect((await preflight(/APIs/, answers(enabled(['compute.googleapis.com', 'run.googleapis.com'])))).results[0])
      .toEqual({ ok: true, detail: 'off: secretmanager.googleapis.com, artifactregistry.googleapis.com; the install enables them (first step)' });
  });

  it('refuses a subnet of another network, naming both ways out', async () => {
    const { results } = await preflight(/Subnet/, answers({ 'subnets describe': { network: link('global/networks/other'), privateIpGoogleAccess: true } }));
    expect(results[0]).toMatchObject({ ok: false, detail: 'subnet default is in network other, not default', fix: 'set gcp.network to other, or gcp.subnet to a subnet of default in us-central1' });
  });

  it('counts only a public NAT that serves the subnet; a listed NAT without it is extended, not duplicated', async () => {
    const listOnly = [{ name: 'nat-router', network: link('global/networks/default'), nats: [nat({ sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS', subnetworks: [{ name: link('regions/us-central1/subnetworks/db') }] })] }];
    const { results: [listed] } = await preflight(/NAT/, answers({ 'routers list': listOnly }));
    expect(listed).toMatchObject({ ok: false, fix: 'gcloud compute routers nats update nat-config --router=nat-router --region=us-central1 --nat-custom-subnet-ip-ranges=db,default --project=acme-membrane' });
    const served = [{ ...listOnly[0], nats: [nat({ sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS', subnetworks: [{ name: link('regions/us-central1/subnetworks/default') }] })] }];
    expect((await preflight(/NAT/, answers({ 'routers list': served }))).results[0]!.ok).toBe(true);
    const privateNat = [{ ...listOnly[0], nats: [nat({ type: 'PRIVATE', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' })] }];
    expect((await preflight(/NAT/, answers({ 'routers list': privateNat }))).results[0]!.ok).toBe(false);
    const otherNetwork = [{ ...served[0], network: link('global/networks/default-2') }];
    expect((await preflight(/NAT/, answers({ 'routers list': otherNetwork }))).results[0]).toMatchObject({ ok: false, fix: expect.stringMatching(/^gcloud compute routers create nat-router --network=default /) });
  });

  it('finds the grant on the account when the project has none, and takes a group\'s grant as a maybe', async () => {
    const onAccount = await preflight(/service account/, answers({
      'projects get-iam-policy': { bindings: [{ role: 'roles/viewer', members: [`user:${ME}`] }] },
      'service-accounts get-iam-policy': { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [`user:${ME}`] }] },
    }));
    expect(onAccount.results[0]).toMatchObject({ ok: true, detail: `${SA}; ${ME} may act as it (roles/iam.serviceAccountUser)` });
    expect(onAccount.calls).toContain('service-accounts get-iam-policy');
    const group = await preflight(/service account/, answers({ 'projects get-iam-policy': { bindings: [{ role: 'roles/editor', members: ['group:devs@example.com'] }] } }));
    expect(group.results[0]).toMatchObject({ ok: true, detail: `${SA}; ${ME} may act as it (roles/editor through group:devs@example.com, if ${ME} is in it)` });
  });

  it('does not fail on a policy it may not read, and says it could not confirm', async () => {
    const { results } = await preflight(/service account/, answers({ 'projects get-iam-policy': denied, 'service-accounts get-iam-policy': denied }));
    expect(results[0]).toMatchObject({ ok: true, detail: `${SA}; could not read who may act as it, so not confirmed that ${ME} may` });
  });

  it('offers to create a missing account only in the deployment\'s project', async () => {
    const missing = new CliError('not-found', [], 1, 'NOT_FOUND: Unknown service account');
    const inProject = gcpSettings((raw) => (raw.gcp.serviceAccount = 'membrane-run@acme-membrane.iam.gserviceaccount.com'));
    const elsewhere = gcpSettings((raw) => (raw.gcp.serviceAccount = 'membrane-run@other-project.iam.gserviceaccount.com'));
    expect((await preflight(/service account/, answers({ 'service-accounts describe': missing }), inProject)).results[0])
      .toMatchObject({ ok: false, detail: 'membrane-run@acme-membrane.iam.gserviceaccount.com does not exist', fix: 'gcloud iam service-accounts create membrane-run --project=acme-membrane, or set gcp.serviceAccount to an existing one' });
    expect((await preflight(/service account/, answers({ 'service-accounts describe': missing }), elsewhere)).results[0])
      .toMatchObject({ ok: false, fix: 'set gcp.serviceAccount to an existing service account' });
  });

  it('names the fix for a user who holds no role that carries actAs', async () => {
    const { results } = await preflight(/service account/, answers({ 'projects get-iam-policy': { bindings: [] } }));
    expect(results[0]).toMatchObject({ ok: false, fix: `gcloud iam service-accounts add-iam-policy-binding ${SA} --member=user:${ME} --role=roles/iam.serviceAccountUser --project=acme-membrane` });
  });
});

describe('the endpoints step: each public service\'s URL and what Google offers for its custom domain', () => {
  const url = (service: string) => `https://membrane-${service}-123456789012.us-central1.run.app`;
  const listed = ['api', 'ui', 'console', 'orchestrator'].map((service) => ({ metadata: { name: `membrane-${service}` }, status: { url: url(service) } }));
  const mapping = (host: string, routeName: string, ready: 'True' | 'Unknown') => ({
    metadata: { name: host }, spec: { routeName },
    status: { conditions: [{ type: 'Ready', status: ready, ...(ready !== 'True' && { reason: 'CertificatePending', message: 'Waiting for certificate provisioning.' }) }] },
  });
  /** The step's answer and the calls it made, each call answered by what `answer` gives for its argv. */
  async function read(answer: (argv: string) => unknown, settings = gcpSettings()) {
    const calls: string[] = [];
    const runner: Runner = {
      run: async (command) => {
        const argv = displayArgv(command).join(' ');
        calls.push(argv);
        return { stdout: JSON.stringify(answer(argv)), stderr: '', exitCode: 0 };
      },
      backoff: async () => {},
    };
    const step = gcpAdapter(settings).plan().find((s) => s.id === 'endpoints') as ActionStep;
    const result = await step.apply({ runner, outputs: { get: () => '' }, secrets: {}, progress: () => {}, stop: new AbortController().signal });
    expect(result.outcome).toBe('checked');
    return { calls, endpoints: JSON.parse(result.outputs!.endpoints!) };
  }

  it('in a region with domain mappings: the URLs from one services list, a CNAME to ghs.googlehosted.com. per host, and the commands for the hosts not mapped yet', async () => {
    const { calls, endpoints } = await read((argv) => (argv.includes('domain-mappings') ? [mapping('api.example.com', 'membrane-api', 'True'), mapping('ui.example.com', 'membrane-ui', 'Unknown')] : listed));
    expect(calls).toEqual([
      'gcloud run services list --region=us-central1 --project=acme-membrane --format=json --quiet',
      'gcloud beta run domain-mappings list --region=us-central1 --project=acme-membrane --format=json --quiet',
    ]);
    expect(endpoints.services.map((e: any) => [e.host, e.target, e.tls.ok])).toEqual([
      ['api.example.com', url('api'), true], ['ui.example.com', url('ui'), false], ['console.example.com', url('console'), false],
    ]);
    expect(endpoints.services[1].tls.detail).toBe('domain mapping to membrane-ui not ready yet: Waiting for certificate provisioning.');
    expect(endpoints.records).toEqual(['api', 'ui', 'console'].map((s) => ({ name: `${s}.example.com`, type: 'CNAME', value: 'ghs.googlehosted.com.' })));
    const next = endpoints.nextSteps.join('\n');
    expect(next).toContain('gcloud domains verify example.com');
    expect(endpoints.nextSteps.filter((line: string) => line.includes('domain-mappings create'))).toEqual([
      '  gcloud beta run domain-mappings create --service=membrane-console --domain=console.example.com --region=us-central1 --project=acme-membrane',
    ]);
    expect(next).toMatch(/Preview/);
    expect(next).toContain('/auth/register');
  });

  it('says so when a host is mapped to another service', async () => {
    const { endpoints } = await read((argv) => (argv.includes('domain-mappings') ? [mapping('api.example.com', 'legacy-api', 'True')] : listed));
    expect(endpoints.services[0].tls).toEqual({ ok: false, detail: 'api.example.com is mapped to legacy-api, not membrane-api' });
  });

  it('in a region without domain mappings: no domain-mapping read, and the load balancer\'s commands with an A record to its address', async () => {
    const { calls, endpoints } = await read(() => listed, gcpSettings((raw) => (raw.gcp.region = 'europe-west3')));
    expect(calls).toEqual(['gcloud run services list --region=europe-west3 --project=acme-membrane --format=json --quiet']);
    expect(endpoints.services.map((e: any) => e.tls.ok)).toEqual([false, false, false]);
    expect(endpoints.services[0].tls.detail).toMatch(/^no custom domain yet: europe-west3 has no Cloud Run domain mappings/);
    expect(endpoints.records).toEqual([]);
    const next = endpoints.nextSteps.join('\n');
    for (const expected of [
      'gcloud compute addresses create membrane-ip --global',
      'gcloud compute network-endpoint-groups create membrane-ui-neg --region=europe-west3 --network-endpoint-type=serverless --cloud-run-service=membrane-ui',
      'gcloud compute url-maps add-path-matcher membrane-lb --path-matcher-name=console --default-service=membrane-console-backend --new-hosts=console.example.com --global',
      'gcloud compute ssl-certificates create membrane-cert --domains=api.example.com,ui.example.com,console.example.com --global',
      'gcloud compute forwarding-rules create membrane-https --global --load-balancing-scheme=EXTERNAL_MANAGED --address=membrane-ip --target-https-proxy=membrane-https-proxy --ports=443',
      'an A record for each of api.example.com, ui.example.com, console.example.com',
    ]) expect(next).toContain(expected);
    expect(next).not.toContain('domain-mappings');
  });

  it('asks for gcloud\'s beta commands in a region with domain mappings, which they read', async () => {
    const versions = (extra: object) => ({ 'gcloud version': { 'Google Cloud SDK': '528.0.0', ...extra } });
    const check = async (canned: object, settings = gcpSettings()) => {
      const runner: Runner = { run: async () => ({ stdout: JSON.stringify(Object.values(canned)[0]), stderr: '', exitCode: 0 }), backoff: async () => {} };
      return gcpPreflight(settings, runner).find((c) => c.title === 'gcloud CLI installed')!.run();
    };
    expect(await check(versions({}))).toMatchObject({ ok: false, fix: expect.stringContaining('gcloud components install beta') });
    expect(await check(versions({ beta: '2025.06.20' }))).toEqual({ ok: true, detail: 'Google Cloud SDK 528.0.0' });
    expect((await check(versions({}), gcpSettings((raw) => (raw.gcp.region = 'europe-west3')))).ok).toBe(true);
  });
});

describe('the dns-records step (dns.zone): domain mappings and their CNAMEs in Cloud DNS', () => {
  const mapping = (host: string, routeName: string) => ({ metadata: { name: host }, spec: { routeName } });
  async function apply(mappings: unknown[], rrsets: unknown[]) {
    const { runner, calls } = scriptedRunner((argv) => {
      const asked = argv.slice(1, 5).join(' ');
      return asked.startsWith('dns managed-zones list') ? [{ name: 'example-com', dnsName: 'example.com.', visibility: 'public' }]
        : asked.startsWith('dns record-sets list') ? rrsets : asked === 'beta run domain-mappings list' ? mappings : [];
    });
    const step = gcpAdapter(gcpSettings((raw) => (raw.dns = { zone: 'example.com' }))).plan().find((s) => s.id === 'dns-records') as ActionStep;
    const result = await step.apply({ runner, outputs, progress: () => {}, stop: new AbortController().signal } as any).catch((error: Error) => error);
    const line = (argv: string[]) => argv.slice(0, argv.findIndex((a) => a.startsWith('--project='))).join(' ');
    return { result, writes: calls.filter((argv) => argv.includes('create')).map(line) };
  }

  it('refuses a host mapped to another service and any record at a host but the CNAME to Google, before it writes anything', async () => {
    const { result, writes } = await apply([mapping('ui.example.com', 'legacy-ui')], [{ name: 'console.example.com.', type: 'CNAME', rrdatas: ['old.example.net.'] }]);
    expect((result as Error).message).toBe('ui.example.com is mapped to Cloud Run service legacy-ui, not membrane-ui; console.example.com CNAME is old.example.net., not CNAME ghs.googlehosted.com.. The installer does not overwrite mappings or records it did not make: change or delete them, then run resume.');
    expect(writes).toEqual([]);
  });

  it('maps and points only the hosts still missing, mappings first', async () => {
    const { result, writes } = await apply([mapping('api.example.com', 'membrane-api')], [{ name: 'api.example.com.', type: 'CNAME', rrdatas: ['ghs.googlehosted.com.'] }]);
    expect(result).toEqual({ outcome: 'created' });
    expect(writes).toEqual([
      'gcloud beta run domain-mappings create --service=membrane-ui --domain=ui.example.com --region=us-central1',
      'gcloud beta run domain-mappings create --service=membrane-console --domain=console.example.com --region=us-central1',
      'gcloud dns record-sets create ui.example.com. --zone=example-com --type=CNAME --ttl=300 --rrdatas=ghs.googlehosted.com.',
      'gcloud dns record-sets create console.example.com. --zone=example-com --type=CNAME --ttl=300 --rrdatas=ghs.googlehosted.com.',
    ]);
  });
});

describe('Cloud Run probes', () => {
  it("deploys the guide's check as a liveness probe on the service's path, and a startup probe within Cloud Run's 240 s", () => {
    expect(deployArgv('custom-code-runner')).toEqual(expect.arrayContaining([
      '--startup-probe=httpGet.path=/api/v2/health,periodSeconds=10,timeoutSeconds=5,failureThreshold=24',
      '--liveness-probe=httpGet.path=/api/v2/health,periodSeconds=30,timeoutSeconds=5,failureThreshold=3',
    ]));
    expect(deployArgv('queued-worker')).toContain('--liveness-probe=httpGet.path=/prometheus/queued-tasks,periodSeconds=30,timeoutSeconds=5,failureThreshold=3');
  });

  it('says in words why a service deployed without them rolls once (diff names the probes, not a hash)', () => {
    const settings = gcpSettings();
    const { shape } = deployment(serviceSpec('api'), settings, gcpNames(settings), outputs);
    const container = { image: shape.image, resources: { limits: { cpu: shape.cpu, memory: shape.memory } } };
    const annotations = { 'autoscaling.knative.dev/minScale': String(shape.minInstances), 'autoscaling.knative.dev/maxScale': String(shape.maxInstances) };
    // Cloud Run's default startup probe when none is set: TCP on the port.
    const before = { spec: { template: { metadata: { annotations }, spec: { containers: [{ ...container, startupProbe: { tcpSocket: { port: 5000 }, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 } }] } } } };
    expect(gcpHandChanges(before, shape)).toEqual([
      'startup probe TCP every 240 s, 240 s timeout, 1 failures → GET / every 10 s, 5 s timeout, 24 failures',
      'liveness probe none → GET / every 30 s, 5 s timeout, 3 failures',
    ]);
    const after = { spec: { template: { metadata: { annotations }, spec: { containers: [{ ...container, startupProbe: shape.probes.startup, livenessProbe: shape.probes.liveness }] } } } };
    expect(gcpHandChanges(after, shape)).toEqual([]);
  });
});
