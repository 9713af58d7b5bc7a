// The demo's answers, secrets and wizard choices: a believable AWS account that exists nowhere.
import type { RawAnswers } from '../../answers/load.js';
import type { SecretKey } from '../../answers/schema.js';
import type { AwsDiscovery } from '../aws/discovery.js';

export const DEMO_ACCOUNT = '123456789012';
export const DEMO_VPC = 'vpc-0de30a11ce5b0b001';

const pause = <T>(value: T, ms = 400) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

export const DEMO_AWS = {
  region: 'us-east-1',
  cluster: 'membrane-cluster',
  subnets: ['subnet-0de30a11ce5b0b001', 'subnet-0de30a11ce5b0b002'],
  securityGroups: ['sg-0de30a11ce5b0b001'],
  executionRoleArn: `arn:aws:iam::${DEMO_ACCOUNT}:role/ecsTaskExecutionRole`,
  taskRoleArn: `arn:aws:iam::${DEMO_ACCOUNT}:role/membrane-task-role`,
  targetGroups: {
    api: `arn:aws:elasticloadbalancing:us-east-1:${DEMO_ACCOUNT}:targetgroup/membrane-api/0de30a11ce5b0b01`,
    ui: `arn:aws:elasticloadbalancing:us-east-1:${DEMO_ACCOUNT}:targetgroup/membrane-ui/0de30a11ce5b0b02`,
    console: `arn:aws:elasticloadbalancing:us-east-1:${DEMO_ACCOUNT}:targetgroup/membrane-console/0de30a11ce5b0b03`,
  },
};

export const DEMO_ANSWERS: RawAnswers = {
  cloud: 'aws',
  domain: 'demo.example.com',
  imageTag: '2025-09-19',
  registry: { server: 'harbor.integration.app', username: 'robot$core+demo' },
  aws: DEMO_AWS,
};

/** Placeholders: the demo stores nothing anywhere. */
export const DEMO_SECRETS: Partial<Record<SecretKey, string>> = {
  secret: 'demo-jwt-secret-not-used-anywhere',
  encryptionSecret: 'demo-encryption-secret-not-used',
  mongoUri: 'mongodb+srv://demo:demo@demo-cluster.example.net/membrane',
  redisUri: 'rediss://:demo@demo-redis.example.net:6379',
  registryPassword: 'demo-registry-password',
};

export function demoDiscovery(): AwsDiscovery {
  return {
    defaultRegion: () => pause('us-east-1', 0),
    regions: () => pause(['eu-central-1', 'eu-west-1', 'us-east-1', 'us-east-2', 'us-west-2'].map((r) => ({ value: r, name: r }))),
    clusters: () => pause([{ value: 'membrane-cluster', name: 'membrane-cluster' }, { value: 'staging', name: 'staging' }]),
    subnets: () =>
      pause([
        { value: DEMO_AWS.subnets[0]!, vpc: DEMO_VPC, name: `${DEMO_AWS.subnets[0]} private-a us-east-1a 10.0.1.0/24 private (${DEMO_VPC})` },
        { value: DEMO_AWS.subnets[1]!, vpc: DEMO_VPC, name: `${DEMO_AWS.subnets[1]} private-b us-east-1b 10.0.2.0/24 private (${DEMO_VPC})` },
        { value: 'subnet-0de30a11ce5b0b0aa', vpc: DEMO_VPC, name: `subnet-0de30a11ce5b0b0aa public-a us-east-1a 10.0.101.0/24 public (${DEMO_VPC})` },
      ]),
    securityGroups: () => pause([{ value: DEMO_AWS.securityGroups[0]!, vpc: DEMO_VPC, name: `${DEMO_AWS.securityGroups[0]} membrane-tasks (${DEMO_VPC})` }]),
    taskRoles: () =>
      pause([
        { value: DEMO_AWS.executionRoleArn, name: 'ecsTaskExecutionRole', description: DEMO_AWS.executionRoleArn },
        { value: DEMO_AWS.taskRoleArn, name: 'membrane-task-role', description: DEMO_AWS.taskRoleArn },
      ]),
    targetGroups: () =>
      pause(
        (['api', 'ui', 'console'] as const).map((service) => ({
          value: DEMO_AWS.targetGroups[service],
          vpc: DEMO_VPC,
          name: `membrane-${service} :5000 (${DEMO_VPC})`,
          description: DEMO_AWS.targetGroups[service],
        })),
      ),
  };
}
