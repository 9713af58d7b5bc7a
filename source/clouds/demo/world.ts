// The demo's AWS account before anything is installed: what a platform team typically has ready
// (a cluster, a VPC with private subnets and a NAT, a security group, an ALB with three target
// groups, two roles). It exists nowhere; ids are fixed so every demo looks the same.
import type { RawAnswers } from '../../answers/load.js';
import type { SecretKey } from '../../answers/schema.js';

export const DEMO_ACCOUNT = '123456789012';
export const DEMO_REGION = 'us-east-1';
export const DEMO_VPC = 'vpc-0de30a11ce5b0b001';

const arn = (service: string, resource: string, region = DEMO_REGION) => `arn:aws:${service}:${region}:${DEMO_ACCOUNT}:${resource}`;
const LOAD_BALANCER = arn('elasticloadbalancing', 'loadbalancer/app/membrane-alb/0de30a11ce5b0b00');
const CERTIFICATE = arn('acm', 'certificate/0de30a11-ce5b-4b00-8000-000000000001');
const BALANCER_GROUP = 'sg-0de30a11ce5b0b0aa';
const TASKS_GROUP = 'sg-0de30a11ce5b0b001';

export const DEMO_AWS = {
  region: DEMO_REGION,
  cluster: 'membrane-cluster',
  subnets: ['subnet-0de30a11ce5b0b001', 'subnet-0de30a11ce5b0b002'],
  securityGroups: [TASKS_GROUP],
  taskRoleArn: `arn:aws:iam::${DEMO_ACCOUNT}:role/membrane-task-role`,
  targetGroups: {
    api: arn('elasticloadbalancing', 'targetgroup/membrane-api/0de30a11ce5b0b01'),
    ui: arn('elasticloadbalancing', 'targetgroup/membrane-ui/0de30a11ce5b0b02'),
    console: arn('elasticloadbalancing', 'targetgroup/membrane-console/0de30a11ce5b0b03'),
  },
};

export const DEMO_ANSWERS: RawAnswers = {
  cloud: 'aws',
  domain: 'demo.example.com',
  imageTag: '2025-09-19',
  registry: { server: 'harbor.integration.app', username: 'robot$core+demo' },
  aws: DEMO_AWS,
};

/** Placeholders: the simulated account keeps only their hashes. */
export const DEMO_SECRETS: Partial<Record<SecretKey, string>> = {
  secret: 'demo-jwt-secret-not-used-anywhere',
  encryptionSecret: 'demo-encryption-secret-not-used',
  mongoUri: 'mongodb+srv://demo:demo@demo-cluster.example.net/membrane',
  redisUri: 'rediss://:demo@demo-redis.example.net:6379',
  registryPassword: 'demo-registry-password',
};

const ECS_TASKS_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

