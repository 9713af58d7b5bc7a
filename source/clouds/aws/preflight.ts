// Read-only checks that everything the answers point at exists, run concurrently.
import type { Settings } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { definitions, fail, pass, type Check, type FailureFixes } from '../checks.js';
import { runJson } from '../cli-json.js';
import type { PreflightCheckDefinition } from '../types.js';
import { awsArgv } from './names.js';

const FIXES: FailureFixes = {
  missingCli: ['the aws CLI is not installed or not on PATH', 'install it: https://aws.amazon.com/cli/'],
  accessDenied: 'log in (aws configure / aws sso login) with a role allowed to read ECS, EC2, IAM and ELB',
  badAnswer: 'fix the answer that names it, in the answers file',
  other: 'check network access to AWS and try again',
};

export function awsPreflight(settings: Settings, runner: Runner): PreflightCheckDefinition[] {
  const aws = settings.answers.aws!;
  const call = (...args: string[]) => runJson(runner, { argv: awsArgv(aws.region, ...args) });
  const roleName = (arn: string) => arn.split('/').pop()!;

  const checks: [string, Check][] = [
    ['aws CLI installed', async () => {
      const { stdout, stderr } = await runner.run({ argv: ['aws', '--version'] }, { attempts: 1 });
      return pass((stdout || stderr).split(' ')[0] ?? 'aws');
    }],
    ['Logged in to AWS', async () => {
      const identity = await call('sts', 'get-caller-identity');
      return pass(`account ${identity.Account} as ${identity.Arn}`);
    }],
    [`ECS cluster ${aws.cluster} is ACTIVE`, async () => {
      const { clusters = [] } = await call('ecs', 'describe-clusters', '--clusters', aws.cluster);
      const cluster = clusters[0];
      if (!cluster) return fail(`no cluster named ${aws.cluster} in ${aws.region}`, `create it (aws ecs create-cluster --cluster-name ${aws.cluster}) or fix aws.cluster / aws.region`);
      if (cluster.status !== 'ACTIVE') return fail(`cluster ${aws.cluster} is ${cluster.status}`, 'use an ACTIVE cluster in aws.cluster');
      return pass(`${cluster.runningTasksCount ?? 0} tasks running`);
    }],
    [`Subnets ${aws.subnets.join(', ')}`, async () => {
      const { Subnets = [] } = await call('ec2', 'describe-subnets', '--subnet-ids', ...aws.subnets);
      const vpcs = new Set(Subnets.map((s: { VpcId: string }) => s.VpcId));
      if (vpcs.size > 1) return fail(`the subnets are in different VPCs (${[...vpcs].join(', ')})`, 'list subnets of one VPC in aws.subnets');
      return pass(`in ${[...vpcs][0]}`);
    }],
    [`Security groups ${aws.securityGroups.join(', ')}`, async () => {
      const { SecurityGroups = [] } = await call('ec2', 'describe-security-groups', '--group-ids', ...aws.securityGroups);
      return pass(SecurityGroups.map((g: { GroupName: string }) => g.GroupName).join(', '));
    }],
    ...[aws.executionRoleArn, aws.taskRoleArn].map((arn): [string, Check] => [`IAM role ${roleName(arn)}`, async () => {
      const { Role } = await call('iam', 'get-role', '--role-name', roleName(arn));
      const trust = JSON.stringify(Role.AssumeRolePolicyDocument ?? '');
      if (!trust.includes('ecs-tasks.amazonaws.com')) return fail(`${roleName(arn)} does not trust ecs-tasks.amazonaws.com`, 'add ecs-tasks.amazonaws.com to the role\'s trust policy');
      return pass('trusted by ecs-tasks.amazonaws.com');
    }]),
    ['Target groups for api, ui, console', async () => {
      const arns = Object.values(aws.targetGroups);
      const { TargetGroups = [] } = await call('elbv2', 'describe-target-groups', '--target-group-arns', ...arns);
      const wrongType = TargetGroups.filter((group: { TargetType: string }) => group.TargetType !== 'ip');
      if (wrongType.length) return fail(`${wrongType.map((g: { TargetGroupName: string }) => g.TargetGroupName).join(', ')} must have target type "ip" for Fargate`, 'create target groups with --target-type ip');
      return pass(TargetGroups.map((g: { TargetGroupName: string; Port: number }) => `${g.TargetGroupName}:${g.Port}`).join(', '));
    }],
  ];

  return definitions(checks, FIXES);
}
