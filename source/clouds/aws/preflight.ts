// Read-only checks that everything the answers point at exists and will be accepted by ECS,
// run concurrently. Calls that several checks need are made once and shared.
import type { SettingsFor } from '../../answers/settings.js';
import { SHARED_READ, type Runner } from '../../exec/runner.js';
import { PORT, serviceSpec, type ServiceId } from '../../membrane/services.js';
import { definitions, fail, once, pass, type Check, type FailureFixes } from '../checks.js';
import { runJson } from '../cli-json.js';
import type { PreflightCheckDefinition } from '../types.js';
import { hostedZoneCheck } from './dns.js';
import { healthCheckFindings, type TargetGroupHealthCheck } from './health-checks.js';
import { awsArgv } from './names.js';
import { egressOf, egressWords, type RouteTable } from './routes.js';
import { allowsPort, type IpPermission } from './security-groups.js';

const FIXES: FailureFixes = {
  missingCli: ['the aws CLI is not installed or not on PATH', 'install it: https://aws.amazon.com/cli/'],
  accessDenied: 'log in (aws configure / aws sso login) with a role allowed to read ECS, EC2, IAM and ELB',
  badAnswer: 'fix the answer that names it, in the answers file',
  other: 'check network access to AWS and try again',
};

interface Subnet { SubnetId: string; VpcId: string; CidrBlock: string }
interface TargetGroup extends TargetGroupHealthCheck { TargetType: string; Protocol?: string; Port?: number; VpcId: string; LoadBalancerArns?: string[] }
interface LoadBalancer { LoadBalancerArn: string; LoadBalancerName: string; SecurityGroups?: string[]; AvailabilityZones?: { SubnetId: string }[] }
interface SecurityGroup { GroupId: string; GroupName: string; IpPermissions?: IpPermission[] }
interface Listener { ListenerArn: string; Protocol: string; Port: number }
interface ForwardAction { Type: string; TargetGroupArn?: string; ForwardConfig?: { TargetGroups?: { TargetGroupArn: string }[] } }
interface Rule { IsDefault?: boolean; Conditions?: { Field?: string; Values?: string[]; HostHeaderConfig?: { Values?: string[] } }[]; Actions?: ForwardAction[] }

/** Where a listener rule sends requests: its forward action's target groups (one, or weighted). */
const forwardsTo = (rule: Rule, arn: string) =>
  (rule.Actions ?? []).some((action) => action.Type === 'forward' && (action.TargetGroupArn === arn || action.ForwardConfig?.TargetGroups?.some((g) => g.TargetGroupArn === arn)));
