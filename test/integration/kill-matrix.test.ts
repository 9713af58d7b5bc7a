// The kill-point matrix: an install killed with SIGKILL right after its Nth external command,
// then `resume`, must end in exactly one complete deployment: seven ACTIVE services, one secret
// per name, one task-definition revision per family, one log group, one Cloud Map namespace
// and one discovery service. Asserted from moto's state, for N = 1, 1+S, 1+2S, ... up to the
// number of commands T of a full install (S = KILL_MATRIX_STRIDE, default 32 to fit CI's time; `npm run test:kill-matrix` tests them all).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../source/membrane/services.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, leakedCanaries, runCli } from '../support/cli.js';
import { auditLines, MARKER_VAR, runAndKill, waitForOrphans } from '../support/kill.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

const STRIDE = Math.max(1, Math.floor(Number(process.env.KILL_MATRIX_STRIDE) || 32));
const RUN_TIMEOUT_MS = 300_000;
/** Budget of one kill point: fixture, install up to the kill, resume, assertions. */
const CASE_BUDGET_MS = 360_000;
/** More audit lines than a full install writes (61 today), to size the matrix's timeout before T is known. */
const MAX_LINES = 100;
const SERVICE_NAMES = SERVICES.map((s) => `membrane-${s.id}`);
const SECRET_NAMES = ['membrane/encryption-secret', 'membrane/jwt-secret', 'membrane/mongo-uri', 'membrane/redis-uri', 'membrane/registry-credentials'];

let moto: MotoServer;
/** Audit lines of the reference install: what each kill point follows. */
let reference: string[] = [];

interface Work {
  dir: string;
  stateDir: string;
  auditLog: string;
  journal: string;
  fixture: EcsFixture;
}

/** A fresh cloud (moto reset + the operator's fixture) and a fresh state directory. */
async function freshWork(): Promise<Work> {
  await moto.reset();
  const fixture = await createEcsFixture(moto.env);
  const dir = await mkdtemp(join(tmpdir(), 'membrane-kill-'));
  // No execution role named: the installer's own roles are among what a kill may interrupt.
  const { executionRoleArn: _made, ...awsBlock } = answersFor(fixture).aws;
  await writeFile(join(dir, 'answers.json'), JSON.stringify({ ...answersFor(fixture), aws: awsBlock }));
  const stateDir = join(dir, 'state');
  return { dir, stateDir, auditLog: join(stateDir, 'default', 'audit.log'), journal: join(stateDir, 'default', 'journal.json'), fixture };
}

const cliEnv = (marker: string): Record<string, string> => ({
  ...moto.env,
  ...CANARY_SECRETS,
  CREATE_MEMBRANE_DEPLOY_POLL_MS: '200',
  CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20',
  // Inherited by every aws the CLI starts, so those still running after the kill can be found.
  [MARKER_VAR]: marker,
});
const installArgs = (work: Work) => ['--config', join(work.dir, 'answers.json'), '--yes', '--state-dir', work.stateDir];
const resumeArgs = (work: Work) => ['resume', '--name', 'default', '--state-dir', work.stateDir, '--yes'];

const describeLine = (line: string | undefined) => {
  if (!line) return '(none)';
  const { argv, exitCode } = JSON.parse(line) as { argv: string[]; exitCode: number | null };
  return `${argv.slice(1, 3).join(' ')} → ${exitCode}`;
};

