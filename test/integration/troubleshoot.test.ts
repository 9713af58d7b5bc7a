// troubleshoot reaches the right diagnosis for each of the guide's three symptoms on each cloud:
// a rollout fails (a real failed revision, or a rewritten ECS rollout), and the checklist, run
// by the built CLI with the real aws/gcloud (fake az), names the symptom and the cause. The
// registry is a loopback Harbor whose password can be rotated under the deployment.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAz, type FakeAz } from '../support/az.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_MARKERS, CANARY_SECRETS, leakedCanaries, runCli, type CliRun } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startGcpFake, type GcpHarness } from '../support/gcloud.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';
import { startFakeRegistry } from '../support/registry.js';

const RUN_TIMEOUT_MS = 300_000;
const TAGS = ['2025-09-19', '2025-10-01', '2025-10-15', '2025-11-01'];
const IMAGES = ['core/api', 'core/ui', 'core/console', 'core/custom-code-runner'];
const RUNNER = 'membrane-custom-code-runner';
const MONGO_DOWN = 'MongoServerSelectionError: connect ECONNREFUSED 10.0.4.12:27017';

type Registry = Awaited<ReturnType<typeof startFakeRegistry>>;
let registry: Registry;
let work: string;

beforeAll(async () => {
  registry = await startFakeRegistry({ username: 'robot$core+acme', password: CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD, images: Object.fromEntries(IMAGES.map((image) => [image, TAGS])) });
  work = await mkdtemp(join(tmpdir(), 'membrane-troubleshoot-'));
});

afterAll(async () => {
  await registry?.stop();
});

interface Cloud {
  env(): Record<string, string>;
  answers(): Record<string, unknown>;
}

/** Install (or upgrade to `tag`) and expect it to end as `exitCode`. */
async function install(cloud: Cloud, stateDir: string, tag: string, exitCode: number): Promise<CliRun> {
  const file = join(work, `answers-${Date.now()}.json`);
  await writeFile(file, JSON.stringify({ ...cloud.answers(), imageTag: tag }));
  const run = await runCli(['--config', file, '--yes', '--state-dir', stateDir], cloud.env(), RUN_TIMEOUT_MS);
  expect(run.exitCode, run.stdout + run.stderr).toBe(exitCode);
  return run;
}

async function troubleshoot(cloud: Cloud, stateDir: string, extra: string[] = []): Promise<CliRun> {
  const run = await runCli(['troubleshoot', '--state-dir', stateDir, ...extra], cloud.env(), RUN_TIMEOUT_MS);
  expect(run.stderr).toBe('');
  expect(leakedCanaries(run.stdout)).toEqual([]);
  return run;
}

function expectDiagnosis(run: CliRun, symptom: string, cause: RegExp): void {
  expect(run.exitCode, run.stdout).toBe(1);
  const diagnosis = run.stdout.split('\n').find((text) => text.startsWith('Diagnosis:'));
  expect(diagnosis, run.stdout).toMatch(new RegExp(`^Diagnosis: ${symptom}: `));
  expect(diagnosis).toMatch(cause);
  expect(run.stdout).toMatch(/^Fix: /m);
}