/** What never changes in the simulated account: the user's network, cluster and load balancer. */
export const DEMO_NETWORK = {
  regions: ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-east-2', 'us-west-2'],
  clusters: ['membrane-cluster', 'staging'],
  subnets: [
    { SubnetId: DEMO_AWS.subnets[0]!, VpcId: DEMO_VPC, AvailabilityZone: 'us-east-1a', CidrBlock: '10.0.1.0/24', MapPublicIpOnLaunch: false, Tags: [{ Key: 'Name', Value: 'private-a' }] },
    { SubnetId: DEMO_AWS.subnets[1]!, VpcId: DEMO_VPC, AvailabilityZone: 'us-east-1b', CidrBlock: '10.0.2.0/24', MapPublicIpOnLaunch: false, Tags: [{ Key: 'Name', Value: 'private-b' }] },
    { SubnetId: 'subnet-0de30a11ce5b0b0aa', VpcId: DEMO_VPC, AvailabilityZone: 'us-east-1a', CidrBlock: '10.0.101.0/24', MapPublicIpOnLaunch: true, Tags: [{ Key: 'Name', Value: 'public-a' }] },
    { SubnetId: 'subnet-0de30a11ce5b0b0ab', VpcId: DEMO_VPC, AvailabilityZone: 'us-east-1b', CidrBlock: '10.0.102.0/24', MapPublicIpOnLaunch: true, Tags: [{ Key: 'Name', Value: 'public-b' }] },
  ],
  securityGroups: [
    {
      GroupId: TASKS_GROUP, GroupName: 'membrane-tasks', VpcId: DEMO_VPC, Description: 'Membrane tasks',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5000, ToPort: 5000, UserIdGroupPairs: [{ GroupId: TASKS_GROUP }, { GroupId: BALANCER_GROUP }], IpRanges: [] }],
    },
    {
      GroupId: BALANCER_GROUP, GroupName: 'membrane-alb', VpcId: DEMO_VPC, Description: 'HTTPS from anywhere',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    },
  ],
  loadBalancers: [{
    LoadBalancerArn: LOAD_BALANCER,
    LoadBalancerName: 'membrane-alb',
    DNSName: 'membrane-alb-1234567890.us-east-1.elb.amazonaws.com',
    Scheme: 'internet-facing',
    VpcId: DEMO_VPC,
    SecurityGroups: [BALANCER_GROUP],
    AvailabilityZones: [{ ZoneName: 'us-east-1a', SubnetId: 'subnet-0de30a11ce5b0b0aa' }, { ZoneName: 'us-east-1b', SubnetId: 'subnet-0de30a11ce5b0b0ab' }],
  }],
  listeners: [
    { ListenerArn: arn('elasticloadbalancing', 'listener/app/membrane-alb/0de30a11ce5b0b00/0de30a11ce5b0b80'), LoadBalancerArn: LOAD_BALANCER, Protocol: 'HTTP', Port: 80 },
    { ListenerArn: arn('elasticloadbalancing', 'listener/app/membrane-alb/0de30a11ce5b0b00/0de30a11ce5b0b43'), LoadBalancerArn: LOAD_BALANCER, Protocol: 'HTTPS', Port: 443, Certificates: [{ CertificateArn: CERTIFICATE, IsDefault: true }] },
  ],
  /** Private subnets leave through a NAT gateway; public ones (the load balancer's) through the internet gateway. */
  routeTables: [
    { RouteTableId: 'rtb-0de30a11ce5b0b001', VpcId: DEMO_VPC, Associations: [{ Main: true }], Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0de30a11ce5b0b001', State: 'active' }] },
    {
      RouteTableId: 'rtb-0de30a11ce5b0b0aa', VpcId: DEMO_VPC,
      Associations: [{ Main: false, SubnetId: 'subnet-0de30a11ce5b0b0aa' }, { Main: false, SubnetId: 'subnet-0de30a11ce5b0b0ab' }],
      Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0de30a11ce5b0b001', State: 'active' }],
    },
  ],
  /** HTTP redirects to HTTPS, which sends api by default and ui and console by host. */
  rules: {
    '0de30a11ce5b0b80': [{ IsDefault: true, Conditions: [], Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] }],
    '0de30a11ce5b0b43': [
      { IsDefault: false, Priority: '10', Conditions: [{ Field: 'host-header', Values: ['ui.demo.example.com'] }], Actions: [{ Type: 'forward', TargetGroupArn: DEMO_AWS.targetGroups.ui }] },
      { IsDefault: false, Priority: '20', Conditions: [{ Field: 'host-header', Values: ['console.demo.example.com'] }], Actions: [{ Type: 'forward', TargetGroupArn: DEMO_AWS.targetGroups.console }] },
      { IsDefault: true, Priority: 'default', Conditions: [], Actions: [{ Type: 'forward', TargetGroupArn: DEMO_AWS.targetGroups.api }] },
    ],
  } as Record<string, unknown[]>,
  /** Issued for the demo's own domain: a demo at another domain is told which certificate it lacks. */
  certificates: [{ CertificateArn: CERTIFICATE, DomainName: '*.demo.example.com', SubjectAlternativeNames: ['*.demo.example.com'], Status: 'ISSUED', NotAfter: '2027-10-01T00:00:00+00:00' }],
  targetGroups: (['api', 'ui', 'console'] as const).map((service) => ({
    TargetGroupArn: DEMO_AWS.targetGroups[service],
    TargetGroupName: `membrane-${service}`,
    Protocol: 'HTTP',
    Port: 5000,
    TargetType: 'ip',
    VpcId: DEMO_VPC,
    // The guide's health check, as a user who followed it has it.
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckPath: '/',
    HealthCheckIntervalSeconds: 30,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 2,
    UnhealthyThresholdCount: 3,
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: [LOAD_BALANCER],
  })),
};

export interface DemoRole {
  RoleName: string;
  Arn: string;
  AssumeRolePolicyDocument: unknown;
  Description?: string;
  Tags: { Key: string; Value: string }[];
  inline: Record<string, unknown>;
  attached: string[];
}

/** The user's own roles; the installer's are added to the account as it makes them. */
export function demoRoles(): Record<string, DemoRole> {
  const role = (name: string, inline: Record<string, unknown>, attached: string[] = []): DemoRole => ({
    RoleName: name, Arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/${name}`, AssumeRolePolicyDocument: ECS_TASKS_TRUST, Tags: [], inline, attached,
  });
  const ecsExec = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssmmessages:*', Resource: '*' }] };
  return {
    ecsTaskExecutionRole: role('ecsTaskExecutionRole', {}, [EXECUTION_POLICY]),
    'membrane-task-role': role('membrane-task-role', { 'membrane-s3': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::membrane-*' }] }, 'ecs-exec': ecsExec }),
  };
}

export const EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';