/** Everything in moto that the installer creates, read directly from moto. */
async function cloud(work: Work) {
  const [services, secrets, taskDefinitions, logGroups, namespaces, discovery, rolePolicies, roles, attached] = await Promise.all([
    aws(moto.env, ['ecs', 'list-services', '--cluster', work.fixture.cluster]),
    aws(moto.env, ['secretsmanager', 'list-secrets']),
    aws(moto.env, ['ecs', 'list-task-definitions']),
    aws(moto.env, ['logs', 'describe-log-groups']),
    aws(moto.env, ['servicediscovery', 'list-namespaces']),
    aws(moto.env, ['servicediscovery', 'list-services']),
    aws(moto.env, ['iam', 'list-role-policies', '--role-name', 'membrane-execution']).catch(() => ({ PolicyNames: [] })),
    aws(moto.env, ['iam', 'list-roles']),
    aws(moto.env, ['iam', 'list-attached-role-policies', '--role-name', 'membrane-execution']).catch(() => ({ AttachedPolicies: [] })),
  ]);
  return {
    services: (services.serviceArns as string[]).map((arn) => arn.split('/').pop()!).sort(),
    secrets: (secrets.SecretList as { Name: string }[]).map((s) => s.Name).sort(),
    taskDefinitions: (taskDefinitions.taskDefinitionArns as string[]).map((arn) => arn.split('/').pop()!).sort(),
    logGroups: (logGroups.logGroups as { logGroupName: string }[]).map((g) => g.logGroupName).sort(),
    namespaces: (namespaces.Namespaces as { Name: string; Type: string }[]).map((n) => `${n.Name} ${n.Type}`).sort(),
    discoveryServices: (discovery.Services as { Name: string }[]).map((s) => s.Name).sort(),
    rolePolicies: (rolePolicies.PolicyNames as string[]).sort(),
    roles: (roles.Roles as { RoleName: string }[]).map((r) => r.RoleName).filter((name) => name.startsWith('membrane-') && name !== 'membrane-task-role').sort(),
    attached: (attached.AttachedPolicies as { PolicyName: string }[]).map((p) => p.PolicyName),
  };
}

/** Exactly one complete deployment, with a message naming the kill point on every failure. */
async function expectOneCompleteDeployment(work: Work, where: string): Promise<void> {
  const state = await cloud(work);
  expect.soft(state.services, `${where}: ECS services`).toEqual([...SERVICE_NAMES].sort());
  expect.soft(state.secrets, `${where}: secrets`).toEqual(SECRET_NAMES);
  const revisions = new Map<string, string[]>();
  for (const arn of state.taskDefinitions) {
    const [family, revision] = arn.split(':');
    revisions.set(family!, [...(revisions.get(family!) ?? []), revision!]);
  }
  expect.soft(Object.fromEntries(revisions), `${where}: task-definition revisions per family`).toEqual(Object.fromEntries(SERVICE_NAMES.map((name) => [name, ['1']])));
  expect.soft(state.logGroups, `${where}: log groups`).toEqual(['/ecs/membrane']);
  expect.soft(state.namespaces, `${where}: Cloud Map namespaces`).toEqual(['membrane.internal DNS_PRIVATE']);
  expect.soft(state.discoveryServices, `${where}: Cloud Map services`).toEqual(['custom-code-runner']);
  expect.soft(state.rolePolicies, `${where}: execution role policies`).toEqual(['membrane-read-secrets']);
  expect.soft(state.roles, `${where}: roles made`).toEqual(['membrane-exec-only', 'membrane-execution']);
  expect.soft(state.attached, `${where}: execution role's managed policies`).toEqual(['AmazonECSTaskExecutionRolePolicy']);
  const { services } = await aws(moto.env, ['ecs', 'describe-services', '--cluster', work.fixture.cluster, '--services', ...SERVICE_NAMES]);
  for (const service of services as { serviceName: string; status: string; taskDefinition: string }[]) {
    expect.soft(service.status, `${where}: ${service.serviceName} status`).toBe('ACTIVE');
    expect.soft(service.taskDefinition.split('/').pop(), `${where}: ${service.serviceName} task definition`).toBe(`${service.serviceName}:1`);
  }
  const status = JSON.parse((await runCli(['status', '--json', '--state-dir', work.stateDir], moto.env)).stdout);
  expect.soft(status.status, `${where}: journal status`).toBe('done');
  for (const [id, service] of Object.entries(status.services as Record<string, { state: string }>)) {
    expect.soft(service.state, `${where}: status of ${id}`).toBe('healthy');
  }
}

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
}, 60_000);

afterAll(async () => {
  await moto?.stop();
}, 60_000);

