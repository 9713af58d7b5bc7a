// Bad answers exit 2 before any cloud call, name the field, and leave the cloud untouched.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, leakedCanaries, readTree, runCli } from '../support/cli.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let fixture: EcsFixture;
let work: string;

beforeAll(async () => {
  moto = await startMoto();
  fixture = await createEcsFixture(moto.env);
  work = await mkdtemp(join(tmpdir(), 'membrane-bad-input-'));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

async function install(name: string, answers: Record<string, unknown>, secrets: Record<string, string> = {}) {
  const file = join(work, `${name}.json`);
  await writeFile(file, JSON.stringify(answers));
  const stateDir = join(work, name);
  const run = await runCli(['--config', file, '--yes', '--state-dir', stateDir], { ...moto.env, ...CANARY_SECRETS, ...secrets });
  return { ...run, stateDir };
}

async function cloudIsUntouched() {
  const [{ SecretList }, { serviceArns }, { taskDefinitionArns }] = await Promise.all([
    aws(moto.env, ['secretsmanager', 'list-secrets']),
    aws(moto.env, ['ecs', 'list-services', '--cluster', fixture.cluster]),
    aws(moto.env, ['ecs', 'list-task-definitions']),
  ]);
  expect(SecretList).toEqual([]);
  expect(serviceArns).toEqual([]);
  expect(taskDefinitionArns).toEqual([]);
}

describe('bad input', () => {
  const cases: [string, () => Record<string, unknown>, Record<string, string>, RegExp][] = [
    ['unknown cloud', () => ({ ...answersFor(fixture), cloud: 'gcpp' }), {}, /cloud: "gcpp" must be one of aws, azure, gcp/],
    ['bad domain', () => ({ ...answersFor(fixture), domain: 'https://example.com/' }), {}, /domain: "https:\/\/example.com\/" must be a bare DNS name/],
    ['missing subnets', () => {
      const answers = answersFor(fixture);
      const { subnets: _omitted, ...awsBlock } = answers.aws as Record<string, unknown>;
      return { ...answers, aws: awsBlock };
    }, {}, /aws\.subnets: missing/],
    ['unknown key', () => ({ ...answersFor(fixture), domian: 'example.com' }), {}, /domian: unknown key/],
    ['malformed Mongo URI', () => answersFor(fixture), { MEMBRANE_MONGO_URI: 'postgres://canary-mongo-T4n6@db' }, /MEMBRANE_MONGO_URI: must be a MongoDB connection string/],
    ['empty secret', () => answersFor(fixture), { MEMBRANE_SECRET: '' }, /MEMBRANE_SECRET: must not be empty/],
  ];

  for (const [name, answers, secrets, message] of cases) {
    it(`${name}: exits 2 naming the field, runs no aws command`, async () => {
      const run = await install(name.replaceAll(' ', '-'), answers(), secrets);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(leakedCanaries(run.stdout + run.stderr)).toEqual([]);
      // No command ran at all: the audit log was never written.
      expect(existsSync(join(run.stateDir, 'default', 'audit.log'))).toBe(false);
    });
  }

  it('lists every missing answer and secret at once with --yes', async () => {
    const run = await runCli(['--yes', '--cloud', 'aws', '--state-dir', join(work, 'empty')], { ...moto.env });
    expect(run.exitCode).toBe(2);
    for (const field of ['domain', 'imageTag', 'registry', 'aws', 'MEMBRANE_SECRET', 'MEMBRANE_ENCRYPTION_SECRET', 'MEMBRANE_MONGO_URI', 'MEMBRANE_REDIS_URI', 'MEMBRANE_REGISTRY_PASSWORD']) {
      expect(run.stderr).toContain(`${field}: missing`);
    }
  });

  it('a cluster that does not exist fails preflight with exit 2 and changes nothing', async () => {
    const answers = answersFor(fixture);
    const run = await install('no-cluster', { ...answers, aws: { ...(answers.aws as object), cluster: 'no-such-cluster' } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toMatch(/✖ ECS cluster no-such-cluster is ACTIVE — no cluster named no-such-cluster/);
    expect(run.stdout).toContain('Nothing was changed in the cloud.');
  });

  it('refuses target groups ECS or the containers cannot use: no load balancer, wrong port', async () => {
    // What real ECS refuses in CreateService (wave 3, after four services run) is caught before anything is created.
    const createGroup = async (name: string, port: string, ...extra: string[]) =>
      (await aws(moto.env, ['elbv2', 'create-target-group', '--name', name, '--protocol', 'HTTP', '--port', port, '--target-type', 'ip', '--vpc-id', fixture.vpcId, ...extra]))
        .TargetGroups[0].TargetGroupArn as string;
    // The orphan's health check is on a path the console never answers 200 on: its tasks would never be healthy.
    const [orphan, port80] = await Promise.all([createGroup('membrane-orphan', '5000', '--health-check-path', '/healthz'), createGroup('membrane-port80', '80')]);
    const answers = answersFor(fixture);
    const run = await install('bad-target-groups', { ...answers, aws: { ...answers.aws, targetGroups: { ...answers.aws.targetGroups, ui: port80, console: orphan } } });
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain('✖ Target groups for api, ui, console');
    expect(run.stdout).toContain('console: membrane-orphan is not used by any load balancer');
    expect(run.stdout).toContain('ui: membrane-port80 is HTTP:80 (the containers serve HTTP on 5000)');
    expect(run.stdout).toContain(`aws elbv2 create-rule --listener-arn <your HTTPS listener> --priority <free number> --conditions Field=host-header,Values=console.example.com --actions Type=forward,TargetGroupArn=${orphan}`);
    expect(run.stdout).toContain('console: membrane-orphan has health check path /healthz (the service answers 200 on /)');
    expect(run.stdout).toContain(`aws elbv2 modify-target-group --target-group-arn ${orphan} --health-check-protocol HTTP --health-check-port traffic-port --health-check-path / --healthy-threshold-count 2 --unhealthy-threshold-count 3 --health-check-timeout-seconds 5 --health-check-interval-seconds 30 --matcher HttpCode=200 --region us-east-1`);
    expect(run.stdout).not.toContain('api: ');
    expect(run.stdout).toContain('Nothing was changed in the cloud.');
  });

  it('refuses subnets the tasks cannot pull images from: public without a public IP, or no route out at all', async () => {
    // The fixture's subnets are public (the default VPC's main table goes to its internet gateway).
    const answers = answersFor(fixture);
    const noIp = await install('public-no-ip', { ...answers, aws: { ...answers.aws, assignPublicIp: false } });
    expect(noIp.exitCode, noIp.stdout + noIp.stderr).toBe(2);
    expect(noIp.stdout).toMatch(new RegExp(`✖ Subnets .* — ${fixture.subnets[0]} is public \\(igw-[0-9a-f]+\\) but tasks get no public IP there \\(aws.assignPublicIp is false\\), so they cannot reach harbor.integration.app to pull images`));
    expect(noIp.stdout).toContain('set aws.assignPublicIp to true in the answers, or list private subnets whose route table sends 0.0.0.0/0 to a NAT gateway');
    expect(noIp.stdout).toContain('Nothing was changed in the cloud.');

    // A subnet with a route table of its own and no default route is isolated.
    const { Subnet } = await aws(moto.env, ['ec2', 'create-subnet', '--vpc-id', fixture.vpcId, '--cidr-block', '172.31.200.0/24']);
    const { RouteTable } = await aws(moto.env, ['ec2', 'create-route-table', '--vpc-id', fixture.vpcId]);
    await aws(moto.env, ['ec2', 'associate-route-table', '--route-table-id', RouteTable.RouteTableId, '--subnet-id', Subnet.SubnetId]);
    const isolated = await install('isolated', { ...answers, aws: { ...answers.aws, subnets: [fixture.subnets[0], Subnet.SubnetId] } });
    expect(isolated.exitCode, isolated.stdout + isolated.stderr).toBe(2);
    expect(isolated.stdout).toContain(`${Subnet.SubnetId} has no route to the internet (no 0.0.0.0/0 route), so tasks cannot reach harbor.integration.app, Secrets Manager or CloudWatch Logs`);
    expect(isolated.stdout).not.toContain(`${fixture.subnets[0]} is public`);
    expect(isolated.stdout).toContain('aws ec2 create-route --route-table-id <the subnet\'s route table> --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <a NAT gateway in a public subnet> --region us-east-1');
    await cloudIsUntouched();
  });

  it('refuses security groups that keep the engine from the runner and the load balancer from the tasks', async () => {
    const { GroupId } = await aws(moto.env, ['ec2', 'create-security-group', '--group-name', 'membrane-closed', '--description', 'no ingress', '--vpc-id', fixture.vpcId]);
    const answers = answersFor(fixture);
    const run = await install('closed-group', { ...answers, aws: { ...answers.aws, securityGroups: [GroupId] } });
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain("the tasks' groups do not allow TCP 5000 from each other");
    expect(run.stdout).toContain(`aws ec2 authorize-security-group-ingress --group-id ${GroupId} --protocol tcp --port 5000 --source-group ${GroupId} --region us-east-1`);
    expect(run.stdout).toContain("the tasks' groups do not allow TCP 5000 from load balancer membrane-alb");
    expect(run.stdout).toContain(`--source-group ${fixture.securityGroups[0]} --region us-east-1`);

    // Opened as the fixes say, the group passes (a missing cluster keeps this run from deploying).
    await aws(moto.env, ['ec2', 'authorize-security-group-ingress', '--group-id', GroupId, '--protocol', 'tcp', '--port', '5000', '--source-group', GroupId]);
    await aws(moto.env, ['ec2', 'authorize-security-group-ingress', '--group-id', GroupId, '--protocol', 'tcp', '--port', '5000', '--source-group', fixture.securityGroups[0]!]);
    const opened = await install('opened-group', { ...answers, aws: { ...answers.aws, securityGroups: [GroupId], cluster: 'no-such-cluster' } });
    expect(opened.exitCode).toBe(2);
    expect(opened.stdout).toContain(`✔ Security groups ${GroupId} — membrane-closed: TCP 5000 open between tasks and from the load balancer`);
  });

  it('without a terminal, changes nothing unless --yes says so (as terraform apply needs -auto-approve)', async () => {
    const file = join(work, 'no-yes.json');
    await writeFile(file, JSON.stringify(answersFor(fixture)));
    const stateDir = join(work, 'no-yes');
    const run = await runCli(['--config', file, '--state-dir', stateDir], { ...moto.env, ...CANARY_SECRETS });
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('There is no terminal to confirm on, so install changes nothing without --yes.');
    expect(run.stderr).toContain('create-membrane-deploy plan --out DIR');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Refused before any command ran, preflight included.
    expect(existsSync(join(stateDir, 'default', 'audit.log'))).toBe(false);
  });

  it('left the cloud untouched after all of the above', async () => {
    await cloudIsUntouched();
  });
});

describe('plan --out', () => {
  it('writes the plan without any cloud CLI on PATH or login, and no secret in it', async () => {
    const file = join(work, 'plan-answers.json');
    await writeFile(file, JSON.stringify(answersFor(fixture)));
    const out = join(work, 'plan');
    const run = await runCli(['plan', '--config', file, '--out', out, '--state-dir', join(work, 'plan-state')], {
      PATH: '/nonexistent',
      HOME: work,
      ...CANARY_SECRETS,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const files = await readTree(out);
    const plan = JSON.parse(files.get(join(out, 'plan.json'))!);
    expect(plan.steps.filter((step: { kind: string }) => step.kind === 'action')).toHaveLength(28);
    expect([...files.keys()].filter((path) => path.includes('task-definitions/'))).toHaveLength(7);
    expect(files.get(join(out, 'deploy.sh'))).toContain('register-task-definition --cli-input-json file://task-definitions/api.json');
    for (const [path, content] of files) expect(leakedCanaries(content), path).toEqual([]);

    // The uninstall's plan is found from the cloud's tags: without the CLI it says so, exit 2, and writes nothing.
    const uninstallOut = join(work, 'plan-uninstall');
    const uninstall = await runCli(['plan', '--for', 'uninstall', '--config', file, '--out', uninstallOut, '--state-dir', join(work, 'plan-state')], { PATH: '/nonexistent', HOME: work });
    expect(uninstall.exitCode, uninstall.stderr).toBe(2);
    expect(uninstall.stderr).toContain("plan --for uninstall reads the cloud's tags to find what the installer made, and could not:");
    expect(uninstall.stderr).toContain('nothing was written');
    expect(existsSync(uninstallOut)).toBe(false);
  });
});
