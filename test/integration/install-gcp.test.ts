// A full Cloud Run install with the built CLI and the real gcloud against the loopback fake of
// Google's APIs, asserted from the requests and state the fake received; then a re-run that must
// deploy nothing, and an install killed with SIGKILL mid-deploy that `resume` completes.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedEndpoints } from '../../source/clouds/endpoints.js';
import { SERVICES } from '../../source/membrane/services.js';
import { CANARY_SECRETS, leakedCanaries, readTree, runCli, type CliRun } from '../support/cli.js';
import { gcloudRun, startGcpFake, type GcpHarness } from '../support/gcloud.js';
import { auditLines, MARKER_VAR, runAndKill, servicesInAuditOrder, upgradeKilledThenResumed, waitForOrphans, wavesOf } from '../support/kill.js';

const PROJECT = 'acme-membrane';
const REGION = 'us-central1';
const RUN_TIMEOUT_MS = 400_000;
const SECRET_NAMES = ['membrane-encryption-secret', 'membrane-jwt-secret', 'membrane-mongo-uri', 'membrane-redis-uri', 'membrane-registry-password'];
const SECRET_VALUES: Record<string, string> = {
  'membrane-jwt-secret': CANARY_SECRETS.MEMBRANE_SECRET,
  'membrane-encryption-secret': CANARY_SECRETS.MEMBRANE_ENCRYPTION_SECRET,
  'membrane-mongo-uri': CANARY_SECRETS.MEMBRANE_MONGO_URI,
  'membrane-redis-uri': CANARY_SECRETS.MEMBRANE_REDIS_URI,
  'membrane-registry-password': CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD,
};

let gcp: GcpHarness;
let work: string;
let first: CliRun;
let firstSeconds: number;

