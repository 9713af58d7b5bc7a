// uninstall with the built CLI and the real aws CLI against moto (through the fault proxy, which
// keeps what moto drops and fails one call on demand), asserted from moto's state: after it, the
// account holds what the operator had before the install, and nothing of the installer's.
import { rm, writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, leakedCanaries, runCli } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let proxy: FaultProxy;
let fixture: EcsFixture;
let work: string;
let env: Record<string, string>;
let zoneId: string;
/** The account as the operator had it, before any install. */
let before: Account;

const DOMAIN = 'example.com';
const state = () => join(work, 'state');
const uninstall = (...args: string[]) => runCli(['uninstall', '--state-dir', state(), ...args], env);

interface Account {
  services: string[];
  taskDefinitions: string[];
  logGroups: string[];
  namespaces: string[];
  discoveryServices: string[];
  roles: Record<string, { inline: string[]; attached: string[] }>;
  records: string[];
  cluster: string;
  loadBalancers: string[];
  targetGroups: string[];
  listeners: number;
  securityGroups: string[];
  subnets: string[];
  /** Application Auto Scaling targets, by resource id. */
  scalableTargets: string[];
}

/** What moto holds now, secrets aside (they are asserted on their own): read with the real CLI. */
async function account(): Promise<Account> {
  const call = (...args: string[]) => aws(moto.env, args);
  const [serviceArns, active, inactive, logGroups, namespaces, discovery, roleList, records, clusters, balancers, groups, listeners, securityGroups, subnets, targets] = await Promise.all([
    call('ecs', 'list-services', '--cluster', fixture.cluster),
    call('ecs', 'list-task-definitions', '--status', 'ACTIVE'),
    call('ecs', 'list-task-definitions', '--status', 'INACTIVE'),
    call('logs', 'describe-log-groups'),
    call('servicediscovery', 'list-namespaces'),
    call('servicediscovery', 'list-services'),
    call('iam', 'list-roles'),
    call('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId),
    call('ecs', 'describe-clusters', '--clusters', fixture.cluster),
    call('elbv2', 'describe-load-balancers'),
    call('elbv2', 'describe-target-groups'),
    call('elbv2', 'describe-listeners', '--load-balancer-arn', fixture.loadBalancerArn),
    call('ec2', 'describe-security-groups'),
    call('ec2', 'describe-subnets'),
    call('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs'),
  ]);
  // moto keeps a deleted ECS service, INACTIVE, as ECS does for a while.
  const services = serviceArns.serviceArns.length
    ? (await call('ecs', 'describe-services', '--cluster', fixture.cluster, '--services', ...serviceArns.serviceArns)).services.filter((s: { status: string }) => s.status !== 'INACTIVE').map((s: { serviceName: string }) => s.serviceName)
    : [];
  const roles = Object.fromEntries(await Promise.all((roleList.Roles as { RoleName: string }[]).map(async ({ RoleName }) => {
    const [inline, attached] = await Promise.all([call('iam', 'list-role-policies', '--role-name', RoleName), call('iam', 'list-attached-role-policies', '--role-name', RoleName)]);
    return [RoleName, { inline: inline.PolicyNames, attached: attached.AttachedPolicies.map((p: { PolicyArn: string }) => p.PolicyArn) }];
  })));
  return {
    services: services.sort(),
    taskDefinitions: [...active.taskDefinitionArns, ...inactive.taskDefinitionArns].sort(),
    logGroups: logGroups.logGroups.map((g: { logGroupName: string }) => g.logGroupName).sort(),
    namespaces: namespaces.Namespaces.map((n: { Name: string }) => n.Name).sort(),
    discoveryServices: discovery.Services.map((s: { Name: string }) => s.Name).sort(),
    roles,
    records: records.ResourceRecordSets.map((r: { Name: string; Type: string; ResourceRecords?: { Value: string }[] }) => `${r.Name} ${r.Type} ${(r.ResourceRecords ?? []).map((v) => v.Value).join(',')}`).sort(),
    cluster: clusters.clusters[0]?.status,
    loadBalancers: balancers.LoadBalancers.map((b: { LoadBalancerArn: string }) => b.LoadBalancerArn).sort(),
    targetGroups: groups.TargetGroups.map((g: { TargetGroupArn: string }) => g.TargetGroupArn).sort(),
    listeners: listeners.Listeners.length,
    securityGroups: securityGroups.SecurityGroups.map((g: { GroupId: string }) => g.GroupId).sort(),
    subnets: subnets.Subnets.map((s: { SubnetId: string }) => s.SubnetId).sort(),
    scalableTargets: targets.ScalableTargets.map((t: { ResourceId: string }) => t.ResourceId).sort(),
  };
}

async function secrets(): Promise<Record<string, boolean>> {
  const { SecretList } = await aws(moto.env, ['secretsmanager', 'list-secrets', '--include-planned-deletion']);
  return Object.fromEntries((SecretList as { Name: string; DeletedDate?: string }[]).map((s) => [s.Name, Boolean(s.DeletedDate)]));
}

const auditCalls = async (name: string) =>
  (await readFile(join(state(), name, 'audit.log'), 'utf8')).trim().split('\n').map((text) => (JSON.parse(text) as { argv: string[] }).argv.slice(1, 3).join(' '));

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
  fixture = await createEcsFixture(moto.env);
  work = await mkdtemp(join(tmpdir(), 'membrane-uninstall-'));
  const { HostedZone } = await aws(moto.env, ['route53', 'create-hosted-zone', '--name', DOMAIN, '--caller-reference', 'membrane-uninstall-test']);
  zoneId = HostedZone.Id;
  // The operator's own record in the zone, which uninstall must leave.
  await aws(moto.env, ['route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch',
    JSON.stringify({ Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: `www.${DOMAIN}`, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'web.example.net' }] } }] })]);
  before = await account();
  proxy = await startFaultProxy(moto.endpoint);
  // No DNS from the tests: every host "does not resolve" for the install's own check.
  env = { ...proxy.env(moto.env, { botocoreRetries: true }), ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}' };
  // "default" uses the operator's execution role (the installer only adds its inline policy) and writes the DNS records.
  await writeFile(join(work, 'default.json'), JSON.stringify({ ...answersFor(fixture), dns: { zone: DOMAIN } }));
  const installed = await runCli(['--config', join(work, 'default.json'), '--yes', '--state-dir', state()], env);
  expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
}, 400_000);

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('uninstall on AWS against moto', () => {
  it('without a terminal and without --yes: exit 2, nothing removed', async () => {
    const calls = (await auditCalls('default')).length;
    const run = await uninstall();
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('There is no terminal to confirm on, so uninstall removes nothing without --yes');
    // Refused before any command ran.
    expect(await auditCalls('default')).toHaveLength(calls);
  });

  it('--dry-run lists everything the installer made, in reverse order, and changes nothing', async () => {
    const installed = await account();
    expect(installed.services).toHaveLength(7);
    expect(installed.scalableTargets).toHaveLength(4);
    const calls = (await auditCalls('default')).length;
    const run = await uninstall('--dry-run');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const titles = [
      `DNS record api.${DOMAIN} CNAME`,
      // Before its service: scaling down to 0 must not fight a target's minimum.
      'Autoscaling of membrane-api (2–10 tasks; its policies go with it)',
      'ECS service membrane-api (cluster membrane-cluster',
      'Task definition membrane-api: 1 revision(s)',
      'Inline policy membrane-read-secrets on your execution role ecsTaskExecutionRole (the role stays)',
      'IAM role membrane-exec-only',
      'Cloud Map service custom-code-runner.membrane.internal',
      'Cloud Map private DNS namespace membrane.internal',
      'Log group /ecs/membrane',
    ];
    const at = titles.map((title) => run.stdout.indexOf(`  - ${title}`));
    expect(at.every((index) => index >= 0), run.stdout).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(run.stdout).toContain('Secret membrane/mongo-uri stays: secrets go only with --delete-secrets');
    expect(run.stdout).toContain('$ aws ecs delete-service --cluster membrane-cluster --service membrane-api --force');
    expect(run.stdout).not.toContain(`www.${DOMAIN}`);
    expect(run.stdout).not.toContain('IAM role ecsTaskExecutionRole');
    expect(run.stdout).not.toContain('membrane-task-role');
    expect(await account()).toEqual(installed);
    const changing = (await auditCalls('default')).slice(calls).filter((call) => /^\S+ (delete|deregister|update|detach|change)-/.test(call));
    expect(changing).toEqual([]);
  });

  it('a failed removal stops with exit 1 naming it; running it again finishes, leaving only what the operator owns', async () => {
    const restore = proxy.inject({ operation: 'DeleteLogGroup', fault: 'access-denied', times: 1 });
    const failed = await uninstall('--yes');
    restore();
    expect(failed.exitCode, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toContain('✖ could not remove Log group /ecs/membrane');
    expect(failed.stdout).toContain('run uninstall again: it looks first and continues where this run stopped');
    expect(failed.stdout).toContain('✔ removed ECS service membrane-api');
    expect((await account()).logGroups).toContain('/ecs/membrane');

    const again = await uninstall('--yes');
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('✔ removed Log group /ecs/membrane');
    expect(again.stdout).not.toContain('✔ removed ECS service');
    expect(again.stdout).toContain('Deployment "default" is uninstalled');
    // The operator's execution role stays, without the installer's policy; every user-owned resource is as it was.
    expect(await account()).toEqual(before);
    expect(Object.values(await secrets())).toEqual([false, false, false, false, false]);
    expect(leakedCanaries(failed.stdout + failed.stderr + again.stdout + again.stderr)).toEqual([]);

    const status = await runCli(['status', '--json', '--state-dir', state()], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'uninstalled', installed: false });
    // Nothing is left to resume or upgrade: only a new install brings it back.
    const resumed = await runCli(['resume', '--yes', '--state-dir', state()], env);
    expect(resumed.exitCode).toBe(2);
    expect(resumed.stderr).toContain('Nothing to resume for --name default: it was uninstalled. Run install first.');
  });

  it('--delete-secrets schedules the secrets for deletion with the recovery window, never at once', async () => {
    const run = await uninstall('--yes', '--delete-secrets');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✔ removed Secret membrane/mongo-uri: scheduled for deletion in 30 days');
    expect(run.stdout).toContain('restore one with: aws secretsmanager restore-secret --secret-id NAME --region us-east-1');
    const stored = await secrets();
    expect(Object.keys(stored).sort()).toEqual(['membrane/encryption-secret', 'membrane/jwt-secret', 'membrane/mongo-uri', 'membrane/redis-uri', 'membrane/registry-credentials']);
    expect(Object.values(stored)).toEqual([true, true, true, true, true]);
    const deletes = (await readFile(join(state(), 'default', 'audit.log'), 'utf8')).split('\n').filter((text) => text.includes('delete-secret'));
    expect(deletes).toHaveLength(5);
    for (const text of deletes) {
      expect(text).toContain('"--recovery-window-in-days","30"');
      expect(text).not.toContain('force-delete-without-recovery');
    }
  });

  it('with the journal lost, --config finds what the installer made by its tags', async () => {
    // "second" has the installer make its own execution role (no aws.executionRoleArn).
    const { executionRoleArn: _operators, ...awsBlock } = answersFor(fixture).aws;
    await writeFile(join(work, 'second.json'), JSON.stringify({ ...answersFor(fixture), aws: awsBlock }));
    const installed = await runCli(['--name', 'second', '--config', join(work, 'second.json'), '--yes', '--state-dir', state()], env);
    expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
    expect(Object.keys((await account()).roles)).toContain('membrane-second-execution');
    await rm(join(state(), 'second'), { recursive: true, force: true });

    const nothing = await uninstall('--name', 'second', '--yes');
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('give the answers it was installed with: --config answers.json');

    const run = await uninstall('--name', 'second', '--config', join(work, 'second.json'), '--yes');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const title of ['Autoscaling of membrane-second-api', 'ECS service membrane-second-api', 'Task definition membrane-second-console', 'IAM role membrane-second-execution', 'IAM role membrane-second-exec-only',
      'Cloud Map private DNS namespace membrane-second.internal', 'Log group /ecs/membrane-second']) {
      expect(run.stdout).toContain(`✔ removed ${title}`);
    }
    expect(await account()).toEqual(before);
    const stored = await secrets();
    expect(Object.entries(stored).filter(([name]) => name.startsWith('membrane-second/')).map(([, deleted]) => deleted)).toEqual([false, false, false, false, false]);
  });
});