/** An ALB host condition: case-insensitive, `*` any characters, `?` one. */
const hostMatches = (pattern: string, host: string) =>
  new RegExp(`^${pattern.replace(/[.+^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(host);
const hostsOf = (rule: Rule) => (rule.Conditions ?? []).filter((c) => c.Field === 'host-header').flatMap((c) => c.HostHeaderConfig?.Values ?? c.Values ?? []);

export function awsPreflight(settings: SettingsFor<'aws'>, runner: Runner): PreflightCheckDefinition[] {
  const aws = settings.answers.aws;
  const call = (...args: string[]) => runJson(runner, { argv: awsArgv(aws.region, ...args) });
  // The network and the load balancer are the user's: read once, the steps and the closing endpoint check reuse the answers.
  const read = (...args: string[]) => runJson(runner, { argv: awsArgv(aws.region, ...args) }, SHARED_READ);
  const roleName = (arn: string) => arn.split('/').pop()!;
  const fix = (command: string) => `${command} --region ${aws.region}`;

  const subnets = once(async () => ((await read('ec2', 'describe-subnets', '--subnet-ids', ...aws.subnets)).Subnets ?? []) as Subnet[]);
  const targetGroups = once(async () =>
    ((await read('elbv2', 'describe-target-groups', '--target-group-arns', ...new Set(Object.values(aws.targetGroups)))).TargetGroups ?? []) as TargetGroup[]);
  const loadBalancers = once(async () => {
    const arns = [...new Set((await targetGroups()).flatMap((group) => group.LoadBalancerArns ?? []))];
    if (arns.length === 0) return [] as LoadBalancer[];
    return ((await read('elbv2', 'describe-load-balancers', '--load-balancer-arns', ...arns)).LoadBalancers ?? []) as LoadBalancer[];
  });
  // Every listener of those balancers with its rules: which one sends which host to each target group.
  const listenerRules = once(async () => (await Promise.all((await loadBalancers()).map(async (balancer) => {
    const listeners = ((await read('elbv2', 'describe-listeners', '--load-balancer-arn', balancer.LoadBalancerArn)).Listeners ?? []) as Listener[];
    return Promise.all(listeners.map(async (listener) => ({ balancer, listener, rules: ((await read('elbv2', 'describe-rules', '--listener-arn', listener.ListenerArn)).Rules ?? []) as Rule[] })));
  }))).flat());

  /** "membrane-api on membrane-alb: HTTP:80 default, HTTPS:443 host api.example.com", and what no rule sends it. */
  const routing = async (service: string, group: TargetGroup): Promise<string> => {
    const host = `${service}.${settings.answers.domain}`;
    const routes = (await listenerRules()).flatMap(({ balancer, listener, rules }) => rules.filter((rule) => forwardsTo(rule, group.TargetGroupArn)).map((rule) => ({ balancer, listener, rule })));
    const where = routes.map(({ listener, rule }) => `${listener.Protocol}:${listener.Port} ${rule.IsDefault ? 'default' : `host ${hostsOf(rule).join(' ') || '(other conditions)'}`}`);
    const balancers = [...new Set(routes.map(({ balancer }) => balancer.LoadBalancerName))];
    // A rule for another host (or none but the default of another group) means requests for this host go elsewhere.
    const reaches = routes.some(({ rule }) => rule.IsDefault || hostsOf(rule).some((pattern) => hostMatches(pattern, host)));
    return `${service} → ${group.TargetGroupName}${balancers.length ? ` on ${balancers.join(', ')}: ${where.join(', ')}` : ': no listener rule forwards to it'}${routes.length && !reaches ? ` (no rule sends ${host} here)` : ''}`;
  };

  const targetGroupCheck: Check = async () => {
    const [found, tasksSubnets] = await Promise.all([targetGroups(), subnets()]);
    const vpc = tasksSubnets[0]?.VpcId;
    const problems: string[] = [];
    const fixes: string[] = [];
    const differences: string[] = [];
    const matchGuide: string[] = [];
    for (const [service, arn] of Object.entries(aws.targetGroups)) {
      const group = found.find((g) => g.TargetGroupArn === arn);
      if (!group) {
        problems.push(`${service}: ${arn} not found`);
        continue;
      }
      const wrong = [
        group.TargetType !== 'ip' && `target type ${group.TargetType} (Fargate needs ip)`,
        (group.Protocol !== 'HTTP' || group.Port !== PORT) && `${group.Protocol}:${group.Port} (the containers serve HTTP on ${PORT})`,
        vpc && group.VpcId !== vpc && `in ${group.VpcId}, not the subnets' ${vpc}`,
      ].filter((problem): problem is string => Boolean(problem));
      if (wrong.length) {
        problems.push(`${service}: ${group.TargetGroupName} is ${wrong.join(', ')}`);
        fixes.push(fix(`aws elbv2 create-target-group --name ${settings.prefix}-${service} --protocol HTTP --port ${PORT} --target-type ip --vpc-id ${vpc ?? 'VPC'} --health-check-path /`));
      }
      // A health check healthy tasks never pass keeps them out of the load balancer: ECS then replaces them, forever.
      const health = healthCheckFindings(group, serviceSpec(service as ServiceId).healthPath, aws.region);
      if (health.broken.length) {
        problems.push(`${service}: ${group.TargetGroupName} has ${health.broken.join(', ')}`);
        fixes.push(health.fix);
      } else if (health.differs.length) {
        differences.push(`${group.TargetGroupName} has ${health.differs.join(', ')}`);
        matchGuide.push(health.fix);
      }
      // ECS refuses a target group that no load balancer forwards to (CreateService fails mid-install).
      if (!group.LoadBalancerArns?.length) {
        problems.push(`${service}: ${group.TargetGroupName} is not used by any load balancer`);
        fixes.push(fix(`aws elbv2 create-rule --listener-arn <your HTTPS listener> --priority <free number> --conditions Field=host-header,Values=${service}.${settings.answers.domain} --actions Type=forward,TargetGroupArn=${arn}`));
      }
    }
    if (problems.length) return fail(problems.join('; '), fixes.length ? fixes.join('\n') : 'fix aws.targetGroups in the answers file');
    const balancers = await loadBalancers();
    const balancerNames = [...new Set(found.flatMap((g) => g.LoadBalancerArns ?? []))].map((arn) => balancers.find((b) => b.LoadBalancerArn === arn)?.LoadBalancerName ?? arn);
    const routes = await Promise.all(Object.entries(aws.targetGroups).map(([service, arn]) => routing(service, found.find((g) => g.TargetGroupArn === arn)!)));
    const note = differences.length ? `health checks differ from the guide's: ${differences.join('; ')}. They work; to match the guide:\n${matchGuide.join('\n')}` : undefined;
    return pass(`${found.map((g) => `${g.TargetGroupName} (ip, HTTP:${g.Port})`).join(', ')} behind ${balancerNames.join(', ')}`, [{ label: 'Target groups', value: routes.join('; ') }], note);
  };

  // The engine calls the runner on 5000, and the load balancer sends traffic and health checks there.
  const securityGroupCheck: Check = async () => {
    const [groups, tasksSubnets, balancers] = await Promise.all([
      read('ec2', 'describe-security-groups', '--group-ids', ...aws.securityGroups).then((answer) => (answer.SecurityGroups ?? []) as SecurityGroup[]),
      subnets(),
      loadBalancers(),
    ]);
    const permissions = groups.flatMap((group) => group.IpPermissions ?? []);
    const problems: string[] = [];
    const fixes: string[] = [];
    const [target] = aws.securityGroups;
    if (!allowsPort(permissions, PORT, { groups: aws.securityGroups, subnets: tasksSubnets.map((s) => s.CidrBlock) })) {
      problems.push(`the tasks' groups do not allow TCP ${PORT} from each other (the engine calls the code runner)`);
      fixes.push(fix(`aws ec2 authorize-security-group-ingress --group-id ${target} --protocol tcp --port ${PORT} --source-group ${target}`));
    }
    const balancerSubnets = balancers.flatMap((b) => b.AvailabilityZones ?? []).map((zone) => zone.SubnetId);
    const balancerCidrs = balancerSubnets.length
      ? ((await read('ec2', 'describe-subnets', '--subnet-ids', ...new Set(balancerSubnets))).Subnets as Subnet[]).map((s) => s.CidrBlock)
      : [];
    for (const balancer of balancers) {
      const sources = balancer.SecurityGroups ?? [];
      if (!allowsPort(permissions, PORT, { groups: sources, subnets: balancerCidrs })) {
        problems.push(`the tasks' groups do not allow TCP ${PORT} from load balancer ${balancer.LoadBalancerName}`);
        fixes.push(fix(`aws ec2 authorize-security-group-ingress --group-id ${target} --protocol tcp --port ${PORT} --source-group ${sources[0] ?? '<the load balancer\'s group>'}`));
      }
    }
    if (problems.length) return fail(problems.join('; '), fixes.join('\n'));
    return pass(`${groups.map((g) => g.GroupName).join(', ')}: TCP ${PORT} open between tasks${balancers.length ? ' and from the load balancer' : ''}`);
  };

  // Tasks pull from a registry outside AWS: each subnet needs a way out that works with the public-IP answer.
  const subnetCheck: Check = async () => {
    const vpcs = [...new Set((await subnets()).map((s) => s.VpcId))];
    if (vpcs.length > 1) return fail(`the subnets are in different VPCs (${vpcs.join(', ')})`, 'list subnets of one VPC in aws.subnets');
    const tables = ((await read('ec2', 'describe-route-tables', '--filters', `Name=vpc-id,Values=${vpcs[0]}`)).RouteTables ?? []) as RouteTable[];
    const egress = aws.subnets.map((id) => ({ id, egress: egressOf(id, tables) }));
    const registry = settings.answers.registry.server;
    const fromEcr = /\.dkr\.ecr\.[^.]+\.amazonaws\.com(\.cn)?$/.test(registry);
    const stranded = egress.filter(({ egress: e }) => (e.kind === 'public' && !aws.assignPublicIp) || (e.kind === 'isolated' && !fromEcr));
    if (stranded.length) {
      const publicOnes = stranded.filter(({ egress: e }) => e.kind === 'public');
      return fail(
        stranded.map(({ id, egress: e }) => e.kind === 'public'
          ? `${id} is public (${e.via}) but tasks get no public IP there (aws.assignPublicIp is false), so they cannot reach ${registry} to pull images`
          : `${id} has no route to the internet (no 0.0.0.0/0 route), so tasks cannot reach ${registry}, Secrets Manager or CloudWatch Logs`).join('; '),
        [
          ...(publicOnes.length ? ['set aws.assignPublicIp to true in the answers, or list private subnets whose route table sends 0.0.0.0/0 to a NAT gateway'] : []),
          ...(publicOnes.length < stranded.length ? [fix(`aws ec2 create-route --route-table-id <the subnet's route table> --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <a NAT gateway in a public subnet>`)] : []),
        ].join('\n'),
      );
    }
    const ip = aws.assignPublicIp ? 'tasks get a public IP' : 'no public IP';
    const isolated = egress.some(({ egress: e }) => e.kind === 'isolated') ? '; isolated subnets need VPC endpoints for ecr.api, ecr.dkr, s3, secretsmanager and logs' : '';
    // Subnets that leave the same way share their words: "subnet-1, subnet-2 private (nat-1)".
    const ways = new Map<string, string[]>();
    for (const { id, egress: e } of egress) ways.set(egressWords(e), [...(ways.get(egressWords(e)) ?? []), id]);
    const words = [...ways].map(([way, ids]) => `${ids.join(', ')} ${way}`).join('; ');
    // The title names the subnets already: the detail says only how they leave, unless they differ.
    const detail = ways.size === 1 ? `all ${[...ways.keys()][0]}` : words;
    return pass(`in ${vpcs[0]}: ${detail}`, [{ label: 'Subnets', value: `${words} in ${vpcs[0]}; ${ip}${isolated}` }]);
  };

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
    [`Subnets ${aws.subnets.join(', ')}`, subnetCheck],
    [`Security groups ${aws.securityGroups.join(', ')}`, securityGroupCheck],
    // A role the installer makes needs no check; one the answers name must trust ECS tasks.
    ...[aws.executionRoleArn, aws.taskRoleArn].filter((arn) => arn !== undefined).map((arn): [string, Check] => [`IAM role ${roleName(arn)}`, async () => {
      const { Role } = await call('iam', 'get-role', '--role-name', roleName(arn));
      const trust = JSON.stringify(Role.AssumeRolePolicyDocument ?? '');
      if (!trust.includes('ecs-tasks.amazonaws.com')) return fail(`${roleName(arn)} does not trust ecs-tasks.amazonaws.com`, 'add ecs-tasks.amazonaws.com to the role\'s trust policy');
      return pass('trusted by ecs-tasks.amazonaws.com');
    }]),
    ['Target groups for api, ui, console', targetGroupCheck],
    ...(settings.answers.dns ? [hostedZoneCheck(settings, runner, settings.answers.dns.zone)] : []),
  ];

  return definitions(checks, FIXES);
}
