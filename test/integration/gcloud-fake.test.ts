// Proves the GCP test harness: the real `gcloud` (528) against the loopback fake of Google's APIs,
// for every command the installer runs, asserted from what the fake received and keeps. Nothing may
// leave loopback: every request to a host that is not one of the fake's is recorded and must not happen.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedEndpoints } from '../../source/clouds/endpoints.js';
import { gcpEndpointsStep } from '../../source/clouds/gcp/endpoints.js';
import { classifyFailure } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { startGcpFakeServer } from '../support/gcp-fake.js';
import { gcloud, GcloudCliError, gcloudRun, startGcpFake, type GcpHarness } from '../support/gcloud.js';
import { gcpSettings } from '../unit/fixtures.js';

const PROJECT = 'membrane-demo';
const NUMBER = '123456789012';
const REGION = 'us-central1';
const P = `--project=${PROJECT}`;
const SA = `membrane-run@${PROJECT}.iam.gserviceaccount.com`;
const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/membrane/core/api`;
const KNATIVE = `/apis/serving.knative.dev/v1/namespaces/${PROJECT}/services`;

let harness: GcpHarness;
let work: string;
let envFile: string;

const fake = () => harness.fake;
const env = () => harness.env;
/** Requests the fake received while `action` ran. */
async function during<T>(action: () => Promise<T>): Promise<{ result: T; requests: typeof harness.fake.requests }> {
  const before = fake().requests.length;
  const result = await action();
  return { result, requests: fake().requests.slice(before) };
}
/** A failing gcloud call's error (the call must fail). */
async function failure(args: string[]): Promise<GcloudCliError> {
  const error = await gcloud(env(), args).then(() => undefined, (e: unknown) => e);
  expect(error, `gcloud ${args.join(' ')} should fail`).toBeInstanceOf(GcloudCliError);
  return error as GcloudCliError;
}
const condition = (service: any, type: string) => service.status.conditions.find((c: { type: string }) => c.type === type);

function deployArgs(name: string, tag: string, overrides: string[] = []): string[] {
  return [
    'run', 'deploy', name, `--image=${IMAGE}:${tag}`, `--region=${REGION}`, P,
    '--port=5000', '--cpu=1', '--memory=2048Mi', '--min-instances=2', '--max-instances=10',
    `--env-vars-file=${envFile}`, '--set-secrets=SECRET=membrane-jwt-secret:latest,MONGO_URI=membrane-mongo-uri:latest',
    `--service-account=${SA}`, '--network=default', '--subnet=default', '--vpc-egress=all-traffic',
    '--labels=membrane-deployment=default,membrane-spec=abc123', '--format=json',
    ...(overrides.length ? overrides : ['--ingress=internal', '--allow-unauthenticated', '--no-cpu-throttling', '--async']),
  ];
}

describe('gcloud against the loopback fake', () => {
  beforeAll(async () => {
    const started = performance.now();
    harness = await startGcpFake({ project: PROJECT, projectNumber: NUMBER, managedZones: [
      { name: 'example-com', dnsName: 'example.com.', recordSets: [{ name: 'www.example.com.', type: 'A', ttl: 300, rrdatas: ['203.0.113.7'] }] },
      { name: 'internal', dnsName: 'corp.internal.', visibility: 'private' },
    ] });
    // The services run as their own account, which the owner may act as.
    harness.fake.setServiceAccountIamBindings(SA, []);
    console.info(`gcp fake + activated service account in ${Math.round(performance.now() - started)} ms`);
    work = await mkdtemp(join(tmpdir(), 'gcloud-fake-test-'));
    envFile = join(work, 'env.yaml');
    // A comma and a `$` in values: what --set-env-vars cannot carry without gcloud's ^@^ escape.
    await writeFile(envFile, 'NODE_ENV: production\nBASE_URI: "https://api.example.com/a,b"\nREGISTRY_USER: "robot$core+acme"\n');
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is authenticated as an activated service account, through the fake token endpoint', async () => {
    const tokenGrants = fake().requests.filter((r) => r.host === 'token.fake');
    expect(tokenGrants.length).toBeGreaterThan(0);
    expect(tokenGrants[0]).toMatchObject({ method: 'POST', path: '/token', body: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' } });
    expect(env()).toMatchObject({
      CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: 'http://run.fake/',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER: 'http://secretmanager.fake/',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: 'http://compute.fake/',
      CLOUDSDK_PROXY_TYPE: 'http',
      CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
      CLOUDSDK_PROXY_PORT: String(fake().port),
      CLOUDSDK_CORE_PROJECT: PROJECT,
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    });
    expect(env().no_proxy ?? env().NO_PROXY).toBeUndefined();

    const [accounts, project, other] = await Promise.all([
      gcloud(env(), ['auth', 'list', '--format=json']),
      gcloud(env(), ['projects', 'describe', PROJECT, '--format=json']),
      failure(['projects', 'describe', 'someone-elses-project', '--format=json']),
    ]);
    expect(accounts).toEqual([{ account: harness.account, status: 'ACTIVE' }]);
    expect(project).toMatchObject({ projectId: PROJECT, projectNumber: NUMBER, lifecycleState: 'ACTIVE' });
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toContain('The caller does not have permission');
  });

  it('reports a disabled API with Google\'s SERVICE_DISABLED error until `services enable`', async () => {
    fake().disableApi('run.googleapis.com');
    const enabledBefore = await gcloud(env(), ['services', 'list', '--enabled', P, '--format=json']);
    expect(enabledBefore.map((s: { config: { name: string } }) => s.config.name)).not.toContain('run.googleapis.com');

    const disabled = await failure(['run', 'services', 'list', `--region=${REGION}`, P, '--format=json']);
    expect(disabled.exitCode).toBe(1);
    expect(disabled.stderr).toContain(`Cloud Run Admin API has not been used in project ${NUMBER} before or it is disabled`);
    expect(disabled.stderr).toContain('reason: SERVICE_DISABLED');

    const { requests } = await during(() => gcloud(env(), ['services', 'enable', 'run.googleapis.com', 'secretmanager.googleapis.com', 'artifactregistry.googleapis.com', P]));
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([`POST serviceusage.fake/v1/projects/${PROJECT}/services:batchEnable`]);
    expect(requests[0].body).toEqual({ serviceIds: ['run.googleapis.com', 'secretmanager.googleapis.com', 'artifactregistry.googleapis.com'] });
    expect(fake().enabledApis()).toEqual(expect.arrayContaining(['run.googleapis.com', 'secretmanager.googleapis.com', 'artifactregistry.googleapis.com']));
    expect(await gcloud(env(), ['run', 'services', 'list', `--region=${REGION}`, P, '--format=json'])).toEqual([]);
  });

  it('creates secrets from stdin, adds versions, reads them back and grants access', async () => {
    const missing = await failure(['secrets', 'describe', 'membrane-jwt-secret', P, '--format=json']);
    expect(missing.stderr).toContain(`NOT_FOUND: Secret [projects/${NUMBER}/secrets/membrane-jwt-secret] not found`);

    const created = await gcloud(env(), ['secrets', 'create', 'membrane-jwt-secret', '--data-file=-', '--replication-policy=automatic', '--labels=membrane-deployment=default', P, '--format=json'], { input: 'first,va$lue' });
    expect(created).toMatchObject({ name: `projects/${NUMBER}/secrets/membrane-jwt-secret`, labels: { 'membrane-deployment': 'default' }, replication: { automatic: {} } });
    const added = await gcloud(env(), ['secrets', 'versions', 'add', 'membrane-jwt-secret', '--data-file=-', P, '--format=json'], { input: 'second' });
    expect(added).toMatchObject({ name: `projects/${NUMBER}/secrets/membrane-jwt-secret/versions/2`, state: 'ENABLED', clientSpecifiedPayloadChecksum: true });
    expect(fake().secrets()['membrane-jwt-secret']).toMatchObject({ labels: { 'membrane-deployment': 'default' }, versions: ['first,va$lue', 'second'] });
    expect(await gcloud(env(), ['secrets', 'versions', 'access', 'latest', '--secret=membrane-jwt-secret', P])).toBe('second');

    expect(await gcloud(env(), ['secrets', 'get-iam-policy', 'membrane-jwt-secret', P, '--format=json'])).toEqual({ etag: 'ACAB' });
    const policy = await gcloud(env(), ['secrets', 'add-iam-policy-binding', 'membrane-jwt-secret', `--member=serviceAccount:${SA}`, '--role=roles/secretmanager.secretAccessor', P, '--format=json']);
    const binding = { role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${SA}`] };
    expect(policy.bindings).toEqual([binding]);
    expect(fake().secrets()['membrane-jwt-secret'].iamBindings).toEqual([binding]);
  });

  it('a secret created from empty input has no version, so `latest` cannot be read', async () => {
    await gcloud(env(), ['secrets', 'create', 'membrane-mongo-uri', '--data-file=-', '--replication-policy=automatic', P, '--format=json'], { input: '' });
    expect(fake().secrets()['membrane-mongo-uri'].versions).toEqual([]);
    const error = await failure(['secrets', 'versions', 'access', 'latest', '--secret=membrane-mongo-uri', P]);
    expect(error.stderr).toContain(`NOT_FOUND: Secret Version [projects/${NUMBER}/secrets/membrane-mongo-uri/versions/latest] not found.`);
    // A revision may not reference it either (the deploys below do, once it has a version).
    const refused = await gcloudRun(env(), [...deployArgs('no-version', '1.0.0')]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`value_from.secret_key_ref.name: Secret projects/${NUMBER}/secrets/membrane-mongo-uri/versions/latest was not found`);
    await gcloud(env(), ['secrets', 'versions', 'add', 'membrane-mongo-uri', '--data-file=-', P, '--format=json'], { input: 'mongodb://x' });
  });

  it('creates an Artifact Registry remote repository in front of Harbor', async () => {
    const describe = ['artifacts', 'repositories', 'describe', 'membrane', `--location=${REGION}`, P, '--format=json'];
    expect((await failure(describe)).stderr).toContain('NOT_FOUND: Requested entity was not found.');
    const secretVersion = `projects/${PROJECT}/secrets/membrane-harbor-password/versions/latest`;
    await gcloud(env(), [
      'artifacts', 'repositories', 'create', 'membrane', '--repository-format=docker', `--location=${REGION}`,
      '--mode=remote-repository', '--remote-docker-repo=https://harbor.integration.app', '--remote-username=robot$core+acme',
      `--remote-password-secret-version=${secretVersion}`, '--description=Membrane images from Harbor',
      '--labels=membrane-deployment=default', P, '--format=json',
    ]);
    const repository = fake().repositories()[`${REGION}/membrane`];
    expect(repository).toMatchObject({
      name: `projects/${PROJECT}/locations/${REGION}/repositories/membrane`,
      format: 'DOCKER',
      mode: 'REMOTE_REPOSITORY',
      description: 'Membrane images from Harbor',
      labels: { 'membrane-deployment': 'default' },
      // gcloud 528 sends a custom upstream URL as `commonRepository`, not `dockerRepository.customRepository`.
      remoteRepositoryConfig: {
        commonRepository: { uri: 'https://harbor.integration.app' },
        upstreamCredentials: { usernamePasswordCredentials: { username: 'robot$core+acme', passwordSecretVersion: secretVersion } },
      },
    });
    expect(await gcloud(env(), describe)).toMatchObject({ name: repository.name, mode: 'REMOTE_REPOSITORY' });
  });

  it('deploys with --async, then `services list` shows it Ready; env file and secrets share one container env', async () => {
    fake().setReadyAfterPolls(2);
    const { result: deployed, requests } = await during(() => gcloud(env(), deployArgs('api', '1.0.0')));
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([
      `GET serviceusage.fake/v1/projects/${PROJECT}/services/run.googleapis.com`,
      `GET ${REGION}-run.fake${KNATIVE}/api`,
      `POST ${REGION}-run.fake${KNATIVE}`,
      `GET run.fake/v1/projects/${PROJECT}/locations/${REGION}/services/api:getIamPolicy`,
      `POST run.fake/v1/projects/${PROJECT}/locations/${REGION}/services/api:setIamPolicy`,
    ]);
    expect(deployed.metadata.generation).toBe(1);
    expect(condition(deployed, 'Ready').status).toBe('Unknown');
    expect(fake().serviceIamBindings('api')).toEqual([{ role: 'roles/run.invoker', members: ['allUsers'] }]);

    const template = fake().services().api.spec.template;
    expect(template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/minScale': '2',
      'autoscaling.knative.dev/maxScale': '10',
      'run.googleapis.com/cpu-throttling': 'False',
      'run.googleapis.com/vpc-access-egress': 'all-traffic',
      'run.googleapis.com/network-interfaces': '[{"network": "default", "subnetwork": "default"}]',
    });
    expect(fake().services().api.metadata.annotations['run.googleapis.com/ingress']).toBe('internal');
    const container = template.spec.containers[0];
    expect(container).toMatchObject({ image: `${IMAGE}:1.0.0`, ports: [{ containerPort: 5000 }], resources: { limits: { cpu: '1', memory: '2048Mi' } } });
    expect(template.spec.serviceAccountName).toBe(SA);
    // --env-vars-file and --set-secrets combine: the file's values first, then secretKeyRefs (key = version).
    expect(container.env).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'BASE_URI', value: 'https://api.example.com/a,b' },
      { name: 'REGISTRY_USER', value: 'robot$core+acme' },
      { name: 'SECRET', valueFrom: { secretKeyRef: { name: 'membrane-jwt-secret', key: 'latest' } } },
      { name: 'MONGO_URI', valueFrom: { secretKeyRef: { name: 'membrane-mongo-uri', key: 'latest' } } },
    ]);

    const list = () => gcloud(env(), ['run', 'services', 'list', `--region=${REGION}`, P, '--format=json']);
    const [first] = await list();
    expect(condition(first, 'Ready').status).toBe('Unknown');
    const [second] = await list();
    expect(second.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'ConfigurationsReady=True', 'RoutesReady=True']);
    expect(second.status).toMatchObject({
      observedGeneration: 1,
      url: `https://api-${NUMBER}.${REGION}.run.app`,
      address: { url: `https://api-${NUMBER}.${REGION}.run.app` },
      latestReadyRevisionName: second.status.latestCreatedRevisionName,
      traffic: [{ revisionName: second.status.latestCreatedRevisionName, percent: 100, latestRevision: true }],
    });
    expect(second.status.latestCreatedRevisionName).toMatch(/^api-00001-[a-z]{3}$/);
  });

  it('deploys without --async: gcloud polls until Ready with the generation observed', async () => {
    fake().setReadyAfterPolls(3);
    const { result: run, requests } = await during(() => gcloudRun(env(), deployArgs('ui', '1.0.0', ['--ingress=all', '--no-allow-unauthenticated', '--cpu-throttling'])));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Service \[ui\] revision \[ui-00001-[a-z]{3}\] has been deployed and is serving 100 percent of traffic/);
    expect(requests.filter((r) => r.method === 'GET' && r.path === `${KNATIVE}/ui`).length).toBeGreaterThanOrEqual(1 + 3);
    expect(JSON.parse(run.stdout).status.observedGeneration).toBe(1);
    expect(fake().services().ui.spec.template.metadata.annotations['run.googleapis.com/cpu-throttling']).toBe('True');
    expect(fake().serviceIamBindings('ui')).toEqual([]);
    console.info(`gcloud run deploy (sync, ready after 3 polls): ${run.ms} ms`);
  });

  it('a re-deploy replaces the service: generation 2 and a new revision', async () => {
    fake().setReadyAfterPolls(1);
    const before = fake().services().api;
    const { result: redeployed, requests } = await during(() => gcloud(env(), deployArgs('api', '1.1.0')));
    expect(requests.some((r) => r.method === 'PUT' && r.path === `${KNATIVE}/api`)).toBe(true);
    expect(redeployed.metadata.generation).toBe(2);
    expect(redeployed.status.observedGeneration).toBe(1);
    expect(redeployed.status.latestCreatedRevisionName).toMatch(/^api-00002-[a-z]{3}$/);
    expect(redeployed.status.latestReadyRevisionName).toBe(before.status.latestReadyRevisionName);

    const described = await gcloud(env(), ['run', 'services', 'describe', 'api', `--region=${REGION}`, P, '--format=json']);
    expect(condition(described, 'Ready').status).toBe('True');
    expect(described.status.observedGeneration).toBe(2);
    expect(described.status.latestReadyRevisionName).toBe(redeployed.status.latestCreatedRevisionName);
    expect(described.spec.template.spec.containers[0].image).toBe(`${IMAGE}:1.1.0`);
  });

  it('a failed revision shows Ready False with its message in the one `services list` call', async () => {
    fake().failRevision('worker');
    await gcloud(env(), deployArgs('worker', '1.0.0'));
    const { result: services, requests } = await during(() => gcloud(env(), ['run', 'services', 'list', `--region=${REGION}`, P, '--format=json']));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${KNATIVE}`]);
    const byName = Object.fromEntries(services.map((s: any) => [s.metadata.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'ui', 'worker']);
    expect(condition(byName.api, 'Ready').status).toBe('True');
    const ready = condition(byName.worker, 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'HealthCheckContainerError' });
    expect(ready.message).toMatch(/^Revision 'worker-00001-[a-z]{3}' is not ready and cannot serve traffic\. The user-provided container failed to start and listen on the port defined provided by the PORT=5000 environment variable\.$/);
    expect(byName.worker.status.latestReadyRevisionName).toBeUndefined();
  });

  it('with readiness by time, a service is Ready only once that long has passed since its change, however often it is read', async () => {
    const takes = 15_000;
    fake().setReadyAfterMs(takes);
    try {
      const deploying = Date.now();
      await gcloud(env(), deployArgs('slow', '1.0.0'));
      const deployed = Date.now();
      const describe = () => gcloud(env(), ['run', 'services', 'describe', 'slow', `--region=${REGION}`, P, '--format=json']);
      for (let read = 0; read < 2; read++) {
        const early = await describe();
        // gcloud takes ~1-3 s a call: both reads are well inside the 15 s.
        expect(Date.now() - deploying).toBeLessThan(takes);
        expect(condition(early, 'Ready').status).toBe('Unknown');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deployed + takes - Date.now())));
      const ready = await describe();
      expect(condition(ready, 'Ready').status).toBe('True');
      expect(ready.status.observedGeneration).toBe(1);
    } finally {
      fake().setReadyAfterMs(null);
    }
  });

  it('a misspelled flag fails inside gcloud (exit 2) before any request', async () => {
    const { result: run, requests } = await during(() => gcloudRun(env(), ['run', 'deploy', 'api', `--image=${IMAGE}:1.0.0`, '--min-instancez=2', `--region=${REGION}`, P]));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("unrecognized arguments: --min-instancez=2 (did you mean '--min-instances'?)");
    expect(requests).toEqual([]);
  });

  it('refuses a revision that sets a reserved env name, as Cloud Run does', async () => {
    const reservedFile = join(work, 'reserved.env.yaml');
    await writeFile(reservedFile, 'NODE_ENV: production\nPORT: "5000"\nK_SERVICE: "api"\n');
    const run = await gcloudRun(env(), [...deployArgs('reserved', '1.0.0').filter((arg) => !arg.startsWith('--env-vars-file=')), `--env-vars-file=${reservedFile}`]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('spec.template.spec.containers[0].env: The following reserved env names were provided: PORT, K_SERVICE. These values are automatically set by the system.');
    expect(Object.keys(fake().services())).not.toContain('reserved');
  });

  it('stores the probes gcloud sends, and refuses what Cloud Run refuses: a startup period over 240 s', async () => {
    const probed = await gcloudRun(env(), [...deployArgs('probed', '1.0.0'), '--startup-probe=httpGet.path=/,periodSeconds=10,timeoutSeconds=5,failureThreshold=24', '--liveness-probe=httpGet.path=/,periodSeconds=30,timeoutSeconds=5,failureThreshold=3']);
    expect(probed.exitCode, probed.stderr).toBe(0);
    const [container] = fake().services().probed!.spec.template.spec.containers;
    expect(container.startupProbe).toEqual({ httpGet: { path: '/' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 24 });
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/' }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 });
    const long = await gcloudRun(env(), [...deployArgs('probe-long', '1.0.0'), '--startup-probe=httpGet.path=/,periodSeconds=300']);
    expect(long.exitCode).toBe(1);
    expect(long.stderr).toContain('spec.template.spec.containers[0].startupProbe.periodSeconds: must be between 1 and 240, got 300.');
    expect(Object.keys(fake().services())).not.toContain('probe-long');
  });

  it('serves the VPC reads of the preflight from Compute Engine v1, with knobs for Private Google Access, NAT and the network', async () => {
    const subnet = ['compute', 'networks', 'subnets', 'describe', 'default', `--region=${REGION}`, P, '--format=json'];
    const routers = ['compute', 'routers', 'list', `--regions=${REGION}`, P, '--format=json'];
    const compute = `compute.fake/compute/v1/projects/${PROJECT}`;
    const link = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;
    const { result: [described, listed], requests } = await during(() => Promise.all([gcloud(env(), subnet), gcloud(env(), routers)]));
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`).sort()).toEqual([`GET ${compute}/regions/${REGION}/routers`, `GET ${compute}/regions/${REGION}/subnetworks/default`]);
    expect(described).toMatchObject({ name: 'default', network: `${link}/global/networks/default`, privateIpGoogleAccess: true });
    expect(listed).toEqual([expect.objectContaining({ name: 'nat-router', network: `${link}/global/networks/default`, nats: [expect.objectContaining({ sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' })] })]);

    fake().setVpc({ privateGoogleAccess: false, nat: false });
    const [withoutAccess, withoutNat] = await Promise.all([gcloud(env(), subnet), gcloud(env(), routers)]);
    expect(withoutAccess.privateIpGoogleAccess).toBe(false);
    expect(withoutNat).toEqual([expect.not.objectContaining({ nats: expect.anything() })]);

    fake().setVpc({ network: false });
    const [noNetwork, noRouters] = await Promise.all([failure(['compute', 'networks', 'describe', 'default', P, '--format=json']), gcloud(env(), routers)]);
    // gcloud's compute commands print Compute Engine's errors[] message, with no status word.
    expect(noNetwork.stderr).toContain(`Could not fetch resource:\n - The resource 'projects/${PROJECT}/global/networks/default' was not found`);
    expect(noRouters).toEqual([]);
    fake().setVpc({ network: true, privateGoogleAccess: true, nat: true });
  });

  it('serves the service account and the IAM policies that tell who may act as it', async () => {
    const compute = `${NUMBER}-compute@developer.gserviceaccount.com`;
    const { result: [account, missing, projectPolicy, accountPolicy], requests } = await during(() => Promise.all([
      gcloud(env(), ['iam', 'service-accounts', 'describe', compute, P, '--format=json']),
      failure(['iam', 'service-accounts', 'describe', `nobody@${PROJECT}.iam.gserviceaccount.com`, P, '--format=json']),
      gcloud(env(), ['projects', 'get-iam-policy', PROJECT, '--format=json']),
      gcloud(env(), ['iam', 'service-accounts', 'get-iam-policy', compute, P, '--format=json']),
    ]));
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`).sort()).toEqual([
      `GET iam.fake/v1/projects/-/serviceAccounts/${compute}`,
      `GET iam.fake/v1/projects/-/serviceAccounts/nobody@${PROJECT}.iam.gserviceaccount.com`,
      `POST cloudresourcemanager.fake/v1/projects/${PROJECT}:getIamPolicy`,
      `POST iam.fake/v1/projects/-/serviceAccounts/${compute}:getIamPolicy`,
    ]);
    expect(account).toMatchObject({ email: compute, projectId: PROJECT });
    expect(missing.stderr).toContain('NOT_FOUND: Unknown service account');
    expect(projectPolicy.bindings).toEqual([{ role: 'roles/owner', members: [`serviceAccount:${harness.account}`] }]);
    expect(accountPolicy).toEqual({ etag: 'ACAB' });
  });

  it('refuses a deploy as a service account the caller may not act as, until the account\'s own policy allows it', async () => {
    // No grant on the project: only the account's own policy can allow it.
    fake().setProjectIamBindings([]);
    try {
      const refused = await gcloudRun(env(), deployArgs('as-other', '1.0.0'));
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`does not have permission to access namespaces instance [${PROJECT}] (or it may not exist): Permission 'iam.serviceaccounts.actAs' denied on service account ${SA} (or it may not exist).`);
      fake().setServiceAccountIamBindings(SA, [{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${harness.account}`] }]);
      expect((await gcloudRun(env(), deployArgs('as-other', '1.0.0'))).exitCode).toBe(0);
    } finally {
      fake().setProjectIamBindings([{ role: 'roles/owner', members: [`serviceAccount:${harness.account}`] }]);
    }
  });

  it('serves Cloud Run domain mappings as gcloud beta reads and creates them: verified domains only, a CNAME to ghs.googlehosted.com., Ready once the certificate is provisioned', async () => {
    const mappings = ['beta', 'run', 'domain-mappings'];
    const { result: none, requests } = await during(() => gcloud(env(), [...mappings, 'list', `--region=${REGION}`, P, '--format=json']));
    expect(none).toEqual([]);
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([`GET ${REGION}-run.fake/apis/domains.cloudrun.com/v1/namespaces/${PROJECT}/domainmappings`]);
    const create = [...mappings, 'create', '--service=api', '--domain=api.example.com', `--region=${REGION}`, P, '--format=json'];
    // gcloud asks for the verified domains first, and refuses before creating anything.
    expect((await failure(create)).stderr).toContain('The provided domain does not appear to be verified');
    fake().setVerifiedDomains(['example.com']);
    expect(await gcloud(env(), create)).toEqual([{ name: 'api', type: 'CNAME', rrdata: 'ghs.googlehosted.com.' }]);
    expect((await failure(create)).stderr).toContain('already exists');
    expect((await failure([...mappings, 'create', '--service=nope', '--domain=nope.example.com', `--region=${REGION}`, P])).stderr).toContain("Service 'nope' does not exist");
    const [pending] = await gcloud(env(), [...mappings, 'list', `--region=${REGION}`, P, '--format=json']);
    expect(pending).toMatchObject({ metadata: { name: 'api.example.com' }, spec: { routeName: 'api' } });
    expect(condition(pending, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'CertificatePending' });
    fake().provisionCertificates();
    const [ready] = await gcloud(env(), [...mappings, 'list', `--region=${REGION}`, P, '--format=json']);
    expect(condition(ready, 'Ready').status).toBe('True');
    expect(Object.keys(fake().domainMappings())).toEqual(['api.example.com']);
  });

  it('serves Cloud DNS as gcloud 528 calls it: managed zones, record sets listed and created, never a second set or anything beside a CNAME', async () => {
    const dns = (...args: string[]) => ['dns', ...args, P, '--format=json'];
    const { result: zones, requests } = await during(() => gcloud(env(), dns('managed-zones', 'list')));
    expect(zones.map((z: any) => [z.name, z.dnsName, z.visibility])).toEqual([['example-com', 'example.com.', 'public'], ['internal', 'corp.internal.', 'private']]);
    expect(requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([`GET dns.fake/dns/v1/projects/${PROJECT}/managedZones`]);
    const create = (name: string, type: string, rrdata: string) => dns('record-sets', 'create', name, '--zone=example-com', `--type=${type}`, '--ttl=300', `--rrdatas=${rrdata}`);
    const { result: made, requests: posted } = await during(() => gcloud(env(), create('api.example.com.', 'CNAME', 'ghs.googlehosted.com.')));
    expect(made).toMatchObject({ name: 'api.example.com.', type: 'CNAME', ttl: 300, rrdatas: ['ghs.googlehosted.com.'] });
    expect(posted.map((r) => [`${r.method} ${r.path}`, r.body])).toEqual([[`POST /dns/v1/projects/${PROJECT}/managedZones/example-com/rrsets`, { kind: 'dns#resourceRecordSet', name: 'api.example.com.', rrdatas: ['ghs.googlehosted.com.'], ttl: 300, type: 'CNAME' }]]);
    expect((await failure(create('api.example.com.', 'CNAME', 'other.example.net.'))).stderr).toContain("HTTPError 409: The resource 'entity.change.additions[api.example.com.][CNAME]' named 'api.example.com. (CNAME)' already exists");
    expect((await failure(create('www.example.com.', 'CNAME', 'ghs.googlehosted.com.'))).stderr).toContain('a CNAME cannot coexist with other records');
    expect((await failure(create('api.example.org.', 'CNAME', 'ghs.googlehosted.com.'))).stderr).toContain("Invalid value for 'entity.change.additions[api.example.org.][CNAME].name'");
    expect((await failure(dns('record-sets', 'list', '--zone=nope'))).stderr).toContain("The 'parameters.managedZone' resource named 'nope' does not exist.");
    expect((await gcloud(env(), dns('record-sets', 'list', '--zone=example-com'))).map((set: any) => `${set.name} ${set.type}`)).toEqual([
      'example.com. SOA', 'example.com. NS', 'www.example.com. A', 'api.example.com. CNAME',
    ]);
    expect(fake().recordSets('example-com').at(-1)).toEqual({ name: 'api.example.com.', type: 'CNAME', ttl: 300, rrdatas: ['ghs.googlehosted.com.'] });
    // A misspelled flag fails inside gcloud, before any request.
    expect((await failure(dns('record-sets', 'create', 'x.example.com.', '--zone=example-com', '--type=CNAME', '--rrdata=y.'))).exitCode).toBe(2);
  });

  it('deletes as uninstall calls gcloud 528: a service and a domain mapping (a Status), a secret with its versions, the repository once its operation is done; again: not found', async () => {
    const commands = [
      ['run', 'services', 'delete', 'worker', `--region=${REGION}`],
      ['beta', 'run', 'domain-mappings', 'delete', '--domain=api.example.com', `--region=${REGION}`],
      ['secrets', 'delete', 'membrane-mongo-uri'],
      ['artifacts', 'repositories', 'delete', 'membrane', `--location=${REGION}`],
      ['dns', 'record-sets', 'delete', 'api.example.com.', '--zone=example-com', '--type=CNAME'],
    ].map((args) => [...args, P, '--format=json', '--quiet']);
    const { requests } = await during(() => Promise.all(commands.map((args) => gcloud(env(), args))));
    expect(requests.filter((r) => r.method === 'DELETE').map((r) => `${r.host}${r.path}`).sort()).toEqual([
      `artifactregistry.fake/v1/projects/${PROJECT}/locations/${REGION}/repositories/membrane`,
      `dns.fake/dns/v1/projects/${PROJECT}/managedZones/example-com/rrsets/api.example.com./CNAME`,
      `secretmanager.fake/v1/projects/${PROJECT}/secrets/membrane-mongo-uri`,
      `${REGION}-run.fake/apis/domains.cloudrun.com/v1/namespaces/${PROJECT}/domainmappings/api.example.com`,
      `${REGION}-run.fake${KNATIVE}/worker`,
    ]);
    // Without --async gcloud waits: it polled the repository's operation, and the service and mapping until they were gone.
    expect(requests.some((r) => r.method === 'GET' && r.path.startsWith(`/v1/projects/${PROJECT}/locations/${REGION}/operations/`))).toBe(true);
    expect(requests.some((r) => r.method === 'GET' && r.path === `${KNATIVE}/worker`)).toBe(true);
    expect(fake().services().worker).toBeUndefined();
    expect(fake().domainMappings()).toEqual({});
    expect(fake().secrets()['membrane-mongo-uri']).toBeUndefined();
    expect(fake().repositories()[`${REGION}/membrane`]).toBeUndefined();
    expect(fake().recordSets('example-com').map((set) => `${set.name} ${set.type}`)).toEqual(['example.com. SOA', 'example.com. NS', 'www.example.com. A']);
    // Gone already: every one of them fails in words the CLI reads as not-found (what uninstall counts as removed).
    const again = await Promise.all(commands.map((args) => failure(args)));
    expect(again.map((error) => classifyFailure(error.stderr, error.exitCode ?? undefined))).toEqual(['not-found', 'not-found', 'not-found', 'not-found', 'not-found']);
  });

  it('nothing tried to leave loopback or reached an unknown route', () => {
    expect(fake().strayRequests).toEqual([]);
  });
});