describe('kill -9 at any point, then resume', () => {
  it('a full reference install counts the external commands', async () => {
    const work = await freshWork();
    const marker = randomUUID();
    const started = Date.now();
    const run = await runCli(installArgs(work), cliEnv(marker), RUN_TIMEOUT_MS);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    reference = await auditLines(work.auditLog);
    console.info(`reference install: ${reference.length} audit lines in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(reference.length).toBeGreaterThan(20);
    await expectOneCompleteDeployment(work, 'reference install');
  }, RUN_TIMEOUT_MS);

  it(`resume completes after a kill at ${STRIDE === 1 ? 'every audit line' : `one audit line in ${STRIDE}`}`, async (context) => {
    if (reference.length === 0) context.skip('the reference install failed');
    const total = reference.length;
    const points: number[] = [];
    for (let n = 1; n <= total; n += STRIDE) points.push(n);
    // The last command too: killed after everything ran but before the journal says done.
    if (points.at(-1) !== total) points.push(total);
    expect(total, 'raise MAX_LINES: the timeout is sized from it').toBeLessThanOrEqual(MAX_LINES);

    const timings: { n: number; after: string; installS: number; resumeS: number; resumed: boolean; orphans: number }[] = [];
    const matrixStarted = Date.now();
    for (const n of points) {
      const work = await freshWork();
      const marker = randomUUID();
      const installStarted = Date.now();
      const killed = await runAndKill({ args: installArgs(work), env: cliEnv(marker), auditLog: work.auditLog, killWhen: (lines) => lines.length >= n, timeoutMs: RUN_TIMEOUT_MS });
      const installS = (Date.now() - installStarted) / 1000;
      // Concurrent steps interleave differently from run to run: name this run's own Nth command.
      const where = `kill after line ${n}/${total} (${describeLine((await auditLines(work.auditLog))[n - 1])})`;
      const orphans = await waitForOrphans(marker);
      if (killed.exited) {
        // Fewer commands than the reference (possible for the last point): it ended on its own.
        expect.soft(killed.exited.exitCode, `${where}: ended before the kill with ${killed.written} lines`).toBe(0);
      }

      const resumeStarted = Date.now();
      let resumed = true;
      if (!existsSync(work.journal)) {
        // Killed during preflight: nothing was recorded, so nothing was changed and there is nothing to resume.
        const before = await cloud(work);
        expect.soft(before.services.length + before.secrets.length + before.logGroups.length, `${where}: cloud changed before the journal began`).toBe(0);
        const resume = await runCli(resumeArgs(work), cliEnv(marker), RUN_TIMEOUT_MS);
        expect.soft(resume.exitCode, `${where}: resume without a journal`).toBe(2);
        expect.soft(resume.stderr, `${where}: resume without a journal`).toContain('Run install first');
        const again = await runCli(installArgs(work), cliEnv(marker), RUN_TIMEOUT_MS);
        expect.soft(again.exitCode, `${where}: install again\n${again.stdout}${again.stderr}`).toBe(0);
        resumed = false;
      } else {
        const resume = await runCli(resumeArgs(work), cliEnv(marker), RUN_TIMEOUT_MS);
        expect.soft(resume.stdout + resume.stderr, `${where}: resume`).not.toContain('another installer');
        expect.soft(resume.exitCode, `${where}: resume exit code\n${resume.stdout}${resume.stderr}`).toBe(0);
        expect.soft(leakedCanaries(resume.stdout + resume.stderr), `${where}: secrets in the output`).toEqual([]);
      }
      const resumeS = (Date.now() - resumeStarted) / 1000;
      await expectOneCompleteDeployment(work, where);
      expect.soft(existsSync(join(work.stateDir, 'default', 'lock')), `${where}: lock left behind`).toBe(false);
      timings.push({ n, after: where.slice(where.indexOf('(') + 1, -1), installS, resumeS, resumed, orphans });
      console.info(`${where}: killed after ${installS.toFixed(1)} s (${killed.written} lines, ${orphans} aws still running), ${resumed ? 'resume' : 'install again'} ${resumeS.toFixed(1)} s`);
    }
    const slowest = timings.filter((t) => t.resumed).sort((a, b) => b.resumeS - a.resumeS)[0];
    console.info(
      `kill points tested: ${timings.length} of ${total} (stride ${STRIDE}) in ${((Date.now() - matrixStarted) / 1000).toFixed(0)} s; ` +
        `${timings.filter((t) => !t.resumed).length} before the journal began; ` +
        (slowest ? `slowest resume ${slowest.resumeS.toFixed(1)} s after line ${slowest.n} (${slowest.after})` : 'no resume ran'),
    );
  }, (Math.ceil(MAX_LINES / STRIDE) + 1) * CASE_BUDGET_MS);
});
