// Test support: what an operator already has in AWS before running the installer, created in
// moto with the real `aws` CLI. Ids change on every moto reset, so they are looked up, never fixed.
import { aws } from './moto.js';

export interface EcsFixture {
  region: string;
  cluster: string;
  vpcId: string;
  /** Two subnets of the default VPC (first two availability zones). */
  subnets: string[];
  /** The default VPC's `default` security group. */
  securityGroups: string[];
  executionRoleArn: string;
  taskRoleArn: string;
  /** Target groups of the public services (HTTP, port 5000, target-type ip, the guide's health check on `/`), all forwarded to by one ALB. */
  targetGroups: { api: string; ui: string; console: string };
  /** The ALB in front of them: its listener forwards api by default and ui/console by host header. */
  loadBalancerArn: string;
}

/** An answers file (the product's format) for the fixture; shallow-merged with overrides. */
export interface FixtureAnswers {
  cloud: string;
  domain: string;
  imageTag: string;
  registry: { server: string; username: string };
  aws: {
    region: string;
    cluster: string;
    subnets: string[];
    securityGroups: string[];
    executionRoleArn: string;
    taskRoleArn: string;
    targetGroups: { api: string; ui: string; console: string };
    /** The default VPC's subnets are public: tasks there need a public IP, as the guide's command gives them. */
    assignPublicIp: boolean;
  };
  [key: string]: unknown;
}

const REGION = 'us-east-1';
const CLUSTER = 'membrane-cluster';
const EXECUTION_ROLE = 'ecsTaskExecutionRole';
const TASK_ROLE = 'membrane-task-role';
const TARGET_GROUPS = { api: 'membrane-api', ui: 'membrane-ui', console: 'membrane-console' } as const;
const LOAD_BALANCER = 'membrane-alb';

const ECS_TASKS_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * Creates the cluster, the two IAM roles, the three target groups and the load balancer that uses
 * them (ECS refuses a target group no load balancer forwards to), and looks up the default VPC's
 * subnets and security group, which gets the rule a real default group has: all traffic from itself.
 */