describe('the load-balancer commands the endpoints step prints where Cloud Run has no domain mappings', () => {
  it('are all accepted by gcloud 528 (they reach the Compute Engine API, which this fake does not serve: exit 1, never 2)', async () => {
    const settings = gcpSettings((raw) => (raw.gcp.region = 'europe-west3'));
    const runner: Runner = { run: async () => ({ stdout: '[]', stderr: '', exitCode: 0 }), backoff: async () => {} };
    const result = await gcpEndpointsStep(settings).apply({ runner, outputs: { get: () => '' }, secrets: {}, progress: () => {}, stop: new AbortController().signal });
    const commands = (recordedEndpoints(result.outputs!)!.nextSteps).filter((line) => line.startsWith('  gcloud compute ')).map((line) => line.trim().split(' ').slice(1));
    expect(commands).toHaveLength(17);
    const lb = await startGcpFake({ project: settings.answers.gcp.project, region: 'europe-west3' });
    try {
      for (const args of commands) {
        const run = await gcloudRun(lb.env, args);
        expect([run.exitCode, run.stderr], args.join(' ')).toEqual([1, expect.stringContaining('The fake has no route for')]);
      }
      // Every resource but the serverless NEGs is global; the NEGs are in the services' region.
      expect(new Set(lb.fake.strayRequests.map((r) => new URL(r.url).pathname.split('/').slice(5, 7).join('/')))).toEqual(
        new Set(['global/addresses', 'global/backendServices', 'global/urlMaps', 'global/sslCertificates', 'global/targetHttpsProxies', 'global/forwardingRules', 'regions/europe-west3']),
      );
    } finally {
      await lb.stop();
    }
  });
});