const answers = {
  cloud: 'gcp',
  domain: 'example.com',
  imageTag: '2025-09-19',
  registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
  gcp: { project: PROJECT, region: REGION },
};
const cliEnv = (extra: Record<string, string> = {}) => ({ ...gcp.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '300', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50', ...extra });
const installArgs = (stateDir: string) => ['--config', join(work, 'answers.json'), '--yes', '--state-dir', stateDir];
/** Requests that change something, as "METHOD path" (reads, the IAM policy reads POSTed as …:getIamPolicy, and token grants left out). */
const changes = (from = 0) => gcp.fake.requests.slice(from)
  .filter((r) => r.method !== 'GET' && !r.path.endsWith(':getIamPolicy') && r.host !== 'token.fake')
  .map((r) => `${r.method} ${r.path}`);
const containerOf = (service: Record<string, any>) => service.spec.template.spec.containers[0];
/** The endpoints the last run of STATE_DIR's default deployment recorded in its journal. */
const recorded = async (stateDir: string) => {
  const journal = JSON.parse(await readFile(join(stateDir, 'default', 'journal.json'), 'utf8'));
  return recordedEndpoints(journal.state.steps.endpoints.outputs)!;
};

beforeAll(async () => {
  gcp = await startGcpFake({ project: PROJECT });
  // As in a fresh project: Cloud Run is off until the installer enables it.
  gcp.fake.disableApi('run.googleapis.com');
  gcp.fake.setReadyAfterPolls(2);
  work = await mkdtemp(join(tmpdir(), 'membrane-gcp-'));
  await writeFile(join(work, 'answers.json'), JSON.stringify(answers));
  const started = Date.now();
  first = await runCli(installArgs(join(work, 'state')), cliEnv(), RUN_TIMEOUT_MS);
  firstSeconds = (Date.now() - started) / 1000;
}, RUN_TIMEOUT_MS);

afterAll(async () => {
  await gcp?.stop();
});

describe('install on Google Cloud Run against the fake Google APIs', () => {
  it('exits 0 once every service is ready', async () => {
    expect(first.stderr).toBe('');
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.stdout).toContain('7/7 healthy');
    const lines = await auditLines(join(work, 'state', 'default', 'audit.log'));
    console.info(`Cloud Run install: ${firstSeconds.toFixed(1)} s, ${lines.length} gcloud calls`);
  });

  it('enabled the API that was off, and only that one', () => {
    expect(gcp.fake.enabledApis()).toEqual(expect.arrayContaining(['run.googleapis.com', 'secretmanager.googleapis.com', 'artifactregistry.googleapis.com']));
    const enables = gcp.fake.requests.filter((r) => r.host === 'serviceusage.fake' && r.method === 'POST');
    // One API is enabled with services/API:enable, several with services:batchEnable.
    expect(enables.map((r) => `${r.path} ${JSON.stringify(r.body ?? {})}`)).toEqual([`/v1/projects/${PROJECT}/services/run.googleapis.com:enable {}`]);
  });

  it('stores each secret with its value as one version, readable only by the identity that needs it', () => {
    const secrets = gcp.fake.secrets();
    expect(Object.keys(secrets).sort()).toEqual(SECRET_NAMES);
    const runtime = `serviceAccount:${gcp.fake.projectNumber}-compute@developer.gserviceaccount.com`;
    const agent = `serviceAccount:service-${gcp.fake.projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`;
    for (const name of SECRET_NAMES) {
      expect(secrets[name]!.versions, name).toEqual([SECRET_VALUES[name]]);
      expect(secrets[name]!.labels).toEqual({ 'membrane-deployment': 'default' });
      const readers = secrets[name]!.iamBindings.filter((b) => b.role === 'roles/secretmanager.secretAccessor').flatMap((b) => b.members);
      expect(readers, name).toEqual([name === 'membrane-registry-password' ? agent : runtime]);
    }
  });

  it('proxies Harbor through an Artifact Registry remote repository', () => {
    const repository = gcp.fake.repositories()[`${REGION}/membrane-harbor`];
    expect(repository).toBeDefined();
    expect(repository!.mode).toBe('REMOTE_REPOSITORY');
    expect(repository!.format).toBe('DOCKER');
    const config = repository!.remoteRepositoryConfig;
    expect(config.commonRepository.uri).toBe('https://harbor.integration.app');
    expect(config.upstreamCredentials.usernamePasswordCredentials).toEqual({
      username: 'robot$core+acme',
      passwordSecretVersion: `projects/${PROJECT}/secrets/membrane-registry-password/versions/latest`,
    });
  });

  it('deploys the seven services with their image, port, sizes, scaling, env and secret references', () => {
    const services = gcp.fake.services();
    expect(Object.keys(services).sort()).toEqual(SERVICES.map((s) => `membrane-${s.id}`).sort());
    const runnerUrl = services['membrane-custom-code-runner']!.status.url;
    expect(runnerUrl).toMatch(/^https:\/\/membrane-custom-code-runner-\d+\.us-central1\.run\.app$/);
    for (const spec of SERVICES) {
      const service = services[`membrane-${spec.id}`]!;
      const container = containerOf(service);
      expect(container.image).toBe(`${REGION}-docker.pkg.dev/${PROJECT}/membrane-harbor/${spec.image}:2025-09-19`);
      expect(container.ports[0].containerPort).toBe(5000);
      // The guide's health check as Cloud Run probes on the service's own path (a serverless NEG takes none).
      expect(container.livenessProbe, spec.id).toEqual({ httpGet: { path: spec.healthPath }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 });
      expect(container.startupProbe, spec.id).toEqual({ httpGet: { path: spec.healthPath }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 24 });
      expect(container.resources.limits.cpu).toBe('1');
      expect(container.resources.limits.memory).toBe(`${spec.defaultMemoryMiB}Mi`);
      expect(service.spec.template.metadata.annotations['autoscaling.knative.dev/minScale']).toBe('2');
      expect(service.spec.template.metadata.annotations['autoscaling.knative.dev/maxScale'], spec.id).toBe(String(spec.scaling.defaultMaxReplicas));
      // The docs' --concurrency 80 where requests come in, as sent (the fake, like Cloud Run, defaults it to 80); the workers keep the default.
      const sent = gcp.fake.requests.filter((r) => r.method !== 'GET' && r.path.endsWith(`/services/membrane-${spec.id}`) || (r.method === 'POST' && (r.body as any)?.metadata?.name === `membrane-${spec.id}`))
        .map((r) => (r.body as any)?.spec?.template?.spec?.containerConcurrency);
      expect(sent.at(-1), spec.id).toBe(spec.exposure === 'none' ? undefined : 80);
      const env = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
      const secretRefs = Object.fromEntries(container.env.filter((e: any) => e.valueFrom).map((e: any) => [e.name, e.valueFrom.secretKeyRef]));
      expect(env.NODE_ENV).toBe('production');
      if (spec.image === 'core/api') {
        expect(env.CUSTOM_CODE_RUNNER_URI, spec.id).toBe(runnerUrl);
        expect(env[spec.modeFlag!]).toBe('1');
        expect(env.STORAGE_PROVIDER).toBe('gcs');
        expect(env.GOOGLE_CLOUD_PROJECT_ID).toBe(PROJECT);
        // Pinned to the version the install stored (the key is the version), never :latest.
        expect(secretRefs).toEqual({
          SECRET: { name: 'membrane-jwt-secret', key: '1' },
          ENCRYPTION_SECRET: { name: 'membrane-encryption-secret', key: '1' },
          MONGO_URI: { name: 'membrane-mongo-uri', key: '1' },
          REDIS_URI: { name: 'membrane-redis-uri', key: '1' },
        });
        expect(service.spec.template.metadata.annotations['run.googleapis.com/cpu-throttling'], spec.id).toBe(spec.exposure === 'none' ? 'False' : 'True');
        expect(service.spec.template.metadata.annotations['run.googleapis.com/vpc-access-egress'], spec.id).toBe('all-traffic');
      } else {
        expect(secretRefs, spec.id).toEqual({});
      }
      for (const marker of Object.values(CANARY_SECRETS)) expect(JSON.stringify(service)).not.toContain(marker);
    }
  });

  it('opens only the API, UI and console to the internet; the runner is internal but callable', () => {
    const services = gcp.fake.services();
    for (const spec of SERVICES) {
      const name = `membrane-${spec.id}`;
      const ingress = services[name]!.metadata.annotations['run.googleapis.com/ingress'];
      expect(ingress, name).toBe(spec.exposure === 'public' ? 'all' : 'internal');
      const invokers = gcp.fake.serviceIamBindings(name).filter((b) => b.role === 'roles/run.invoker').flatMap((b) => b.members);
      expect(invokers.includes('allUsers'), name).toBe(spec.exposure !== 'none');
    }
  });

  it('keeps every secret out of argv, the audit log, the state and the output', async () => {
    const lines = await auditLines(join(work, 'state', 'default', 'audit.log'));
    const creates = lines.map((line) => JSON.parse(line)).filter((line) => line.argv[1] === 'secrets' && line.argv[2] === 'create');
    expect(creates).toHaveLength(5);
    for (const line of creates) expect(line.stdin).toMatch(/^<secret MEMBRANE_[A-Z_]+>$/);
    const files = [...(await readTree(join(work, 'state'))).values()].join('\n');
    expect(leakedCanaries(first.stdout + first.stderr + files)).toEqual([]);
    expect(gcp.fake.strayRequests).toEqual([]);
  });

  it('records each public service\'s URL, a CNAME to ghs.googlehosted.com. per host and the domain-mapping commands (us-central1 has domain mappings)', async () => {
    const endpoints = await recorded(join(work, 'state'));
    expect(endpoints.services.map((e) => [e.host, e.target, e.tls.ok])).toEqual(
      ['api', 'ui', 'console'].map((service) => [`${service}.example.com`, gcp.fake.services()[`membrane-${service}`]!.status.url, false]),
    );
    expect(endpoints.services[0]!.tls.detail).toBe('no domain mapping yet for api.example.com (commands below)');
    expect(endpoints.records).toEqual(['api', 'ui', 'console'].map((service) => ({ name: `${service}.example.com`, type: 'CNAME', value: 'ghs.googlehosted.com.' })));
    expect(endpoints.nextSteps.join('\n')).toMatch(/Preview.*load balancer/is);
    expect(first.stdout).toContain(`api.example.com: on the platform at ${gcp.fake.services()['membrane-api']!.status.url}`);
  });

  it('prints domain-mapping commands gcloud accepts: after they ran and the certificates are provisioned, the next run records TLS', async () => {
    const commands = first.stdout.split('\n').flatMap((line) => line.match(/^\s+(gcloud beta run domain-mappings create .*)$/)?.[1] ?? []);
    expect(commands).toHaveLength(3);
    // What `gcloud domains verify example.com` does in Search Console.
    gcp.fake.setVerifiedDomains(['example.com']);
    for (const command of commands) {
      const run = await gcloudRun(gcp.env, command.split(' ').slice(1));
      expect(run.exitCode, `${command}: ${run.stderr}`).toBe(0);
    }
    expect(Object.fromEntries(Object.entries(gcp.fake.domainMappings()).map(([domain, m]) => [domain, m.spec.routeName]))).toEqual({
      'api.example.com': 'membrane-api', 'ui.example.com': 'membrane-ui', 'console.example.com': 'membrane-console',
    });
    gcp.fake.provisionCertificates();
  });

  it('changes nothing on a second run', async () => {
    const before = gcp.fake.requests.length;
    const again = await runCli(installArgs(join(work, 'state')), cliEnv(), RUN_TIMEOUT_MS);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('7/7 healthy');
    expect(changes(before)).toEqual([]);
    for (const name of SECRET_NAMES) expect(gcp.fake.secrets()[name]!.versions).toHaveLength(1);
    for (const service of Object.values(gcp.fake.services())) expect(service.metadata.generation).toBe(1);
    // The domain mappings made above are ready: the endpoints say so, and ask for no more commands.
    expect((await recorded(join(work, 'state'))).services.map((e) => e.tls)).toEqual(
      ['api', 'ui', 'console'].map((service) => ({ ok: true, detail: `domain mapping to membrane-${service}, with a Google-managed certificate` })),
    );
    expect(again.stdout).not.toContain('domain-mappings create');
  }, RUN_TIMEOUT_MS);

  it('diff: exit 0 after the install with reads only; exit 1 once a service is scaled in the console, naming what changed', async () => {
    const diff = () => runCli(['diff', '--state-dir', join(work, 'state'), '--json'], cliEnv(), RUN_TIMEOUT_MS);
    const before = gcp.fake.requests.length;
    const same = await diff();
    expect(same.exitCode, same.stdout + same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ cloud: 'gcp', equal: true, differences: 0 });
    expect(changes(before)).toEqual([]);

    // A change by hand keeps the installer's labels (as a console edit does).
    const image = containerOf(gcp.fake.services()['membrane-queued-worker']!).image;
    const scaled = await gcloudRun(gcp.env, ['run', 'deploy', 'membrane-queued-worker', `--image=${image}`, '--min-instances=1', '--async', `--region=${REGION}`, `--project=${PROJECT}`, '--quiet']);
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    const after = gcp.fake.requests.length;
    const drifted = await diff();
    expect(drifted.exitCode, drifted.stdout + drifted.stderr).toBe(1);
    const differing = JSON.parse(drifted.stdout).steps.filter((step: { status: string }) => step.status !== 'same');
    expect(differing.map((step: { id: string; why: string }) => [step.id, step.why])).toEqual([['service:queued-worker', 'min instances 1 → 2']]);
    expect(changes(after)).toEqual([]);
  }, RUN_TIMEOUT_MS);
});