export async function createEcsFixture(env: Record<string, string>): Promise<EcsFixture> {
  const createRole = async (name: string): Promise<string> =>
    (await aws(env, ['iam', 'create-role', '--role-name', name, '--assume-role-policy-document', ECS_TASKS_TRUST])).Role.Arn;

  // The default VPC is found through its default subnets (saves a describe-vpcs round).
  const network = (async () => {
    const [subnets, groups] = await Promise.all([
      aws(env, ['ec2', 'describe-subnets', '--filters', 'Name=default-for-az,Values=true']),
      aws(env, ['ec2', 'describe-security-groups', '--filters', 'Name=group-name,Values=default']),
    ]);
    const defaultSubnets = [...(subnets.Subnets as { SubnetId: string; AvailabilityZone: string; VpcId: string }[])].sort((a, b) =>
      a.AvailabilityZone.localeCompare(b.AvailabilityZone),
    );
    const vpcId = defaultSubnets[0]?.VpcId;
    if (!vpcId) throw new Error('moto has no default VPC (no default-for-az subnets)');
    const subnetIds = defaultSubnets
      .filter((subnet) => subnet.VpcId === vpcId)
      .slice(0, 2)
      .map((subnet) => subnet.SubnetId);
    if (subnetIds.length < 2) throw new Error(`default VPC ${vpcId} has fewer than two subnets`);
    const groupIds = (groups.SecurityGroups as { GroupId: string; VpcId: string }[])
      .filter((group) => group.VpcId === vpcId)
      .map((group) => group.GroupId);
    if (groupIds.length === 0) throw new Error(`default VPC ${vpcId} has no default security group`);

    const createTargetGroup = async (name: string): Promise<string> =>
      (
        await aws(env, [
          'elbv2', 'create-target-group',
          '--name', name,
          '--protocol', 'HTTP',
          '--port', '5000',
          '--target-type', 'ip',
          // The guide's check ("Load Balancer Configuration"); AWS's defaults differ (healthy 5, unhealthy 2).
          '--health-check-protocol', 'HTTP',
          '--health-check-path', '/',
          '--healthy-threshold-count', '2',
          '--unhealthy-threshold-count', '3',
          '--health-check-timeout-seconds', '5',
          '--health-check-interval-seconds', '30',
          '--matcher', 'HttpCode=200',
          '--vpc-id', vpcId,
        ])
      ).TargetGroups[0].TargetGroupArn;
    const [api, ui, consoleGroup, loadBalancerArn] = await Promise.all([
      createTargetGroup(TARGET_GROUPS.api),
      createTargetGroup(TARGET_GROUPS.ui),
      createTargetGroup(TARGET_GROUPS.console),
      aws(env, ['elbv2', 'create-load-balancer', '--name', LOAD_BALANCER, '--subnets', ...subnetIds, '--security-groups', groupIds[0]!])
        .then((result) => result.LoadBalancers[0].LoadBalancerArn as string),
      aws(env, ['ec2', 'authorize-security-group-ingress', '--group-id', groupIds[0]!, '--protocol', '-1', '--source-group', groupIds[0]!]),
      internetRoute(env, vpcId),
    ]);
    const listener = await aws(env, ['elbv2', 'create-listener', '--load-balancer-arn', loadBalancerArn, '--protocol', 'HTTP', '--port', '80',
      '--default-actions', `Type=forward,TargetGroupArn=${api}`]);
    const listenerArn = listener.Listeners[0].ListenerArn as string;
    await Promise.all([['ui', ui, 10], ['console', consoleGroup, 20]].map(([host, arn, priority]) =>
      aws(env, ['elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', String(priority),
        '--conditions', `Field=host-header,Values=${host}.example.com`, '--actions', `Type=forward,TargetGroupArn=${arn}`])));
    return { vpcId, subnets: subnetIds, securityGroups: groupIds, targetGroups: { api, ui, console: consoleGroup }, loadBalancerArn };
  })();

  const [cluster, executionRoleArn, taskRoleArn, net] = await Promise.all([
    aws(env, ['ecs', 'create-cluster', '--cluster-name', CLUSTER]).then((result) => result.cluster.clusterName as string),
    createRole(EXECUTION_ROLE),
    createRole(TASK_ROLE),
    network,
  ]);

  return { region: REGION, cluster, ...net, executionRoleArn, taskRoleArn };
}

/** A real default VPC's main route table sends 0.0.0.0/0 to its internet gateway; moto's has only the local route. */
async function internetRoute(env: Record<string, string>, vpcId: string): Promise<void> {
  const [gateway, tables] = await Promise.all([
    aws(env, ['ec2', 'create-internet-gateway']),
    aws(env, ['ec2', 'describe-route-tables', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=association.main,Values=true']),
  ]);
  const gatewayId = gateway.InternetGateway.InternetGatewayId as string;
  await aws(env, ['ec2', 'attach-internet-gateway', '--internet-gateway-id', gatewayId, '--vpc-id', vpcId]);
  await aws(env, ['ec2', 'create-route', '--route-table-id', tables.RouteTables[0].RouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', gatewayId]);
}

/** The answers an operator would write for the fixture; `overrides` replace top-level keys. */
export function answersFor(fixture: EcsFixture, overrides: Record<string, unknown> = {}): FixtureAnswers {
  return {
    cloud: 'aws',
    domain: 'example.com',
    imageTag: '2025-09-19',
    registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
    aws: {
      region: fixture.region,
      cluster: fixture.cluster,
      subnets: [...fixture.subnets],
      securityGroups: [...fixture.securityGroups],
      executionRoleArn: fixture.executionRoleArn,
      taskRoleArn: fixture.taskRoleArn,
      targetGroups: { ...fixture.targetGroups },
      assignPublicIp: true,
    },
    ...overrides,
  };
}
