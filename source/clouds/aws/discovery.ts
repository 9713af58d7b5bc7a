// Read-only lookups that turn the wizard's AWS questions into choices.
import type { Runner } from '../../exec/runner.js';
import { runJson } from '../cli-json.js';
import type { Choice } from '../discovery.js';
import { awsArgv } from './names.js';

export interface AwsDiscovery {
  /** From AWS_REGION, AWS_DEFAULT_REGION or the CLI's configured region. */
  defaultRegion(): Promise<string | undefined>;
  regions(): Promise<Choice[]>;
  clusters(region: string): Promise<Choice[]>;
  /** `public`: the subnet gives instances a public IP by default (a default VPC's do): the wizard's hint for aws.assignPublicIp. */
  subnets(region: string): Promise<(Choice & { vpc: string; public: boolean })[]>;
  securityGroups(region: string): Promise<(Choice & { vpc: string })[]>;
  /** Roles that ECS tasks may assume. */
  taskRoles(): Promise<Choice[]>;
  /** Target groups of type ip (what Fargate needs). */
  targetGroups(region: string): Promise<(Choice & { vpc: string })[]>;
}

type Tag = { Key: string; Value: string };
const nameTag = (tags?: Tag[]) => tags?.find((tag) => tag.Key === 'Name')?.Value;

export function awsDiscovery(runner: Runner): AwsDiscovery {
  const call = (region: string, ...args: string[]) => runJson(runner, { argv: awsArgv(region, ...args) });
  async function defaultRegion() {
    const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (fromEnv) return fromEnv;
    const { stdout } = await runner.run({ argv: ['aws', 'configure', 'get', 'region'] }, { attempts: 1 }).catch(() => ({ stdout: '' }));
    return stdout.trim() || undefined;
  }
  return {
    defaultRegion,
    async regions() {
      const { Regions = [] } = await call((await defaultRegion()) ?? 'us-east-1', 'ec2', 'describe-regions');
      return Regions.map((r: { RegionName: string }) => ({ value: r.RegionName, name: r.RegionName })).sort((a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value));
    },
    async clusters(region) {
      const { clusterArns = [] } = await call(region, 'ecs', 'list-clusters');
      return clusterArns.map((arn: string) => ({ value: arn.split('/').pop()!, name: arn.split('/').pop()! }));
    },
    async subnets(region) {
      const { Subnets = [] } = await call(region, 'ec2', 'describe-subnets');
      return Subnets.map((s: { SubnetId: string; VpcId: string; AvailabilityZone: string; CidrBlock: string; MapPublicIpOnLaunch: boolean; Tags?: Tag[] }) => ({
        value: s.SubnetId,
        vpc: s.VpcId,
        public: s.MapPublicIpOnLaunch,
        name: `${s.SubnetId}  ${nameTag(s.Tags) ?? ''} ${s.AvailabilityZone} ${s.CidrBlock} ${s.MapPublicIpOnLaunch ? 'public' : 'private'} (${s.VpcId})`.replace(/\s+/g, ' '),
      }));
    },
    async securityGroups(region) {
      const { SecurityGroups = [] } = await call(region, 'ec2', 'describe-security-groups');
      return SecurityGroups.map((g: { GroupId: string; GroupName: string; VpcId: string; Description?: string }) => ({
        value: g.GroupId,
        vpc: g.VpcId,
        name: `${g.GroupId} ${g.GroupName} (${g.VpcId})`,
        description: g.Description,
      }));
    },
    async taskRoles() {
      // IAM is global; any region will do for the call.
      const { Roles = [] } = await call((await defaultRegion()) ?? 'us-east-1', 'iam', 'list-roles');
      return Roles.filter((role: { AssumeRolePolicyDocument?: unknown }) => JSON.stringify(role.AssumeRolePolicyDocument ?? '').includes('ecs-tasks.amazonaws.com')).map(
        (role: { Arn: string; RoleName: string }) => ({ value: role.Arn, name: role.RoleName, description: role.Arn }),
      );
    },
    async targetGroups(region) {
      const { TargetGroups = [] } = await call(region, 'elbv2', 'describe-target-groups');
      return TargetGroups.filter((group: { TargetType: string }) => group.TargetType === 'ip').map(
        (group: { TargetGroupArn: string; TargetGroupName: string; VpcId: string; Port: number }) => ({
          value: group.TargetGroupArn,
          vpc: group.VpcId,
          name: `${group.TargetGroupName} :${group.Port} (${group.VpcId})`,
          description: group.TargetGroupArn,
        }),
      );
    },
  };
}