describe('Cloud Run changes and failures', () => {
  it('upgrade with a rotated secret: adds a version, keeps the old one, and deploys exactly the services that read it; then nothing differs', async () => {
    const rotated = 'canary-jwt-rotated-V8c2';
    const upgrade = () => runCli(['upgrade', '--image-tag', answers.imageTag, ...installArgs(join(work, 'state'))], cliEnv({ MEMBRANE_SECRET: rotated }), RUN_TIMEOUT_MS);
    const revisions = () => Object.fromEntries(Object.entries(gcp.fake.services()).map(([name, service]) => [name.replace('membrane-', ''), service.status.latestCreatedRevisionName as string]));
    const before = revisions();
    const run = await upgrade();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(gcp.fake.secrets()['membrane-jwt-secret']!.versions).toEqual([CANARY_SECRETS.MEMBRANE_SECRET, rotated]);
    const engine = ['orchestrator', 'queued-worker', 'instant-worker', 'api'];
    expect(run.stdout).toContain(`  MEMBRANE_SECRET: restarts ${engine.join(', ')}\nRunning containers keep the old value until they restart`);
    expect(run.stdout).toContain(`MEMBRANE_SECRET: a new version; ${engine.join(', ')} restarted to read it.`);
    // A new revision for each reader, pinned to version 2; the runner and the frontends keep theirs.
    const after = revisions();
    for (const spec of SERVICES) expect(after[spec.id] !== before[spec.id], spec.id).toBe(engine.includes(spec.id));
    for (const id of engine) {
      const env = containerOf(gcp.fake.services()[`membrane-${id}`]!).env;
      expect(env.find((e: { name: string }) => e.name === 'SECRET').valueFrom.secretKeyRef, id).toEqual({ name: 'membrane-jwt-secret', key: '2' });
    }
    expect(run.stdout + run.stderr).not.toContain(rotated);
    for (const [path, content] of await readTree(join(work, 'state'))) expect(content, path).not.toContain(rotated);

    // Again, asked of every step with reads only (cheaper than a second upgrade, same steps): nothing would change.
    const since = gcp.fake.requests.length;
    const again = await runCli(['diff', '--state-dir', join(work, 'state'), '--json'], cliEnv({ MEMBRANE_SECRET: rotated }), RUN_TIMEOUT_MS);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ equal: true, differences: 0, notes: [] });
    expect(changes(since)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('rolls back an upgrade whose api revision does not start: every service it moved serves the old image again', async () => {
    gcp.fake.failImageTag('membrane-api', '2025-10-01');
    const run = await runCli(['upgrade', '--image-tag', '2025-10-01', '--yes', '--state-dir', join(work, 'state')], cliEnv(), RUN_TIMEOUT_MS);
    gcp.fake.failImageTag('membrane-api', null);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/api failed: .*is not ready/);
    expect(run.stdout).toContain('Rolling back custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console to the release of');
    for (const [name, service] of Object.entries(gcp.fake.services())) {
      expect(containerOf(service).image, name).toMatch(/:2025-09-19$/);
      // Traffic is on a ready revision of the old image.
      expect(service.status.traffic[0].revisionName, name).toBe(service.status.latestReadyRevisionName);
    }
  }, RUN_TIMEOUT_MS);

  it('fails a service whose revision does not start, with Cloud Run\'s message, and leaves the next waves alone', async () => {
    const stateDir = join(work, 'failing-state');
    gcp.fake.reset();
    gcp.fake.setReadyAfterPolls(1);
    gcp.fake.failRevision('membrane-queued-worker');
    const run = await runCli(installArgs(stateDir), cliEnv(), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/queued-worker failed: Revision 'membrane-queued-worker-\d+-\w+' is not ready/);
    expect(run.stdout).toContain('Looks like: Health checks failing');
    expect(run.stdout).toContain('gcloud logging read');
    expect(Object.keys(gcp.fake.services())).not.toContain('membrane-api');
    expect(run.stdout).toContain(`resume --name default --state-dir ${stateDir}`);
  }, RUN_TIMEOUT_MS);

  it.each([
    ['a region in the wrong format', { project: PROJECT, region: 'US-Central1' }, /gcp\.region: "US-Central1" must be a Cloud Run region like us-central1/],
    ['a missing project', { region: REGION }, /gcp\.project: missing/],
  ])('refuses %s with exit 2 before any request', async (name, block, message) => {
    const file = join(work, `bad-${name.length}.json`);
    await writeFile(file, JSON.stringify({ ...answers, gcp: block }));
    const before = gcp.fake.requests.length;
    const run = await runCli(['--config', file, '--yes', '--state-dir', join(work, `bad-${name.length}`)], cliEnv(), RUN_TIMEOUT_MS);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(gcp.fake.requests.length).toBe(before);
  });
});

