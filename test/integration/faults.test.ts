// Faults the real AWS APIs produce, injected by a loopback proxy in front of moto: throttling and
// HTTP 500s are retried and the install completes; a create whose answer was lost is adopted,
// not repeated; access denied fails at once and resume then
// finishes; a FAILED rollout stops the install naming the service and the reason; a second
// installer on the same deployment is refused while the first runs, and a killed one's lock is
// taken over. Everything is asserted from moto's state, the audit log and the proxy's record.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_IDS, SERVICES } from '../../source/membrane/services.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, CLI, leakedCanaries, runCli, type CliRun } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

const SERVICE_NAMES = SERVICES.map((s) => `membrane-${s.id}`);
const SECRET_NAMES = ['membrane/encryption-secret', 'membrane/jwt-secret', 'membrane/mongo-uri', 'membrane/redis-uri', 'membrane/registry-credentials'];
const RUN_TIMEOUT_MS = 300_000;

let moto: MotoServer;
let proxy: FaultProxy;
let fixture: EcsFixture;
let work: string;
/** The CLI's env: through the proxy, one botocore attempt per call, fast polls and backoff. */
let env: Record<string, string>;
const running = new Set<ChildProcess>();

interface AuditLine {
  argv: string[];
  exitCode: number | null;
}

const stateDir = () => join(work, 'state');
const installArgs = () => ['--config', join(work, 'answers.json'), '--yes', '--state-dir', stateDir()];
const resumeArgs = () => ['resume', '--name', 'default', '--state-dir', stateDir(), '--yes'];
const auditLog = async (): Promise<AuditLine[]> => {
  const path = join(stateDir(), 'default', 'audit.log');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);
};

/** The built CLI as a child we can watch and kill (runCli only hands back the finished run). */
function startCli(args: string[], childEnv: Record<string, string>): { child: ChildProcess; pid: number; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { CI: 'true', ...childEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ exitCode, stdout, stderr, pid: child.pid! });
    });
  });
  return { child, pid: child.pid!, done };
}

/** Moto's view of the deployment, read directly (not through the proxy). */
async function cloudState() {
  const [services, secrets, taskDefinitions] = await Promise.all([
    aws(moto.env, ['ecs', 'list-services', '--cluster', fixture.cluster]),
    aws(moto.env, ['secretsmanager', 'list-secrets']),
    aws(moto.env, ['ecs', 'list-task-definitions']),
  ]);
  return {
    services: (services.serviceArns as string[]).map((arn) => arn.split('/').pop()!).sort(),
    secrets: (secrets.SecretList as { Name: string }[]).map((s) => s.Name).sort(),
    taskDefinitions: (taskDefinitions.taskDefinitionArns as string[]).map((arn) => arn.split('/').pop()!).sort(),
  };
}

async function expectCompleteDeployment(): Promise<void> {
  const state = await cloudState();
  expect(state.services).toEqual([...SERVICE_NAMES].sort());
  expect(state.secrets).toEqual(SECRET_NAMES);
  // One revision per family: no retry registered a second copy.
  expect(state.taskDefinitions).toEqual(SERVICE_NAMES.map((name) => `${name}:1`).sort());
  const { services } = await aws(moto.env, ['ecs', 'describe-services', '--cluster', fixture.cluster, '--services', ...SERVICE_NAMES]);
  for (const service of services) expect(service.status, service.serviceName).toBe('ACTIVE');
}

const kebab = (operation: string) => operation.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const CLI_SERVICE: Record<string, string> = { elasticloadbalancing: 'elbv2' };
/** Lookups whose answer on a fresh install is "not found". */
const LOOKUPS_OF_MISSING = new Set(['DescribeSecret', 'DescribeTaskDefinition', 'GetRolePolicy']);

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
  proxy = await startFaultProxy(moto.endpoint);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
}, 60_000);

