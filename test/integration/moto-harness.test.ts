// Proves the AWS test harness: moto on loopback, the operator's fixture made with the real `aws`,
// state read back from moto, reset, and a clean stop by PID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersSchema } from '../../source/answers/schema.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { aws, AwsCliError, startMoto, type MotoServer } from '../support/moto.js';

const TIMEOUT = 60_000;

describe('moto harness', () => {
  let moto: MotoServer | undefined;
  let fixture: EcsFixture;
  let fixtureMs = 0;

  const server = (): MotoServer => {
    if (!moto) throw new Error('moto did not start');
    return moto;
  };

  beforeAll(async () => {
    const started = performance.now();
    moto = await startMoto({ ecsServiceRunning: 2 });
    const ready = performance.now();
    fixture = await createEcsFixture(moto.env);
    fixtureMs = performance.now() - ready;
    console.info(`moto ready in ${Math.round(ready - started)} ms; fixture created in ${Math.round(fixtureMs)} ms`);
  }, TIMEOUT);

  afterAll(async () => {
    await moto?.stop();
  }, TIMEOUT);

  it('listens on loopback only and points aws away from the real AWS files', () => {
    const { env, endpoint, port } = server();
    expect(endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(env.AWS_ENDPOINT_URL).toBe(endpoint);
    expect(env.AWS_PROFILE).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBe('test');
    expect(env.AWS_REGION).toBe('us-east-1');
    expect(env.AWS_DEFAULT_REGION).toBe('us-east-1');
    expect(env.AWS_PAGER).toBe('');
    expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
    expect(env.AWS_CONFIG_FILE).not.toMatch(/\.aws/);
    expect(env.AWS_SHARED_CREDENTIALS_FILE).not.toMatch(/\.aws/);
  });

  it('creates the cluster, roles and target groups an operator already has', async () => {
    const { env } = server();
    expect(fixture.region).toBe('us-east-1');
    expect(fixture.cluster).toBe('membrane-cluster');
    expect(fixture.subnets).toHaveLength(2);
    expect(fixture.subnets.every((id) => /^subnet-[0-9a-f]{8,17}$/.test(id))).toBe(true);
    expect(fixture.securityGroups).toHaveLength(1);
    expect(fixture.securityGroups[0]).toMatch(/^sg-[0-9a-f]{8,17}$/);

    const [clusters, executionRole, taskRole, targetGroups, subnets] = await Promise.all([
      aws(env, ['ecs', 'describe-clusters', '--clusters', 'membrane-cluster']),
      aws(env, ['iam', 'get-role', '--role-name', 'ecsTaskExecutionRole']),
      aws(env, ['iam', 'get-role', '--role-name', 'membrane-task-role']),
      aws(env, ['elbv2', 'describe-target-groups', '--names', 'membrane-api', 'membrane-ui', 'membrane-console']),
      aws(env, ['ec2', 'describe-subnets', '--subnet-ids', ...fixture.subnets]),
    ]);

    expect(clusters.clusters).toHaveLength(1);
    expect(clusters.clusters[0].status).toBe('ACTIVE');

    expect(executionRole.Role.Arn).toBe(fixture.executionRoleArn);
    expect(taskRole.Role.Arn).toBe(fixture.taskRoleArn);
    const trust = taskRole.Role.AssumeRolePolicyDocument;
    expect(typeof trust === 'string' ? JSON.parse(decodeURIComponent(trust)) : trust).toMatchObject({
      Statement: [{ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });

    const byName = Object.fromEntries(
      (targetGroups.TargetGroups as { TargetGroupName: string }[]).map((group) => [group.TargetGroupName, group]),
    );
    for (const [key, name] of [['api', 'membrane-api'], ['ui', 'membrane-ui'], ['console', 'membrane-console']] as const) {
      expect(byName[name]).toMatchObject({
        TargetGroupArn: fixture.targetGroups[key],
        Protocol: 'HTTP',
        Port: 5000,
        TargetType: 'ip',
        HealthCheckPath: '/',
        VpcId: fixture.vpcId,
      });
    }

    expect((subnets.Subnets as { VpcId: string }[]).every((subnet) => subnet.VpcId === fixture.vpcId)).toBe(true);
  }, TIMEOUT);

  it('builds answers that the product schema accepts', () => {
    const answers = answersFor(fixture);
    expect(answers.aws.subnets).toEqual(fixture.subnets);
    expect(answers.registry.username).toBe('robot$core+acme');
    const parsed = answersSchema.safeParse(answers);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);

    const overridden = answersFor(fixture, { domain: 'membrane.acme.io', imageTag: 'latest' });
    expect(overridden.domain).toBe('membrane.acme.io');
    expect(overridden.imageTag).toBe('latest');
    expect(overridden.aws).toEqual(answers.aws);
  });

  it('reports aws failures with the exit code and stderr', async () => {
    const error = await aws(server().env, ['iam', 'get-role', '--role-name', 'no-such-role']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCliError);
    expect((error as AwsCliError).exitCode).toBe(255);
    expect((error as AwsCliError).stderr).toMatch(/NoSuchEntity/);
  }, TIMEOUT);

  it('resets moto: the cluster is gone and the default VPC comes back with new ids', async () => {
    const { env } = server();
    await server().reset();
    const [clusters, vpcs] = await Promise.all([
      aws(env, ['ecs', 'describe-clusters', '--clusters', 'membrane-cluster']),
      aws(env, ['ec2', 'describe-vpcs', '--filters', 'Name=isDefault,Values=true']),
    ]);
    expect(clusters.clusters).toEqual([]);
    expect(clusters.failures).toEqual([expect.objectContaining({ reason: 'MISSING' })]);
    expect(vpcs.Vpcs).toHaveLength(1);
    expect(vpcs.Vpcs[0].VpcId).not.toBe(fixture.vpcId);

    // A fresh fixture can be made again on the same server after a reset.
    const again = await createEcsFixture(env);
    expect(again.vpcId).toBe(vpcs.Vpcs[0].VpcId);
    expect(again.subnets).not.toEqual(fixture.subnets);
  }, TIMEOUT);

  it('stops moto by its PID', async () => {
    const { pid } = server();
    expect(() => process.kill(pid, 0)).not.toThrow();
    await server().stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await server().stop(); // idempotent
    await expect(fetch(`${server().endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, TIMEOUT);
});