describe('Cloud Run preflight: the VPC the engine leaves through, and the identity the services run as', () => {
  const SA = '123456789012-compute@developer.gserviceaccount.com';
  /** A fresh install against the fake as the knobs left it: it must stop at preflight (exit 2) having changed nothing. */
  async function refused(name: string, gcpAnswers: Record<string, unknown> = answers.gcp): Promise<string> {
    const file = join(work, `${name}.json`);
    await writeFile(file, JSON.stringify({ ...answers, gcp: gcpAnswers }));
    const before = gcp.fake.requests.length;
    const run = await runCli(['--config', file, '--yes', '--state-dir', join(work, name)], cliEnv(), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain('Nothing was changed in the cloud.');
    expect(changes(before)).toEqual([]);
    expect(Object.keys(gcp.fake.services())).toEqual([]);
    return run.stdout;
  }

  it('names the fix for a subnet without Private Google Access, a router without NAT and a caller who may not act as the runtime account', async () => {
    gcp.fake.reset();
    gcp.fake.setVpc({ privateGoogleAccess: false, nat: false });
    gcp.fake.setProjectIamBindings([{ role: 'roles/run.admin', members: [`serviceAccount:${gcp.account}`] }]);
    const out = await refused('preflight-vpc');
    expect(out).toContain('✖ Subnet default of network default in us-central1, with Private Google Access — Private Google Access is off on default');
    expect(out).toContain(`    fix: gcloud compute networks subnets update default --region=${REGION} --enable-private-ip-google-access --project=${PROJECT}`);
    expect(out).toContain(`✖ Cloud NAT for default in ${REGION} — no Cloud NAT serves default`);
    expect(out).toContain(`    fix: gcloud compute routers nats create nat-config --router=nat-router --region=${REGION} --auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges --project=${PROJECT}`);
    expect(out).toContain(`✖ Runtime service account (the project's default compute one) — ${gcp.account} holds none of roles/iam.serviceAccountUser, roles/editor, roles/owner on ${SA}`);
    expect(out).toContain(`    fix: gcloud iam service-accounts add-iam-policy-binding ${SA} --member=serviceAccount:${gcp.account} --role=roles/iam.serviceAccountUser --project=${PROJECT}`);
    expect(out).toContain('3 of 7 checks failed.');
  }, RUN_TIMEOUT_MS);

  it('names the fix for a missing network and a runtime account that does not exist', async () => {
    gcp.fake.reset();
    gcp.fake.setVpc({ network: false });
    const out = await refused('preflight-network', { ...answers.gcp, serviceAccount: `membrane-run@${PROJECT}.iam.gserviceaccount.com` });
    expect(out).toContain(`✖ Subnet default of network default in ${REGION}, with Private Google Access — there is no network default in ${PROJECT}`);
    expect(out).toContain(`    fix: gcloud compute networks create default --subnet-mode=auto --project=${PROJECT}`);
    expect(out).toContain(`    fix: gcloud compute routers create nat-router --network=default --region=${REGION} --project=${PROJECT}, then gcloud compute routers nats create nat-config --router=nat-router`);
    expect(out).toContain(`✖ Runtime service account membrane-run@${PROJECT}.iam.gserviceaccount.com — membrane-run@${PROJECT}.iam.gserviceaccount.com does not exist`);
    expect(out).toContain(`    fix: gcloud iam service-accounts create membrane-run --project=${PROJECT}`);
    expect(out).toContain('3 of 7 checks failed.');
  }, RUN_TIMEOUT_MS);
});

describe('Cloud Run install killed with SIGKILL while the engine services are being deployed', () => {
  it('resumes to one complete deployment, deploying nothing twice', async () => {
    gcp.fake.reset();
    gcp.fake.setReadyAfterPolls(2);
    const stateDir = join(work, 'killed-state');
    const auditLog = join(stateDir, 'default', 'audit.log');
    const marker = randomUUID();
    const env = cliEnv({ [MARKER_VAR]: marker });
    // Right after the first deploy of wave 2 was sent: the others of that wave may be in flight.
    const killed = await runAndKill({
      args: installArgs(stateDir),
      env,
      auditLog,
      killWhen: (lines) => lines.some((line) => line.includes('"deploy","membrane-orchestrator"')),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the install finished before the kill point').toBeUndefined();
    await waitForOrphans(marker);

    const resumed = await runCli(['resume', '--name', 'default', '--state-dir', stateDir, '--yes'], env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('7/7 healthy');
    const services = gcp.fake.services();
    expect(Object.keys(services)).toHaveLength(7);
    for (const [name, service] of Object.entries(services)) expect(service.metadata.generation, name).toBe(1);
    for (const name of SECRET_NAMES) expect(gcp.fake.secrets()[name]!.versions, name).toEqual([SECRET_VALUES[name]]);
    const runnerUrl = services['membrane-custom-code-runner']!.status.url;
    expect(containerOf(services['membrane-api']!).env.find((e: any) => e.name === 'CUSTOM_CODE_RUNNER_URI').value).toBe(runnerUrl);
    const journal = await readFile(join(stateDir, 'default', 'journal.json'), 'utf8');
    expect(journal).toContain(runnerUrl);
    expect(leakedCanaries(journal + resumed.stdout + resumed.stderr)).toEqual([]);
  }, RUN_TIMEOUT_MS * 2);

  it('an upgrade killed with SIGKILL mid-rollout resumes to the new tag: the guide\'s order, each service deployed once more', async () => {
    const stateDir = join(work, 'killed-state');
    const { killed, resumed, lines } = await upgradeKilledThenResumed({
      tag: '2025-11-01', args: installArgs(stateDir), stateDir, env: cliEnv(), killAt: '"deploy","membrane-orchestrator"', timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the upgrade finished before the kill point').toBeUndefined();
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    for (const [name, service] of Object.entries(gcp.fake.services())) {
      expect(containerOf(service).image, name).toMatch(/:2025-11-01$/);
      expect(service.metadata.generation, name).toBe(2);
    }
    const deployed = servicesInAuditOrder(lines, 'deploy');
    // Wave-2 commands in flight at the kill finish as orphans, whose lines the killed installer never wrote;
    // the runner, the orchestrator (the kill point) and the whole of wave 3 are always there, in the guide's order.
    expect(deployed).toEqual(expect.arrayContaining(['custom-code-runner', 'orchestrator', 'api', 'ui', 'console']));
    expect(wavesOf(deployed)).toEqual([...wavesOf(deployed)].sort());
  }, RUN_TIMEOUT_MS * 2);
});

describe('Cloud Run install with --dns-zone in a region with domain mappings', () => {
  let zoned: GcpHarness;
  let dir: string;
  const hosts = ['api', 'ui', 'console'];
  // No DNS from the tests: every name "does not resolve" (the verify knob), so no resolver is asked.
  const env = () => ({ ...zoned.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '300', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50', CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}' });
  const args = (zone: string) => ['--config', join(dir, 'answers.json'), '--yes', '--state-dir', join(dir, 'state'), '--dns-zone', zone];
  const cnames = (zone: string) => zoned.fake.recordSets(zone).filter((set) => set.type === 'CNAME').map((set) => [set.name, set.rrdatas.join(' ')]);
  const writes = (from: number) => zoned.fake.requests.slice(from).filter((r) => r.method === 'POST' && /\/(domainmappings|rrsets)$/.test(r.path)).map((r) => `${r.method} ${r.path}`);

  beforeAll(async () => {
    zoned = await startGcpFake({ project: PROJECT, managedZones: [{ name: 'example-com', dnsName: 'example.com.' }, { name: 'other', dnsName: 'example.org.' }] });
    zoned.fake.setReadyAfterPolls(0);
    zoned.fake.setVerifiedDomains(['example.com']);
    dir = await mkdtemp(join(tmpdir(), 'membrane-gcp-dns-'));
    await writeFile(join(dir, 'answers.json'), JSON.stringify(answers));
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await zoned?.stop();
  });

  it('refuses, before anything changes, a zone the project does not have and a zone the domain is not in', async () => {
    const missing = await runCli(args('example.net'), env(), RUN_TIMEOUT_MS);
    expect(missing.exitCode, missing.stdout + missing.stderr).toBe(2);
    expect(missing.stdout).toContain(`no public Cloud DNS managed zone named example.net (or for the DNS name example.net) in project ${PROJECT}`);
    expect(missing.stdout).toContain('gcloud dns managed-zones create ZONE_NAME --dns-name=example.com.');
    const outside = await runCli(args('example.org'), env(), RUN_TIMEOUT_MS);
    expect(outside.exitCode, outside.stdout + outside.stderr).toBe(2);
    expect(outside.stdout).toContain('example.com is not in the zone other (example.org.)');
    expect(zoned.fake.services()).toEqual({});
  }, RUN_TIMEOUT_MS);

  it('maps each host to its service and creates its CNAME to ghs.googlehosted.com. in the zone; the endpoints show the mappings', async () => {
    const run = await runCli(args('example.com'), env(), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(Object.fromEntries(Object.entries(zoned.fake.domainMappings()).map(([domain, m]) => [domain, m.spec.routeName]))).toEqual(
      Object.fromEntries(hosts.map((service) => [`${service}.example.com`, `membrane-${service}`])),
    );
    expect(cnames('example-com').sort()).toEqual(hosts.map((service) => [`${service}.example.com.`, 'ghs.googlehosted.com.']).sort());
    expect(zoned.fake.recordSets('example-com').filter((set) => set.type === 'CNAME').map((set) => set.ttl)).toEqual([300, 300, 300]);
    const endpoints = await recorded(join(dir, 'state'));
    expect(endpoints.zone).toBe('Cloud DNS managed zone example.com');
    // Google provisions each certificate once its CNAME resolves: until then the endpoints say so.
    expect(endpoints.services.map((e) => e.tls.detail)).toEqual(hosts.map((service) => expect.stringContaining(`domain mapping to membrane-${service} not ready yet: Waiting for certificate provisioning`)));
    expect(run.stdout).toContain('DNS records, kept by the installer in Cloud DNS managed zone example.com:');
    expect(run.stdout).not.toContain('domain-mappings create');
  }, RUN_TIMEOUT_MS);

  it('maps and creates nothing on a second run', async () => {
    const before = zoned.fake.requests.length;
    const again = await runCli(args('example.com'), env(), RUN_TIMEOUT_MS);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(writes(before)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('refuses a record it did not make, naming it, and leaves it as it is', async () => {
    // Someone replaces the ui CNAME by an A record.
    const dns = (...rest: string[]) => gcloudRun(zoned.env, ['dns', 'record-sets', ...rest, '--zone=example-com', `--project=${PROJECT}`, '--format=json']);
    expect((await dns('delete', 'ui.example.com.', '--type=CNAME')).exitCode).toBe(0);
    expect((await dns('create', 'ui.example.com.', '--type=A', '--ttl=300', '--rrdatas=203.0.113.9')).exitCode).toBe(0);
    const before = zoned.fake.requests.length;
    const clash = await runCli(args('example.com'), env(), RUN_TIMEOUT_MS);
    expect(clash.exitCode, clash.stdout + clash.stderr).toBe(1);
    expect(clash.stdout).toContain('ui.example.com A is 203.0.113.9, not CNAME ghs.googlehosted.com.. The installer does not overwrite mappings or records it did not make');
    expect(writes(before)).toEqual([]);
    expect(zoned.fake.recordSets('example-com').filter((set) => set.name === 'ui.example.com.').map((set) => set.type)).toEqual(['A']);
  }, RUN_TIMEOUT_MS);
});