describe('uninstall --demo', () => {
  it('removes what the demo install made from the simulated account, and keeps the secrets unless asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'membrane-uninstall-demo-'));
    const demoEnv = { CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: '0.01' };
    const run = (...args: string[]) => runCli([...args, '--demo', '--state-dir', dir], demoEnv);
    expect((await run('--yes')).exitCode).toBe(0);
    const removed = await run('uninstall', '--yes');
    expect(removed.exitCode, removed.stdout + removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Deployment "default" is uninstalled: 23 resources removed.');
    const account = JSON.parse(await readFile(join(dir, 'default', 'demo-account.json'), 'utf8'));
    expect(Object.keys(account.services)).toEqual([]);
    expect(Object.keys(account.roles).sort()).toEqual(['ecsTaskExecutionRole', 'membrane-task-role']);
    expect(Object.keys(account.logGroups)).toEqual([]);
    expect(Object.values(account.secrets).map((secret: any) => secret.deletedDate)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const events = (await run('uninstall', '--yes', '--delete-secrets', '--json')).stdout.trim().split('\n').map((text) => JSON.parse(text));
    expect(events.map((event) => event.type)).toEqual(['uninstall-plan', 'removed', 'removed', 'removed', 'removed', 'removed', 'done']);
    expect(events.at(-1).outcome).toBe('complete');
    expect(JSON.parse((await runCli(['status', '--json', '--demo', '--state-dir', dir], demoEnv)).stdout).status).toBe('uninstalled');
  });
});