describe('troubleshoot on Azure Container Apps (fake az)', () => {
  let azure: FakeAz;
  const stateDir = () => join(work, 'azure');
  const cloud: Cloud = {
    env: () => ({ ...azure.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20' }),
    answers: () => ({
      cloud: 'azure',
      domain: 'example.com',
      registry: { server: registry.server, username: 'robot$core+acme' },
      azure: { subscription: azure.subscription, resourceGroup: 'membrane-rg', environment: 'membrane-env', location: 'eastus', keyVault: 'membrane-vault' },
    }),
  };
  beforeAll(async () => {
    azure = await startFakeAz({ resourceGroup: 'membrane-rg', environment: 'membrane-env', keyVault: 'membrane-vault', location: 'eastus' });
    await install(cloud, stateDir(), TAGS[0]!, 0);
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await azure?.stop();
  });

  it('finds nothing wrong in a healthy deployment', async () => {
    const run = await troubleshoot(cloud, stateDir());
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('All 7 deployed services report healthy.');
    expect(run.stdout).toMatch(/^Diagnosis: No failure found/m);
  });

  it('says so in the CLI\'s words when it cannot read the cloud (not logged in)', async () => {
    const run = await runCli(['troubleshoot', '--state-dir', stateDir()], { ...cloud.env(), AZ_FAKE_LOGGED_OUT: '1' }, RUN_TIMEOUT_MS);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("Could not read the deployment from the cloud: ERROR: Please run 'az login' to setup account.");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('cannot pull image: the registry rejects the robot account', async () => {
    registry.setPassword('rotated-by-harbor-admin');
    azure.setFailure(RUNNER, `Failed to pull image "${registry.server}/core/custom-code-runner:${TAGS[1]}": unauthorized: authentication required`);
    try {
      const failed = await install(cloud, stateDir(), TAGS[1]!, 1);
      // The failed install points at the checklist.
      expect(failed.stdout).toContain(`Run every check against the cloud: create-membrane-deploy troubleshoot --name default --state-dir ${stateDir()}`);
      const run = await troubleshoot(cloud, stateDir());
      expectDiagnosis(run, 'Cannot pull image', /rejects the robot account robot\$core\+acme/);
      expect(run.stdout).toContain('Not healthy: custom-code-runner');
    } finally {
      registry.setPassword(CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD);
      azure.setFailure(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);

  it('health checks failing: the startup probe fails', async () => {
    azure.setFailure(RUNNER, 'Probe of StartUp failed with status code: 1');
    try {
      await install(cloud, stateDir(), TAGS[2]!, 1);
      expectDiagnosis(await troubleshoot(cloud, stateDir()), 'Health checks failing', /custom-code-runner fails its health checks/);
    } finally {
      azure.setFailure(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);

  it('container fails to start: its logs show MongoDB unreachable; the bundle holds no secret', async () => {
    azure.setFailure(RUNNER, `Container ${RUNNER} exited with code 1`);
    azure.setLogs(RUNNER, ['Starting Membrane custom code runner', MONGO_DOWN]);
    try {
      await install(cloud, stateDir(), TAGS[3]!, 1);
      const bundle = join(work, 'azure-bundle.tar.gz');
      const run = await troubleshoot(cloud, stateDir(), ['--bundle', bundle]);
      expectDiagnosis(run, 'Container fails to start', /custom-code-runner cannot reach MongoDB or Redis/);
      expect(run.stdout).toContain(MONGO_DOWN);
      const listing = execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' }).split('\n').filter(Boolean);
      expect(listing).toEqual(expect.arrayContaining(['membrane-support/report.txt', 'membrane-support/plan.json', 'membrane-support/services.json', 'membrane-support/journal.json', 'membrane-support/audit.log', 'membrane-support/logs/custom-code-runner.log']));
      const dir = await mkdtemp(join(tmpdir(), 'bundle-'));
      execFileSync('tar', ['-xzf', bundle, '-C', dir]);
      const contents = await Promise.all(listing.map((path) => readFile(join(dir, path), 'utf8')));
      expect(contents.join('\n')).toContain(MONGO_DOWN);
      for (const marker of CANARY_MARKERS) expect(contents.join('\n')).not.toContain(marker);
    } finally {
      azure.setFailure(RUNNER, null);
      azure.setLogs(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);
});

describe('troubleshoot on Google Cloud Run (real gcloud, fake Google APIs)', () => {
  let gcp: GcpHarness;
  const stateDir = () => join(work, 'gcp');
  const cloud: Cloud = {
    env: () => ({ ...gcp.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '300', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20' }),
    answers: () => ({
      cloud: 'gcp',
      domain: 'example.com',
      registry: { server: registry.server, username: 'robot$core+acme' },
      gcp: { project: 'acme-membrane', region: 'us-central1' },
    }),
  };
  const notReady = "Revision 'membrane-custom-code-runner-00002-abc' is not ready and cannot serve traffic.";
  beforeAll(async () => {
    gcp = await startGcpFake({ project: 'acme-membrane' });
    gcp.fake.setReadyAfterPolls(1);
    await install(cloud, stateDir(), TAGS[0]!, 0);
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await gcp?.stop();
  });

  it('cannot pull image: the registry rejects the robot account', async () => {
    registry.setPassword('rotated-by-harbor-admin');
    gcp.fake.failRevision(RUNNER, `${notReady} Image 'us-central1-docker.pkg.dev/acme-membrane/membrane-harbor/core/custom-code-runner:${TAGS[1]}' not found.`);
    try {
      await install(cloud, stateDir(), TAGS[1]!, 1);
      expectDiagnosis(await troubleshoot(cloud, stateDir()), 'Cannot pull image', /rejects the robot account/);
    } finally {
      registry.setPassword(CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD);
      gcp.fake.failRevision(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);

  it('health checks failing: the container does not listen on the port', async () => {
    gcp.fake.failRevision(RUNNER);
    try {
      await install(cloud, stateDir(), TAGS[2]!, 1);
      expectDiagnosis(await troubleshoot(cloud, stateDir()), 'Health checks failing', /custom-code-runner fails its health checks/);
    } finally {
      gcp.fake.failRevision(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);

  it('container fails to start: Cloud Logging shows MongoDB unreachable', async () => {
    gcp.fake.failRevision(RUNNER, `${notReady} Container called exit(1).`);
    gcp.fake.setLogs(RUNNER, ['Starting Membrane custom code runner', MONGO_DOWN]);
    try {
      await install(cloud, stateDir(), TAGS[3]!, 1);
      const run = await troubleshoot(cloud, stateDir());
      expectDiagnosis(run, 'Container fails to start', /custom-code-runner cannot reach MongoDB or Redis/);
      expect(run.stdout).toContain(MONGO_DOWN);
      expect(gcp.fake.strayRequests).toEqual([]);
    } finally {
      gcp.fake.failRevision(RUNNER, null);
      gcp.fake.setLogs(RUNNER, null);
    }
  }, RUN_TIMEOUT_MS);
});

describe('troubleshoot on AWS ECS (real aws, moto behind a rewriting proxy)', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let fixture: EcsFixture;
  const stateDir = () => join(work, 'aws');
  const cloud: Cloud = {
    env: () => ({ ...proxy.env(moto.env), ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20' }),
    answers: () => answersFor(fixture, { registry: { server: registry.server, username: 'robot$core+acme' } }),
  };
  beforeAll(async () => {
    moto = await startMoto({ ecsServiceRunning: 2 });
    proxy = await startFaultProxy(moto.endpoint);
    fixture = await createEcsFixture(moto.env);
    await install(cloud, stateDir(), TAGS[0]!, 0);
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it('cannot pull image: the registry rejects the robot account', async () => {
    registry.setPassword('rotated-by-harbor-admin');
    const stop = proxy.failRollout(RUNNER, `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${registry.server}/core/custom-code-runner:${TAGS[0]}: unexpected status code 401 Unauthorized`);
    try {
      expectDiagnosis(await troubleshoot(cloud, stateDir()), 'Cannot pull image', /rejects the robot account/);
    } finally {
      stop();
      registry.setPassword(CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD);
    }
  }, RUN_TIMEOUT_MS);

  it('cannot pull image: a registry that does not answer is not a missing image tag', async () => {
    // The answers name a registry nothing listens on (loopback, a closed port).
    const answers = join(work, 'unreachable-registry.json');
    await writeFile(answers, JSON.stringify({ ...cloud.answers(), registry: { server: '127.0.0.1:9', username: 'robot$core+acme' } }));
    const stop = proxy.failRollout(RUNNER, 'CannotPullContainerError: failed to resolve ref 127.0.0.1:9/core/custom-code-runner: dial tcp 127.0.0.1:9: connect: connection refused');
    try {
      const run = await troubleshoot(cloud, stateDir(), ['--config', answers]);
      expectDiagnosis(run, 'Cannot pull image', /custom-code-runner cannot pull its image/);
      expect(run.stdout).toContain('✖ Registry login to 127.0.0.1:9 as robot$core+acme');
      expect(run.stdout).toMatch(/– Images exist with tag \S+: could not look the images up: /);
      expect(run.stdout).not.toContain('does not exist for');
    } finally {
      stop();
    }
  }, RUN_TIMEOUT_MS);

  it('health checks failing: the tasks fail their health checks', async () => {
    const stop = proxy.failRollout(RUNNER, `(service ${RUNNER}) (task 0a1b2c3d) failed container health checks.`);
    try {
      expectDiagnosis(await troubleshoot(cloud, stateDir()), 'Health checks failing', /custom-code-runner fails its health checks/);
    } finally {
      stop();
    }
  }, RUN_TIMEOUT_MS);

  it('says when no shell can be opened (the task role lacks ECS Exec), with the commands that open it', async () => {
    const item = '✖ A shell in the running containers, for the checks below: task role membrane-task-role does not allow ssmmessages:CreateControlChannel';
    const shut = await troubleshoot(cloud, stateDir());
    expect(shut.stdout).toContain(item);
    expect(shut.stdout).toContain("fix: aws iam put-role-policy --role-name membrane-task-role --policy-name membrane-ecs-exec --policy-document");
    // Not a cause of a failure: no diagnosis, and the deployment itself is fine.
    expect(shut.stdout).toContain('Diagnosis: No cause of a failure found; one item needs a look (✖ above).');
    expect(shut.exitCode, shut.stdout).toBe(0);

    // Opened as the fix says (moto: the CLI's JSON document), the item passes.
    const fix = shut.stdout.split('\n').find((line) => line.includes('fix: aws iam put-role-policy'))!;
    const document = /--policy-document '([^']+)'/.exec(fix)![1]!;
    await aws(moto.env, ['iam', 'put-role-policy', '--role-name', 'membrane-task-role', '--policy-name', 'membrane-ecs-exec', '--policy-document', document]);
    try {
      const open = await troubleshoot(cloud, stateDir());
      expect(open.stdout).toContain('✔ A shell in the running containers, for the checks below: enabled on every service; task role membrane-task-role allows it.');
      expect(open.stdout).toMatch(/^Diagnosis: No failure found/m);
    } finally {
      await aws(moto.env, ['iam', 'delete-role-policy', '--role-name', 'membrane-task-role', '--policy-name', 'membrane-ecs-exec']);
    }
  }, RUN_TIMEOUT_MS);

  it('container fails to start: CloudWatch shows MongoDB unreachable', async () => {
    const stream = 'custom-code-runner/custom-code-runner/0a1b2c3d';
    await aws(moto.env, ['logs', 'create-log-stream', '--log-group-name', '/ecs/membrane', '--log-stream-name', stream]);
    const now = Date.now();
    await aws(moto.env, ['logs', 'put-log-events', '--log-group-name', '/ecs/membrane', '--log-stream-name', stream,
      '--log-events', JSON.stringify([
        { timestamp: now - 3000, message: 'Starting Membrane custom code runner' },
        // An app that prints its connection string (a query appended) and the password: masked on screen.
        { timestamp: now - 2000, message: `MongoServerSelectionError: ${CANARY_SECRETS.MEMBRANE_MONGO_URI}?retryWrites=true unreachable (password=canary-mongo-T4n6)` },
        // A log line that would retitle the terminal and clear the screen: shown without its escapes.
        { timestamp: now - 1500, message: 'MongoNetworkError: \u001b]0;pwned\u0007\u001b[2Jconnection reset' },
        { timestamp: now - 1000, message: MONGO_DOWN },
      ])]);
    const stop = proxy.failRollout(RUNNER, 'Essential container in task exited');
    try {
      const run = await troubleshoot(cloud, stateDir());
      expectDiagnosis(run, 'Container fails to start', /custom-code-runner cannot reach MongoDB or Redis/);
      expect(run.stdout).toContain(MONGO_DOWN);
      expect(run.stdout).toContain('MongoServerSelectionError: ***?retryWrites=true unreachable (password=***)');
      expect(run.stdout).toContain('MongoNetworkError: connection reset');
      expect(run.stdout).not.toMatch(/\u001b|\u0007/);
    } finally {
      stop();
    }
  }, RUN_TIMEOUT_MS);
});
