// The wizard's AWS questions: choices from the account where it has them, typed input otherwise.
import { awsSchema } from '../../answers/schema.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import type { Choice } from '../discovery.js';
import type { AwsDiscovery } from './discovery.js';
import { nameFits, type QuestionKit } from '../questions.js';

export async function askAws(kit: QuestionKit, discovery: AwsDiscovery): Promise<void> {
  const { prompts: ask, say, needs, suggested, choose, validateWith } = kit;
  const shape = awsSchema.shape;
  if (needs(['aws', 'region'], shape.region) && !suggested(['aws', 'region'])) {
    const region = await discovery.defaultRegion().catch(() => undefined);
    if (region) kit.set(['aws', 'region'], region);
  }
  await choose(['aws', 'region'], shape.region, 'AWS region', () => discovery.regions());
  const region = String(kit.get(['aws', 'region']));

  // Each public service needs its own group: one already chosen is neither offered nor accepted again.
  const before = (index: number) => PUBLIC_SERVICES.slice(0, index);
  const chosenBy = (arn: unknown, index: number) => before(index).find((other) => kit.get(['aws', 'targetGroups', other]) === arn);
  const groupSchemas = PUBLIC_SERVICES.map((service, index) =>
    shape.targetGroups.shape[service].refine((arn) => !chosenBy(arn, index), { error: (issue) => `is already the target group of ${chosenBy(issue.input, index)}` }));

  // The lookups the remaining questions need start together, while the first one is answered;
  // nothing is looked up for an answer already given.
  const need = {
    cluster: needs(['aws', 'cluster'], shape.cluster),
    subnets: needs(['aws', 'subnets'], shape.subnets),
    groups: needs(['aws', 'securityGroups'], shape.securityGroups),
    roles: needs(['aws', 'executionRoleArn'], shape.executionRoleArn) || needs(['aws', 'taskRoleArn'], shape.taskRoleArn),
    targetGroups: PUBLIC_SERVICES.some((service, index) => needs(['aws', 'targetGroups', service], groupSchemas[index]!)),
  };
  const lookup = <T>(wanted: boolean, start: () => Promise<T[]>): Promise<T[]> => (wanted ? start().catch(() => []) : Promise.resolve([]));
  if (Object.values(need).some(Boolean)) say(`  Looking up clusters, subnets, security groups, roles and target groups in ${region}…`);
  const clusters = lookup(need.cluster, () => discovery.clusters(region));
  // The subnets also tell the VPC that security groups and target groups are filtered by.
  const subnets = lookup(need.subnets || need.groups || need.targetGroups, () => discovery.subnets(region));
  const groups = lookup(need.groups, () => discovery.securityGroups(region));
  const roles = lookup(need.roles, () => discovery.taskRoles());
  const targetGroups = lookup(need.targetGroups, () => discovery.targetGroups(region));

  await choose(['aws', 'cluster'], shape.cluster, 'ECS cluster', () => clusters);

  if (needs(['aws', 'subnets'], shape.subnets)) {
    const found = await subnets;
    const given = suggested(['aws', 'subnets']);
    if (found.length) {
      const chosen = await ask.checkbox({
        message: 'Subnets for the tasks (space to select; private subnets with a NAT gateway are usual)',
        choices: found.map((s) => ({ ...s, checked: Array.isArray(given) && given.includes(s.value) })),
        pageSize: 12,
        validate: (items) => {
          if (items.length === 0) return 'Select at least one subnet.';
          const vpcs = new Set(items.map((item) => found.find((s) => s.value === item.value)?.vpc));
          return vpcs.size === 1 || 'Select subnets of one VPC.';
        },
      });
      kit.set(['aws', 'subnets'], chosen);
    } else {
      const typed = await ask.input({ message: 'Subnet ids (comma-separated)', validate: (value) => validateWith(shape.subnets)(splitList(value)) });
      kit.set(['aws', 'subnets'], splitList(typed));
    }
  }
  const chosenSubnets = (await subnets).filter((s) => (kit.get(['aws', 'subnets']) as string[]).includes(s.value));
  const vpc = chosenSubnets[0]?.vpc;
  // Tasks in public subnets reach the registry only with a public IP; preflight checks the route tables either way.
  if (kit.get(['aws', 'assignPublicIp']) === undefined && chosenSubnets.length && chosenSubnets.every((s) => s.public)) {
    kit.set(['aws', 'assignPublicIp'], true);
    say('  These subnets are public: the tasks get a public IP to reach the registry (aws.assignPublicIp).');
  }

  if (needs(['aws', 'securityGroups'], shape.securityGroups)) {
    const found = (await groups).filter((g) => !vpc || g.vpc === vpc);
    if (found.length) {
      const chosen = await ask.checkbox({
        message: 'Security groups (must allow the load balancer to reach port 5000, and egress to MongoDB, Redis and the registry)',
        choices: found.map((g) => ({ ...g, checked: (suggested(['aws', 'securityGroups']) as string[] | undefined)?.includes(g.value) ?? false })),
        pageSize: 12,
        validate: (items) => items.length > 0 || 'Select at least one security group.',
      });
      kit.set(['aws', 'securityGroups'], chosen);
    } else {
      const typed = await ask.input({ message: 'Security group ids (comma-separated)', validate: (value) => validateWith(shape.securityGroups)(splitList(value)) });
      kit.set(['aws', 'securityGroups'], splitList(typed));
    }
  }

  // The execution role is optional (the installer makes one for the deployment): offered while the roles are being chosen.
  // Enter keeps "Create one" unless the answers name a role: an existing one gets read access to these secrets for every
  // task that uses it. A role named for execution is one key down, ahead of task roles, which do not belong here.
  if (needs(['aws', 'taskRoleArn'], shape.taskRoleArn)) {
    const found = await roles;
    const CREATE = '';
    const forExecution = (role: Choice) => nameFits(roleName(role.value), 'execution');
    const chosen = await ask.select({
      message: 'Task execution role (pulls images, reads secrets)',
      choices: [{ value: CREATE, name: 'Create one for this deployment alone (recommended)', description: 'Only these services can then read its secrets' },
        ...[...found].sort((a, b) => forExecution(b) - forExecution(a))],
      default: String(suggested(['aws', 'executionRoleArn']) ?? CREATE),
      pageSize: 12,
    });
    kit.set(['aws', 'executionRoleArn'], chosen === CREATE ? undefined : chosen);
  }
  // ecsTaskExecutionRole has "task" in its name too: a role for execution is never the task role's default.
  await choose(['aws', 'taskRoleArn'], shape.taskRoleArn, 'Task role (what the engine may do, e.g. S3)', () => roles, (role) =>
    role.value === kit.get(['aws', 'executionRoleArn']) || nameFits(roleName(role.value), 'execution') ? 0 : nameFits(roleName(role.value), 'task'));

  const ipGroups = targetGroups.then((found) => found.filter((group) => !vpc || group.vpc === vpc));
  for (const [index, service] of PUBLIC_SERVICES.entries()) {
    await choose(['aws', 'targetGroups', service], groupSchemas[index]!, `Target group for ${service} (type ip, port 5000)`,
      () => ipGroups.then((found) => found.filter((group) => !chosenBy(group.value, index))),
      (group) => nameFits(targetGroupName(group.value), service));
  }
}

/** arn:…:role/PATH/NAME */
const roleName = (arn: string) => arn.split('/').pop()!;
/** arn:…:targetgroup/NAME/ID */
const targetGroupName = (arn: string) => arn.split('/')[1] ?? arn;

function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}