beforeEach(async () => {
  proxy.clearRules();
  await moto.reset();
  fixture = await createEcsFixture(moto.env);
  proxy.clearRequests();
  work = await mkdtemp(join(tmpdir(), 'membrane-faults-'));
  await writeFile(join(work, 'answers.json'), JSON.stringify(answersFor(fixture)));
  env = { ...proxy.env(moto.env), ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20' };
}, 60_000);

afterEach(() => {
  proxy.clearRules();
  for (const child of running) child.kill('SIGKILL');
});

describe('faults from the AWS APIs', () => {
  it('retries throttling and HTTP 500 on every kind of call, and completes the install', async () => {
    // Every operation the install makes: preflight, prepare, task definitions, services, rollouts.
    const operations: [service: string, operation: string][] = [
      ['sts', 'GetCallerIdentity'],
      ['ecs', 'DescribeClusters'],
      ['ec2', 'DescribeSubnets'],
      ['ec2', 'DescribeSecurityGroups'],
      ['iam', 'GetRole'],
      ['elasticloadbalancing', 'DescribeTargetGroups'],
      ['secretsmanager', 'DescribeSecret'],
      ['secretsmanager', 'CreateSecret'],
      ['logs', 'DescribeLogGroups'],
      ['logs', 'CreateLogGroup'],
      ['logs', 'PutRetentionPolicy'],
      ['servicediscovery', 'ListNamespaces'],
      ['servicediscovery', 'CreatePrivateDnsNamespace'],
      ['servicediscovery', 'GetOperation'],
      ['servicediscovery', 'ListServices'],
      ['servicediscovery', 'CreateService'],
      ['iam', 'GetRolePolicy'],
      ['iam', 'PutRolePolicy'],
      ['ecs', 'DescribeTaskDefinition'],
      ['ecs', 'RegisterTaskDefinition'],
      ['ecs', 'CreateService'],
      ['ecs', 'DescribeServices'],
    ];
    // The first request of each is throttled, the second gets HTTP 500; the third goes through.
    for (const [service, operation] of operations) {
      proxy.inject({ service, operation, fault: 'throttle', times: 1 });
      proxy.inject({ service, operation, fault: 'internal', times: 1 });
    }
    const started = Date.now();
    const run = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    console.info(`install with ${operations.length * 2} injected faults: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(run.stderr).toBe('');
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('7/7 healthy');

    for (const [service, operation] of operations) {
      expect(proxy.count(operation, { service, injected: true }), `${service} ${operation}`).toBe(2);
    }
    await expectCompleteDeployment();

    // botocore made one attempt per call, so each failed aws call is one error answer at the
    // proxy: the injected faults plus moto's own "not found" for lookups of what doesn't exist yet.
    const lines = await auditLog();
    expect(lines.filter((line) => line.exitCode !== 0)).toHaveLength(proxy.requests.filter((r) => (r.status ?? 0) >= 400).length);
    // A failed call that the installer repeated: a later line has the same argv.
    const repeated = (index: number) => lines.slice(index + 1).find((later) => JSON.stringify(later.argv) === JSON.stringify(lines[index]!.argv));
    for (const [service, operation] of operations) {
      const cli = [CLI_SERVICE[service] ?? service, kebab(operation)];
      const failures = [...lines.entries()].filter(([, line]) => line.argv[1] === cli[0] && line.argv[2] === cli[1] && line.exitCode !== 0);
      const retried = failures.filter(([index]) => repeated(index));
      // A step that failed is run again from its first lookup, so a "not found" answer may be asked again too.
      if (LOOKUPS_OF_MISSING.has(operation)) expect(retried.length, `${cli.join(' ')}: failures retried`).toBeGreaterThanOrEqual(2);
      else expect(retried.length, `${cli.join(' ')}: failures retried`).toBe(2);
      for (const [index, line] of retried) {
        expect(line.exitCode, line.argv.join(' ')).toBe(255);
        // Lookups of what doesn't exist yet end in moto's "not found" (exit 255), which is their answer.
        if (LOOKUPS_OF_MISSING.has(operation)) continue;
        const succeeded = lines.slice(index + 1).some((later) => JSON.stringify(later.argv) === JSON.stringify(line.argv) && later.exitCode === 0);
        expect(succeeded, `no successful retry of ${line.argv.join(' ')}`).toBe(true);
      }
    }
    expect(leakedCanaries(run.stdout + run.stderr + JSON.stringify(lines))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('finds and adopts what a create made when its answer was lost, instead of failing or making a second', async () => {
    // HTTP 500 after moto carried the request out: the installer cannot know it took effect, so a
    // retry must look again first (each step's own lookup) rather than create blindly.
    const creates: [service: string, operation: string][] = [
      ['secretsmanager', 'CreateSecret'],
      ['logs', 'CreateLogGroup'],
      ['servicediscovery', 'CreatePrivateDnsNamespace'],
      ['servicediscovery', 'CreateService'],
      ['ecs', 'RegisterTaskDefinition'],
      ['ecs', 'CreateService'],
    ];
    for (const [service, operation] of creates) proxy.inject({ service, operation, fault: 'internal', times: 1, afterUpstream: true });
    const run = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const [service, operation] of creates) expect(proxy.count(operation, { service, injected: true }), `${service} ${operation}`).toBe(1);
    await expectCompleteDeployment();
    const [logGroups, namespaces, discovery] = await Promise.all([
      aws(moto.env, ['logs', 'describe-log-groups']),
      aws(moto.env, ['servicediscovery', 'list-namespaces']),
      aws(moto.env, ['servicediscovery', 'list-services']),
    ]);
    expect(logGroups.logGroups.map((g: { logGroupName: string }) => g.logGroupName)).toEqual(['/ecs/membrane']);
    expect(namespaces.Namespaces.map((n: { Name: string }) => n.Name)).toEqual(['membrane.internal']);
    expect(discovery.Services.map((s: { Name: string }) => s.Name)).toEqual(['custom-code-runner']);
  }, RUN_TIMEOUT_MS);

  it('fails at once on a persistent AccessDenied, and resume completes once it is allowed', async () => {
    proxy.inject({ service: 'ecs', operation: 'CreateService', fault: 'access-denied' });
    const run = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);

    // Denied once, never retried, and the install stopped within a couple of calls.
    const denied = proxy.requests.filter((r) => r.injected === 'access-denied');
    expect(denied).toHaveLength(1);
    expect(proxy.count('CreateService', { service: 'ecs' })).toBe(1);
    const after = proxy.requests.filter((r) => r.seq > denied[0]!.seq);
    expect(after.length, after.map((r) => r.operation).join(', ')).toBeLessThanOrEqual(2);
    const creates = (await auditLog()).filter((line) => line.argv[1] === 'ecs' && line.argv[2] === 'create-service');
    expect(creates.map((line) => line.exitCode)).toEqual([255]);

    // The CLI's own words reach the user, with the way on.
    const output = run.stdout + run.stderr;
    expect(output).toContain('AccessDeniedException');
    expect(output).toContain('not authorized to perform: ecs:CreateService');
    expect(output).toContain(`resume --name default --state-dir ${stateDir()}`);
    expect((await cloudState()).services).toEqual([]);

    proxy.clearRules();
    const resumed = await runCli(resumeArgs(), env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('7/7 healthy');
    await expectCompleteDeployment();
  }, RUN_TIMEOUT_MS);

  it('stops on a FAILED rollout, naming the service and the reason', async () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    proxy.failRollout('membrane-queued-worker', reason);
    const run = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(`queued-worker failed: ${reason}`);
    expect(proxy.requests.some((r) => r.rewritten)).toBe(true);

    // In the cloud: the runner and wave 2 exist, the other engines rolled out; nothing after wave 2.
    const state = await cloudState();
    expect(state.services).toEqual(['membrane-custom-code-runner', 'membrane-instant-worker', 'membrane-orchestrator', 'membrane-queued-worker']);
    const { services } = await aws(moto.env, ['ecs', 'describe-services', '--cluster', fixture.cluster, '--services', 'membrane-orchestrator', 'membrane-instant-worker']);
    for (const service of services) {
      const primary = service.deployments.find((d: { status: string }) => d.status === 'PRIMARY');
      expect(primary.rolloutState, service.serviceName).toBe('COMPLETED');
      expect(service.runningCount, service.serviceName).toBe(service.desiredCount);
    }

    const status = JSON.parse((await runCli(['status', '--json', '--state-dir', stateDir()], env)).stdout);
    expect(status.status).toBe('failed');
    expect(status.services['queued-worker'].state).toBe('failed');
    expect(status.services['queued-worker'].message).toContain(reason);
    for (const id of ['custom-code-runner', 'orchestrator', 'instant-worker']) expect(status.services[id].state, id).toBe('healthy');
    for (const id of ['api', 'ui', 'console']) expect(status.services[id].state, id).toBe('pending');

    // The cause fixed (an image pushed, a credential corrected), resume starts a new deployment of
    // the failed service: left as it was, its FAILED deployment would stay FAILED.
    const resumed = await runCli(['resume', '--yes', '--state-dir', stateDir()], env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    const updates = proxy.requests.filter((r) => r.operation === 'UpdateService');
    expect(updates.map((r) => r.input?.service)).toEqual(['membrane-queued-worker']);
    expect(updates[0]!.input?.forceNewDeployment).toBe(true);
    await expectCompleteDeployment();
  }, RUN_TIMEOUT_MS);

  it('fails a crash-looping service after two failed tasks, with the reason ECS gives, long before the circuit breaker or the timeout; resume starts it over', async () => {
    const reason = 'Essential container in task exited';
    proxy.crashLoop('membrane-api', { reason, everyMs: 2_000, exitCode: 1 });
    const run = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    const ended = Date.now();
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(`api failed: 2 tasks in a row stopped before they ran healthy: ${reason}`);
    // The second failure comes 2 s after the first; polls every 200 ms and the two calls that ask why add little.
    const firstCrash = proxy.firstCrash('membrane-api')!;
    expect(ended - firstCrash).toBeLessThan(10_000);
    // Asked why only for the failing service.
    const listed = proxy.requests.filter((r) => r.operation === 'ListTasks');
    expect(listed.map((r) => r.input?.serviceName)).toEqual(['membrane-api']);

    // The cause fixed for new tasks (a corrected secret), resume does not wait on the deployment
    // that kept failing (the same one, its failures so far kept): it starts a new one, whose tasks run.
    proxy.crashLoop('membrane-api', { reason, everyMs: 2_000, untilForcedDeployment: true });
    const resumed = await runCli(['resume', '--yes', '--state-dir', stateDir()], env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    const updates = proxy.requests.filter((r) => r.operation === 'UpdateService');
    expect(updates.map((r) => [r.input?.service, r.input?.forceNewDeployment])).toEqual([['membrane-api', true]]);
    await expectCompleteDeployment();
  }, RUN_TIMEOUT_MS);

  it('an upgrade whose api the circuit breaker rolled back fails naming the revision, and rolls every service it moved back to the release before', async () => {
    const installed = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);

    // A new image tag: every service gets revision 2; the api's fails, and ECS goes back to 1, which completes.
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    proxy.rollBack('membrane-api', reason);
    const run = await runCli(['upgrade', '--image-tag', '2025-10-01', '--yes', '--state-dir', stateDir()], env, RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    // The reason, while ECS still lists the failed deployment beside the rollback.
    expect(run.stdout).toContain(`[api] failed 2/2 — rolled back to membrane-api:1: ${reason}`);
    expect(run.stdout).toContain('api failed: rolled back to membrane-api:1 (not membrane-api:2)');
    expect(proxy.requests.some((r) => r.rewritten)).toBe(true);
    expect(run.stdout).toContain('Rolling back custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console to the release of');
    expect(run.stdout).toContain('Rolled back: custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console run the release of');

    // In moto (which never rolls back by itself), the services the upgrade moved run the old image again (the api: ECS's own rollback).
    const described = await aws(moto.env, ['ecs', 'describe-services', '--cluster', fixture.cluster, '--services', ...SERVICE_IDS.filter((id) => id !== 'api').map((id) => `membrane-${id}`)]);
    for (const service of described.services as { serviceName: string; taskDefinition: string }[]) {
      const { taskDefinition } = await aws(moto.env, ['ecs', 'describe-task-definition', '--task-definition', service.taskDefinition]);
      expect(taskDefinition.containerDefinitions[0].image, service.serviceName).toMatch(/:2025-09-19$/);
    }
    const status = JSON.parse((await runCli(['status', '--json', '--state-dir', stateDir()], env)).stdout);
    expect([status.command, status.status]).toEqual(['rollback', 'done']);
    for (const id of SERVICE_IDS) expect(status.services[id].state, id).toBe('healthy');
  }, RUN_TIMEOUT_MS);

  it('stops on SIGTERM as on Ctrl-C: the running command finishes, the lock is freed, exit 143, and resume completes', async () => {
    const release = proxy.delay({ service: 'ecs', operation: 'CreateService', times: 1 });
    const run = startCli(installArgs(), env);
    await proxy.waitFor('CreateService', { service: 'ecs', timeoutMs: 240_000 });
    run.child.kill('SIGTERM');
    // The held create-service finishes, then the installer stops before the next step.
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    const stopped = await run.done;
    expect(stopped.exitCode, stopped.stdout + stopped.stderr).toBe(143);
    expect(stopped.stdout).toContain('Stopping after the running command… (SIGTERM again to stop at once)');
    expect(stopped.stdout).toContain(`Interrupted (SIGTERM). Continue with: create-membrane-deploy resume --name default --state-dir ${stateDir()} --yes`);
    expect(existsSync(join(stateDir(), 'default', 'lock'))).toBe(false);
    const status = JSON.parse((await runCli(['status', '--json', '--state-dir', stateDir()], env)).stdout);
    expect(status.status).toBe('interrupted');
    expect(status.services['custom-code-runner'].state).not.toBe('pending');

    const resumed = await runCli(resumeArgs(), env, RUN_TIMEOUT_MS);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    await expectCompleteDeployment();
  }, RUN_TIMEOUT_MS);

  it('refuses a second installer on the same deployment, and takes over the lock of a killed one', async () => {
    // Hold the first installer in its first create-service, past preflight and the journal's start.
    const release = proxy.delay({ service: 'ecs', operation: 'CreateService', times: 1 });
    const first = startCli(installArgs(), env);
    const held = await proxy.waitFor('CreateService', { service: 'ecs', timeoutMs: 240_000 });
    const lockPath = join(stateDir(), 'default', 'lock');
    expect((await readFile(lockPath, 'utf8')).split('\n')[0]).toBe(String(first.pid));

    const linesBefore = (await auditLog()).length;
    const requestsBefore = proxy.requests.length;
    const second = await runCli(installArgs(), env, RUN_TIMEOUT_MS);
    expect(second.exitCode, second.stdout + second.stderr).toBe(2);
    expect(second.stderr).toContain(`another installer (process ${first.pid})`);
    // Refused before it ran anything.
    expect((await auditLog()).length).toBe(linesBefore);
    expect(proxy.requests.length).toBe(requestsBefore);

    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.exitCode).toBeNull();
    // kill -9 leaves the lock behind, naming a process that is gone.
    expect((await readFile(lockPath, 'utf8')).split('\n')[0]).toBe(String(first.pid));

    // The killed installer's aws call was in flight; let it reach moto, as a real one would.
    release();
    const deadline = Date.now() + 60_000;
    while (held.status === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held.status).toBe(200);

    const third = await runCli(resumeArgs(), env, RUN_TIMEOUT_MS);
    expect(third.stdout + third.stderr).not.toContain('another installer');
    expect(third.exitCode, third.stdout + third.stderr).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
    await expectCompleteDeployment();
  }, RUN_TIMEOUT_MS);
});