describe('the fake as a proxy', () => {
  it('refuses and records requests for other hosts, CONNECT tunnels and direct requests; stop() ends kept-alive sockets', async () => {
    const other = await startGcpFakeServer({ project: 'elsewhere' });
    const send = (options: RequestOptions) =>
      new Promise<number | undefined>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: other.port, ...options });
        req.on('response', (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        req.on('connect', (response, socket) => {
          socket.destroy();
          resolve(response.statusCode);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await send({ method: 'GET', path: 'http://metadata.google.internal/computeMetadata/v1/', headers: { 'Metadata-Flavor': 'Google' } })).toBe(502);
      expect(await send({ method: 'POST', path: 'http://oauth2.googleapis.com/token' })).toBe(502);
      expect(await send({ method: 'CONNECT', path: 'run.googleapis.com:443' })).toBe(502);
      expect(await send({ method: 'GET', path: '/v1/projects/elsewhere' })).toBe(502);
      expect(await send({ method: 'GET', path: 'http://us-central1-secretmanager.fake/v1/projects/elsewhere/secrets/x' })).toBe(502);
      expect(await send({ method: 'GET', path: 'http://run.fake/no/such/route' })).toBe(404);
      expect(other.strayRequests.map((r) => `${r.reason} ${r.method} ${r.url}`)).toEqual([
        'foreign host GET http://metadata.google.internal/computeMetadata/v1/',
        'foreign host POST http://oauth2.googleapis.com/token',
        'CONNECT CONNECT run.googleapis.com:443',
        'foreign host GET /v1/projects/elsewhere',
        'foreign host GET http://us-central1-secretmanager.fake/v1/projects/elsewhere/secrets/x',
        'no route GET http://run.fake/no/such/route',
      ]);
      expect(other.requests.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual(['GET run.fake/no/such/route']);
    } finally {
      const started = performance.now();
      await other.stop();
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});
