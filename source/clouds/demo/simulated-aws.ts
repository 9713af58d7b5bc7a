// The demo's AWS: answers the aws commands the real AWS adapter makes, as the aws CLI would
// (JSON on stdout, "An error occurred (Code)…" on stderr), from an account kept in a JSON file
// in the deployment's state directory. So `resume --demo` continues what a failed or stopped
// demo made, and `troubleshoot --demo` looks at it. It spawns nothing and contacts nothing.
// Secret values are never written down: the file keeps their hashes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Spawn, SpawnResult } from '../../exec/runner.js';
import { SERVICE_IDS, serviceSpec, type ServiceId } from '../../membrane/services.js';
import { DEMO_ACCOUNT, DEMO_NETWORK, DEMO_REGION, demoRoles, EXECUTION_POLICY, type DemoRole } from './world.js';

export interface SimulationOptions {
  /** Where the simulated account is kept between runs. */
  file: string;
  /**
   * Deployments started in this run of this service fail (an image that cannot be pulled), unless
   * the account ran their image healthy before: so a failed upgrade's rollback succeeds, as it would.
   */
  failService?: ServiceId;
  /** Multiplies every delay: 1 is a believable pace, tests go faster. An account keeps the pace it was made with. */
  speed: number;
  now: () => number;
  /** The demo's own made-up secret values (as stored): a later run recognises them by their hash, so it sees them unchanged. */
  placeholders: readonly string[];
}

interface Deployment {
  id: string;
  taskDefinition: string;
  startedAt: number;
  failing: boolean;
  /** The revision that ran before, which the circuit breaker rolls back to. */
  previous?: string;
}

interface Service {
  serviceName: string;
  createdAt: number;
  desiredCount: number;
  enableExecuteCommand: boolean;
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[];
  healthCheckGracePeriodSeconds?: number;
  deployment: Deployment;
}

export interface Simulation {
  spawn: Spawn;
  /** The account's pace: the one it was made with, so a resumed demo's rollouts keep their timing. */
  speed: number;
}

interface Account {
  version: 1;
  speed: number;
  secrets: Record<string, { ARN: string; Name: string; valueHash: string; versions: number; deletedDate?: number }>;
  logGroups: Record<string, { retentionInDays?: number; creationTime: number }>;
  namespaces: Record<string, { Id: string; Arn: string; Name: string; vpc: string }>;
  registries: Record<string, { Id: string; Arn: string; Name: string; namespaceId: string }>;
  roles: Record<string, DemoRole>;
  taskDefinitions: Record<string, Record<string, unknown>[]>;
  services: Record<string, Service>;
  /** Application Auto Scaling, by resource id (service/CLUSTER/NAME); absent in demo files of earlier versions. */
  scalableTargets?: Record<string, { MinCapacity: number; MaxCapacity: number; policies: Record<string, { PolicyType: string; TargetTrackingScalingPolicyConfiguration: unknown }> }>;
  /** "SERVICE IMAGE" of each image a service ran healthy: --demo-fail spares them. */
  healthyRuns?: string[];
}

/** How long each service takes from its deployment to steady state, at speed 1. */
const ROLLOUT_MS: Record<ServiceId, number> = {
  'custom-code-runner': 10_000,
  orchestrator: 12_000,
  // Deliberately slow: a newcomer sees one service lag behind its wave.
  'queued-worker': 30_000,
  'instant-worker': 9_000,
  api: 14_000,
  ui: 8_000,
  console: 9_000,
};
/** When a failing deployment's circuit breaker trips, at speed 1. */
const FAIL_AFTER_MS = 5_000;

const hash = (text: string, length = 64) => createHash('sha256').update(text).digest('hex').slice(0, length);
/** Secrets Manager names a version by a UUID-like id; the demo derives it from the secret and its count of versions. */
const versionId = (name: string, version: number) => hash(`${name}/${version}`, 32);
/** A stable fraction in [0, 1), so the same call always takes about as long. */
const fraction = (seed: string) => parseInt(hash(seed, 8), 16) / 0x1_0000_0000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const arn = (service: string, resource: string) => `arn:aws:${service}:${DEMO_REGION}:${DEMO_ACCOUNT}:${resource}`;

class AwsError extends Error {
  constructor(readonly code: string, readonly operation: string, message: string) {
    super(message);
  }
}

/** `--flag a b --other c` as flag -> values; file:// values read as the CLI would. */
async function parseFlags(words: string[]): Promise<Map<string, string[]>> {
  const flags = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const word of words) {
    if (word.startsWith('--')) flags.set(word.slice(2), (current = []));
    else current?.push(word.startsWith('file://') ? await readFile(word.slice('file://'.length), 'utf8') : word);
  }
  return flags;
}

const pascal = (operation: string) => operation.split('-').map((part) => part[0]!.toUpperCase() + part.slice(1)).join('');

export function simulatedAws(options: SimulationOptions): Simulation {
  const account = load(options.file, options.speed);
  const { speed } = account;
  /** Values set in this process, so a re-run in it can compare them; the file has only hashes. */
  const values = new Map<string, string>();
  const save = () => {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    writeFileSync(options.file, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
  };

  const spawn: Spawn = async ({ args }): Promise<SpawnResult> => {
    if (args[0] === '--version') return { exitCode: 0, stdout: 'aws-cli/2.17.0 Python/3.11.9 (simulated for the demo)', stderr: '' };
    if (args[0] === 'configure') return { exitCode: 0, stdout: DEMO_REGION, stderr: '' };
    const [service = '', operation = '', ...rest] = args;
    const flags = await parseFlags(rest);
    const one = (flag: string) => flags.get(flag)?.[0] ?? '';
    const many = (flag: string) => flags.get(flag) ?? [];
    const document = (flag: string) => JSON.parse(one(flag)) as Record<string, any>;
    // A believable pause per call (0.15-0.5 s at speed 1); observing all services is one of them.
    await sleep((150 + fraction(`${service} ${operation}`) * 350) * speed);
    const fail = (code: string, message: string): never => {
      throw new AwsError(code, pascal(operation), message);
    };

    const handlers: Record<string, () => unknown> = {
      'sts get-caller-identity': () => ({ Account: DEMO_ACCOUNT, Arn: `arn:aws:iam::${DEMO_ACCOUNT}:user/demo`, UserId: 'AIDADEMO' }),
      'ec2 describe-regions': () => ({ Regions: DEMO_NETWORK.regions.map((RegionName) => ({ RegionName })) }),
      'ec2 describe-subnets': () => ({ Subnets: pick(DEMO_NETWORK.subnets, 'SubnetId', many('subnet-ids'), (id) => fail('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`)) }),
      'ec2 describe-security-groups': () => ({
        SecurityGroups: pick(DEMO_NETWORK.securityGroups, 'GroupId', many('group-ids'), (id) => fail('InvalidGroup.NotFound', `The security group '${id}' does not exist`)),
      }),
      'elbv2 describe-target-groups': () => ({
        TargetGroups: pick(DEMO_NETWORK.targetGroups, 'TargetGroupArn', many('target-group-arns'), (id) => fail('TargetGroupNotFound', `One or more target groups not found: ${id}`)),
      }),
      'elbv2 describe-load-balancers': () => ({
        LoadBalancers: pick(DEMO_NETWORK.loadBalancers, 'LoadBalancerArn', many('load-balancer-arns'), () => fail('LoadBalancerNotFound', 'One or more load balancers not found')),
      }),
      'elbv2 describe-listeners': () => ({ Listeners: DEMO_NETWORK.listeners.filter((l) => l.LoadBalancerArn === one('load-balancer-arn')) }),
      'ec2 describe-route-tables': () => ({ RouteTables: DEMO_NETWORK.routeTables }),
      'elbv2 describe-rules': () => ({ Rules: DEMO_NETWORK.rules[one('listener-arn').split('/').pop()!] ?? fail('ListenerNotFound', 'One or more listeners not found') }),
      'elbv2 describe-listener-certificates': () => ({
        Certificates: (DEMO_NETWORK.listeners.find((l) => l.ListenerArn === one('listener-arn')) ?? fail('ListenerNotFound', 'One or more listeners not found')).Certificates ?? [],
      }),
      'acm describe-certificate': () => ({
        Certificate: DEMO_NETWORK.certificates.find((c) => c.CertificateArn === one('certificate-arn')) ?? fail('ResourceNotFoundException', `Could not find certificate ${one('certificate-arn')}.`),
      }),

      'ecs list-clusters': () => ({ clusterArns: DEMO_NETWORK.clusters.map((name) => arn('ecs', `cluster/${name}`)) }),
      'ecs describe-clusters': () => ({
        clusters: many('clusters').filter((name) => DEMO_NETWORK.clusters.includes(name)).map((clusterName) => ({
          clusterName, status: 'ACTIVE', runningTasksCount: Object.values(account.services).reduce((sum, s) => sum + observed(s).runningCount, 0),
        })),
        failures: many('clusters').filter((name) => !DEMO_NETWORK.clusters.includes(name)).map((name) => ({ arn: arn('ecs', `cluster/${name}`), reason: 'MISSING' })),
      }),
      'ecs register-task-definition': () => {
        const input = document('cli-input-json');
        const family = String(input.family);
        const revisions = (account.taskDefinitions[family] ??= []);
        const { tags = [], ...definition } = input;
        const registered = { ...definition, taskDefinitionArn: arn('ecs', `task-definition/${family}:${revisions.length + 1}`), revision: revisions.length + 1, status: 'ACTIVE', tags };
        revisions.push(registered);
        save();
        return { taskDefinition: withoutTags(registered), tags };
      },
      'ecs describe-task-definition': () => {
        // A family, family:revision, or the revision's whole ARN, as AWS takes them.
        const [family, revision] = one('task-definition').split('/').pop()!.split(':');
        const revisions = account.taskDefinitions[family!] ?? [];
        const found = revision ? revisions[Number(revision) - 1] : revisions.at(-1);
        if (!found) return fail('ClientException', 'Unable to describe task definition.');
        return { taskDefinition: withoutTags(found), ...(many('include').includes('TAGS') ? { tags: found.tags } : {}) };
      },
      'ecs create-service': () => {
        const input = document('cli-input-json');
        const name = String(input.serviceName);
        if (account.services[name]) return fail('InvalidParameterException', 'Creation of service was not idempotent.');
        requireCluster(String(input.cluster));
        account.services[name] = {
          serviceName: name,
          createdAt: options.now(),
          desiredCount: input.desiredCount,
          enableExecuteCommand: input.enableExecuteCommand === true,
          loadBalancers: input.loadBalancers ?? [],
          healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
          deployment: deployment(name, input.taskDefinition),
        };
        save();
        return { service: described(account.services[name]!) };
      },
      'ecs update-service': () => {
        const input = document('cli-input-json');
        const service = account.services[String(input.service)] ?? fail('ServiceNotFoundException', 'Service not found.');
        const running = observed(service).taskDefinition;
        if (input.taskDefinition !== running || input.forceNewDeployment) {
          const steady = observed(service).healthy || observed(service).settledBack;
          service.deployment = { ...deployment(service.serviceName, input.taskDefinition), ...(steady ? { previous: running } : {}) };
        }
        service.desiredCount = input.desiredCount ?? service.desiredCount;
        service.enableExecuteCommand = input.enableExecuteCommand ?? service.enableExecuteCommand;
        save();
        return { service: described(service) };
      },
      'ecs describe-services': () => {
        requireCluster(one('cluster'));
        const names = many('services');
        return {
          services: names.flatMap((name) => (account.services[name] ? [described(account.services[name]!)] : [])),
          failures: names.filter((name) => !account.services[name]).map((name) => ({ arn: arn('ecs', `service/${one('cluster')}/${name}`), reason: 'MISSING' })),
        };
      },
      'ecs list-tasks': () => ({
        taskArns: Object.values(account.services)
          .filter((service) => observed(service).failed && one('desired-status') === 'STOPPED')
          .map((service) => arn('ecs', `task/${one('cluster')}/${hash(service.deployment.id, 32)}`)),
      }),
      'ecs describe-tasks': () => ({
        tasks: Object.values(account.services)
          .filter((service) => many('tasks').includes(arn('ecs', `task/${one('cluster')}/${hash(service.deployment.id, 32)}`)))
          .map((service) => ({
            taskArn: arn('ecs', `task/${one('cluster')}/${hash(service.deployment.id, 32)}`),
            group: `service:${service.serviceName}`,
            lastStatus: 'STOPPED',
            stoppedReason: `CannotPullContainerError: pull access denied for ${imageOf(service)}, repository does not exist or may require 'docker login'`,
            containers: [{ name: serviceOf(service.serviceName), reason: 'CannotPullContainerError: pull access denied' }],
          })),
      }),

      'secretsmanager describe-secret': () => {
        const found = secretByIdOrName(one('secret-id')) ?? fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return { ARN: found.ARN, Name: found.Name, VersionIdsToStages: { [versionId(found.Name, found.versions)]: ['AWSCURRENT'] } };
      },
      'secretsmanager create-secret': () => {
        const name = one('name');
        if (account.secrets[name]) return fail('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        const value = one('secret-string');
        account.secrets[name] = { ARN: arn('secretsmanager', `secret:${name}-${hash(name, 6)}`), Name: name, valueHash: hash(value), versions: 1 };
        values.set(name, value);
        save();
        return { ARN: account.secrets[name]!.ARN, Name: name, VersionId: versionId(name, 1) };
      },
      'secretsmanager get-secret-value': () => {
        const found = secretByIdOrName(one('secret-id')) ?? fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        // The only query the adapter asks; a value an earlier process set is known by its hash alone (the demo's own ones are recognised).
        if (one('query') !== '{value:SecretString,version:VersionId}') return fail('ValidationException', `the demo answers only --query '{value:SecretString,version:VersionId}'`);
        const placeholder = options.placeholders.find((value) => hash(value) === found.valueHash);
        return { value: values.get(found.Name) ?? placeholder ?? `(simulated: a value with hash ${found.valueHash.slice(0, 12)}…)`, version: versionId(found.Name, found.versions) };
      },
      'secretsmanager put-secret-value': () => {
        const found = secretByIdOrName(one('secret-id')) ?? fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        // The demo knows an earlier process's value by its hash alone, so the step cannot tell it is the same and
        // writes it again: the same value keeps its version, or every demo re-run would roll the engine.
        if (hash(one('secret-string')) !== found.valueHash) found.versions++;
        found.valueHash = hash(one('secret-string'));
        values.set(found.Name, one('secret-string'));
        save();
        return { ARN: found.ARN, Name: found.Name, VersionId: versionId(found.Name, found.versions) };
      },

      'logs describe-log-groups': () => ({
        logGroups: Object.entries(account.logGroups)
          .filter(([name]) => name.startsWith(one('log-group-name-prefix')))
          .map(([logGroupName, group]) => ({ logGroupName, ...group })),
      }),
      'logs create-log-group': () => {
        const name = one('log-group-name');
        if (account.logGroups[name]) return fail('ResourceAlreadyExistsException', 'The specified log group already exists');
        account.logGroups[name] = { creationTime: options.now() };
        save();
        return {};
      },
      'logs put-retention-policy': () => {
        const group = account.logGroups[one('log-group-name')] ?? fail('ResourceNotFoundException', 'The specified log group does not exist.');
        group.retentionInDays = Number(one('retention-in-days'));
        save();
        return {};
      },
      'logs filter-log-events': () => ({ events: logLines(one('log-stream-name-prefix').replace(/\/$/, '')) }),

      'servicediscovery list-namespaces': () => ({ Namespaces: Object.values(account.namespaces).map(({ vpc: _vpc, ...ns }) => ({ ...ns, Type: 'DNS_PRIVATE' })) }),
      'servicediscovery create-private-dns-namespace': () => {
        const name = one('name');
        if (account.namespaces[name]) return fail('NamespaceAlreadyExists', `Namespace ${name} already exists`);
        const id = `ns-${hash(name, 16)}`;
        account.namespaces[name] = { Id: id, Arn: arn('servicediscovery', `namespace/${id}`), Name: name, vpc: one('vpc') };
        save();
        return { OperationId: `op-${id}` };
      },
      // Namespaces are made at once here; a real one takes a minute (it creates a Route 53 zone).
      'servicediscovery get-operation': () => ({ Operation: { Id: one('operation-id'), Status: 'SUCCESS', Targets: { NAMESPACE: one('operation-id').replace(/^op-/, '') } } }),
      'servicediscovery list-services': () => {
        const namespaceId = /Values=([^,]+)/.exec(one('filters'))?.[1];
        return { Services: Object.values(account.registries).filter((r) => r.namespaceId === namespaceId).map(({ namespaceId: _id, ...r }) => r) };
      },
      'servicediscovery create-service': () => {
        const key = `${one('namespace-id')}/${one('name')}`;
        if (account.registries[key]) return fail('ServiceAlreadyExists', `Service ${one('name')} already exists`);
        const id = `srv-${hash(key, 16)}`;
        account.registries[key] = { Id: id, Arn: arn('servicediscovery', `service/${id}`), Name: one('name'), namespaceId: one('namespace-id') };
        save();
        return { Service: account.registries[key] };
      },

      'iam list-roles': () => ({ Roles: Object.values(account.roles).map(roleView) }),
      'iam get-role': () => ({ Role: roleView(role()) }),
      'iam create-role': () => {
        const name = one('role-name');
        if (account.roles[name]) return fail('EntityAlreadyExists', `Role with name ${name} already exists.`);
        const tags = many('tags').map((tag) => ({ Key: /Key=([^,]+)/.exec(tag)?.[1] ?? '', Value: /Value=(.+)$/.exec(tag)?.[1] ?? '' }));
        account.roles[name] = { RoleName: name, Arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/${name}`, AssumeRolePolicyDocument: document('assume-role-policy-document'), Description: one('description'), Tags: tags, inline: {}, attached: [] };
        save();
        return { Role: roleView(account.roles[name]!) };
      },
      'iam list-role-policies': () => ({ PolicyNames: Object.keys(role().inline) }),
      'iam get-role-policy': () => {
        const found = role().inline[one('policy-name')] ?? fail('NoSuchEntity', `The role policy with name ${one('policy-name')} cannot be found.`);
        return { RoleName: one('role-name'), PolicyName: one('policy-name'), PolicyDocument: found };
      },
      'iam put-role-policy': () => {
        role().inline[one('policy-name')] = document('policy-document');
        save();
        return {};
      },
      'iam list-attached-role-policies': () => ({ AttachedPolicies: role().attached.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })) }),
      'iam attach-role-policy': () => {
        const found = role();
        if (!found.attached.includes(one('policy-arn'))) found.attached.push(one('policy-arn'));
        save();
        return {};
      },

      // What uninstall reads and removes. Tags are kept on roles and task definitions only; everything else here
      // besides the user's network was made by the installer for this one deployment, so it carries the tag asked for.
      'resourcegroupstaggingapi get-resources': () => {
        const Tags = [{ Key: /Key=([^,]+)/.exec(one('tag-filters'))?.[1] ?? '', Value: /Values=(.+)$/.exec(one('tag-filters'))?.[1] ?? '' }];
        const definitions = Object.values(account.taskDefinitions).flat()
          .filter((d) => (d.tags as { key: string; value: string }[]).some((tag) => tag.key === Tags[0]!.Key && tag.value === Tags[0]!.Value));
        const arns = [
          ...Object.keys(account.services).map((name) => arn('ecs', `service/${name}`)),
          ...definitions.map((d) => String(d.taskDefinitionArn)),
          ...Object.values(account.secrets).map((secret) => secret.ARN),
          ...Object.keys(account.logGroups).map((name) => arn('logs', `log-group:${name}`)),
          ...Object.values(account.namespaces).map((ns) => ns.Arn),
          ...Object.values(account.registries).map((registry) => registry.Arn),
        ];
        return { ResourceTagMappingList: arns.map((ResourceARN) => ({ ResourceARN, Tags })) };
      },
      'ecs list-task-definitions': () => ({
        taskDefinitionArns: Object.values(account.taskDefinitions).flat().filter((d) => d.status === (one('status') || 'ACTIVE')).map((d) => d.taskDefinitionArn),
      }),
      'ecs deregister-task-definition': () => {
        const found = Object.values(account.taskDefinitions).flat().find((d) => d.taskDefinitionArn === one('task-definition')) ?? fail('ClientException', 'The specified task definition does not exist.');
        found.status = 'INACTIVE';
        save();
        return { taskDefinition: withoutTags(found) };
      },
      'ecs delete-task-definitions': () => {
        const all = Object.values(account.taskDefinitions).flat();
        const found = many('task-definitions').map((id) => ({ id, definition: all.find((d) => d.taskDefinitionArn === id && d.status === 'INACTIVE') }));
        for (const { definition } of found) if (definition) definition.status = 'DELETE_IN_PROGRESS';
        save();
        return {
          taskDefinitions: found.flatMap(({ definition }) => (definition ? [withoutTags(definition)] : [])),
          failures: found.filter(({ definition }) => !definition).map(({ id }) => ({ arn: id, reason: 'The specified task definition does not exist or is not INACTIVE.' })),
        };
      },
      'application-autoscaling describe-scalable-targets': () => ({
        ScalableTargets: many('resource-ids').flatMap((id) => {
          const target = account.scalableTargets?.[id];
          return target ? [{ ServiceNamespace: 'ecs', ResourceId: id, ScalableDimension: one('scalable-dimension'), MinCapacity: target.MinCapacity, MaxCapacity: target.MaxCapacity }] : [];
        }),
      }),
      'application-autoscaling register-scalable-target': () => {
        const id = one('resource-id');
        const [, cluster = '', name = ''] = id.split('/');
        requireCluster(cluster);
        if (!account.services[name]) fail('ValidationException', `ECS service doesn't exist: ${id}`);
        const [min, max] = [Number(one('min-capacity')), Number(one('max-capacity'))];
        if (min > max) fail('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
        const targets = (account.scalableTargets ??= {});
        targets[id] = { policies: targets[id]?.policies ?? {}, MinCapacity: min, MaxCapacity: max };
        // AWS moves the desired count into the new range at once.
        const service = account.services[name]!;
        service.desiredCount = Math.min(max, Math.max(min, service.desiredCount));
        save();
        return { ScalableTargetARN: arn('application-autoscaling', `scalable-target/${hash(id, 20)}`) };
      },
      'application-autoscaling put-scaling-policy': () => {
        const target = account.scalableTargets?.[one('resource-id')] ?? fail('ObjectNotFoundException', `No scalable target registered for service namespace: ecs, resource ID: ${one('resource-id')}, scalable dimension: ecs:service:DesiredCount`);
        target.policies[one('policy-name')] = { PolicyType: one('policy-type'), TargetTrackingScalingPolicyConfiguration: document('target-tracking-scaling-policy-configuration') };
        save();
        return { PolicyARN: arn('autoscaling', `scalingPolicy:${hash(one('policy-name'), 8)}:resource/ecs/${one('resource-id')}:policyName/${one('policy-name')}`), Alarms: [] };
      },
      'application-autoscaling describe-scaling-policies': () => {
        // One resource's, or (without --resource-id) every one's.
        const wanted = many('policy-names');
        const targets = Object.entries(account.scalableTargets ?? {}).filter(([id]) => !one('resource-id') || id === one('resource-id'));
        return {
          ScalingPolicies: targets.flatMap(([ResourceId, target]) => Object.entries(target.policies).filter(([name]) => !wanted.length || wanted.includes(name))
            .map(([PolicyName, policy]) => ({ PolicyName, ServiceNamespace: 'ecs', ResourceId, ScalableDimension: 'ecs:service:DesiredCount', ...policy }))),
        };
      },
      'application-autoscaling deregister-scalable-target': () => {
        // Its policies go with it, as on AWS.
        if (!account.scalableTargets?.[one('resource-id')]) fail('ObjectNotFoundException', `No scalable target registered for service namespace: ecs, resource ID: ${one('resource-id')}, scalable dimension: ecs:service:DesiredCount`);
        delete account.scalableTargets![one('resource-id')];
        save();
        return {};
      },
      'ecs delete-service': () => {
        requireCluster(one('cluster'));
        const service = account.services[one('service')] ?? fail('ServiceNotFoundException', 'Service not found.');
        if (service.desiredCount > 0 && !flags.has('force')) fail('InvalidParameterException', 'The service cannot be stopped while it is scaled above 0.');
        delete account.services[one('service')];
        save();
        return { service: { serviceName: service.serviceName, status: 'DRAINING' } };
      },
      'iam detach-role-policy': () => {
        const found = role();
        found.attached = found.attached.filter((policy) => policy !== one('policy-arn'));
        save();
        return {};
      },
      'iam delete-role-policy': () => {
        const found = role();
        if (!found.inline[one('policy-name')]) fail('NoSuchEntity', `The role policy with name ${one('policy-name')} cannot be found.`);
        delete found.inline[one('policy-name')];
        save();
        return {};
      },
      'iam delete-role': () => {
        const found = role();
        if (found.attached.length || Object.keys(found.inline).length) fail('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
        delete account.roles[found.RoleName];
        save();
        return {};
      },
      'servicediscovery delete-service': () => {
        const [key] = Object.entries(account.registries).find(([, registry]) => registry.Id === one('id')) ?? fail('ServiceNotFound', `Service not found: ${one('id')}`);
        delete account.registries[key];
        save();
        return {};
      },
      'servicediscovery delete-namespace': () => {
        const namespace = Object.values(account.namespaces).find((ns) => ns.Id === one('id')) ?? fail('NamespaceNotFound', `Namespace not found: ${one('id')}`);
        if (Object.values(account.registries).some((registry) => registry.namespaceId === namespace.Id)) fail('ResourceInUse', 'The namespace contains services.');
        delete account.namespaces[namespace.Name];
        save();
        return { OperationId: `op-${namespace.Id}` };
      },
      'logs delete-log-group': () => {
        if (!account.logGroups[one('log-group-name')]) fail('ResourceNotFoundException', 'The specified log group does not exist.');
        delete account.logGroups[one('log-group-name')];
        save();
        return {};
      },
      'secretsmanager list-secrets': () => {
        // Key=name,Values=A,B: names starting with any of them, as Secrets Manager matches.
        const prefixes = (/Values=(.+)$/.exec(one('filters'))?.[1] ?? '').split(',');
        return {
          SecretList: Object.values(account.secrets)
            .filter((secret) => prefixes.some((prefix) => secret.Name.startsWith(prefix)) && (!secret.deletedDate || flags.has('include-planned-deletion')))
            .map((secret) => ({
              ARN: secret.ARN, Name: secret.Name, SecretVersionsToStages: { [versionId(secret.Name, secret.versions)]: ['AWSCURRENT'] },
              ...(secret.deletedDate ? { DeletedDate: secret.deletedDate / 1000 } : {}),
            })),
        };
      },
      'secretsmanager delete-secret': () => {
        const found = secretByIdOrName(one('secret-id')) ?? fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (found.deletedDate) fail('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
        const days = Number(one('recovery-window-in-days') || 30);
        if (!(days >= 7 && days <= 30)) fail('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
        found.deletedDate = options.now() + days * 86_400_000;
        save();
        return { ARN: found.ARN, Name: found.Name, DeletionDate: found.deletedDate / 1000 };
      },
      'iam get-policy': () => ({ Policy: { Arn: one('policy-arn'), DefaultVersionId: 'v1' } }),
      'iam get-policy-version': () => ({
        PolicyVersion: {
          VersionId: 'v1',
          Document: one('policy-arn') === EXECUTION_POLICY
            ? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }] }
            : { Version: '2012-10-17', Statement: [] },
        },
      }),
    };

    function role(): DemoRole {
      return account.roles[one('role-name')] ?? fail('NoSuchEntity', `The role with name ${one('role-name')} cannot be found.`);
    }
    function requireCluster(name: string): void {
      if (!DEMO_NETWORK.clusters.includes(name)) fail('ClusterNotFoundException', 'Cluster not found.');
    }

    const handler = handlers[`${service} ${operation}`];
    if (!handler) {
      // A command the real adapter makes and this simulation does not know: a bug in the demo.
      return { exitCode: 252, stdout: '', stderr: `the demo's simulated account does not answer "aws ${service} ${operation}"` };
    }
    try {
      return { exitCode: 0, stdout: JSON.stringify(handler(), null, 2), stderr: '' };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return { exitCode: 254, stdout: '', stderr: `\nAn error occurred (${error.code}) when calling the ${error.operation} operation: ${error.message}` };
    }
  };
  return { spawn, speed };

  function deployment(serviceName: string, taskDefinition: string): Deployment {
    const startedAt = options.now();
    const failing = options.failService === serviceOf(serviceName) && !account.healthyRuns?.includes(`${serviceOf(serviceName)} ${imageOfDefinition(taskDefinition)}`);
    return { id: `ecs-svc/${hash(`${serviceName}/${taskDefinition}/${startedAt}`, 19)}`, taskDefinition, startedAt, failing };
  }

  function imageOfDefinition(taskDefinitionArn: string): string {
    const [family, revision] = taskDefinitionArn.split('/').pop()!.split(':');
    const definition = account.taskDefinitions[family!]?.[Number(revision) - 1] as { containerDefinitions?: { image?: string }[] } | undefined;
    return definition?.containerDefinitions?.[0]?.image ?? '';
  }

  function secretByIdOrName(id: string) {
    return Object.values(account.secrets).find((secret) => secret.ARN === id || secret.Name === id);
  }

  /** Where a service's rollout is now, from the time since its deployment started. */
  function observed(service: Service) {
    const { deployment: latest, desiredCount } = service;
    const id = serviceOf(service.serviceName);
    const elapsed = options.now() - latest.startedAt;
    if (latest.failing) {
      const failed = elapsed >= FAIL_AFTER_MS * speed;
      // The circuit breaker goes back to the revision that ran before, when there was one.
      const taskDefinition = failed && latest.previous ? latest.previous : latest.taskDefinition;
      // Once the rollback is steady, ECS lists only its deployment: the failed one had no tasks left.
      const settledBack = Boolean(latest.previous) && elapsed >= 2 * FAIL_AFTER_MS * speed;
      return { failed, healthy: false, settledBack, progress: 0, runningCount: failed && latest.previous ? desiredCount : 0, taskDefinition };
    }
    const progress = Math.min(1, elapsed / (ROLLOUT_MS[id] * speed));
    const run = `${id} ${imageOfDefinition(latest.taskDefinition)}`;
    if (progress >= 1 && !account.healthyRuns?.includes(run)) {
      (account.healthyRuns ??= []).push(run);
      save();
    }
    // Tasks turn RUNNING one after another between 35% and 75% of the rollout.
    let runningCount = 0;
    for (let i = 0; i < desiredCount; i++) if (progress >= 0.35 + (0.4 * i) / Math.max(1, desiredCount - 1)) runningCount++;
    return { failed: false, healthy: progress >= 1, settledBack: false, progress, runningCount, taskDefinition: latest.taskDefinition };
  }

  /** The service as describe-services shows it: deployments, counts and the latest events first. */
  function described(service: Service) {
    const now = observed(service);
    const { deployment: latest, serviceName, desiredCount } = service;
    const tasks = Array.from({ length: desiredCount }, (_, i) => `(task ${hash(`${latest.id}/${i}`, 32)})`).join(' ');
    const events = [`(service ${serviceName}) has started ${desiredCount} tasks: ${tasks}.`];
    const targetGroup = service.loadBalancers[0]?.targetGroupArn;
    if (targetGroup && now.progress >= 0.8) events.unshift(`(service ${serviceName}) registered ${desiredCount} targets in (target-group ${targetGroup})`);
    if (now.healthy || now.settledBack) events.unshift(`(service ${serviceName}) has reached a steady state.`);
    const reason = `ECS deployment circuit breaker: tasks failed to start. CannotPullContainerError: pull access denied for ${imageOf(service)}, repository does not exist or may require 'docker login'`;
    if (now.failed) events.unshift(`(service ${serviceName}) (deployment ${latest.id}) deployment failed: tasks failed to start.`);
    const state = now.failed ? 'FAILED' : now.healthy ? 'COMPLETED' : 'IN_PROGRESS';
    const newest = { id: latest.id, taskDefinition: latest.taskDefinition, desiredCount, runningCount: now.failed ? 0 : now.runningCount, rolloutState: state, ...(now.failed ? { rolloutStateReason: reason } : {}) };
    const rollback = { id: `${latest.id}-rollback`, status: 'PRIMARY', taskDefinition: latest.previous, desiredCount, runningCount: desiredCount, rolloutState: 'COMPLETED' };
    const deployments = now.failed && latest.previous ? [rollback, ...(now.settledBack ? [] : [{ ...newest, status: 'ACTIVE' }])] : [{ ...newest, status: 'PRIMARY' }];
    return {
      serviceName,
      serviceArn: arn('ecs', `service/${serviceName}`),
      status: 'ACTIVE',
      taskDefinition: now.taskDefinition,
      desiredCount,
      runningCount: now.runningCount,
      pendingCount: Math.max(0, desiredCount - now.runningCount),
      launchType: 'FARGATE',
      enableExecuteCommand: service.enableExecuteCommand,
      loadBalancers: service.loadBalancers,
      ...(service.healthCheckGracePeriodSeconds === undefined ? {} : { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }),
      deployments,
      events: events.map((message) => ({ message })),
    };
  }

  function imageOf(service: Service): string {
    return imageOfDefinition(service.deployment.taskDefinition) || serviceSpec(serviceOf(service.serviceName)).image;
  }

  /** What a healthy Membrane container prints on start; a container that never started has none. */
  function logLines(id: string) {
    const service = Object.values(account.services).find((s) => serviceOf(s.serviceName) === id);
    if (!service || observed(service).runningCount === 0) return [];
    const at = service.deployment.startedAt;
    return [`[${id}] starting Membrane ${id}`, `[${id}] connected to MongoDB`, `[${id}] connected to Redis`, `[${id}] listening on port 5000`]
      .map((message, i) => ({ timestamp: at + 1000 * (i + 1), message, logStreamName: `${id}/${id}/${hash(service.deployment.id, 32)}` }));
  }
}

/** The id of the Membrane service an ECS service of any deployment's prefix runs. */
function serviceOf(serviceName: string): ServiceId {
  return SERVICE_IDS.find((id) => serviceName.endsWith(`-${id}`)) ?? 'api';
}

function withoutTags({ tags: _tags, ...definition }: Record<string, unknown>) {
  return definition;
}

function roleView({ inline: _inline, attached: _attached, ...role }: DemoRole) {
  return role;
}

/** The items whose key is among `ids` (all when none are asked for); an unknown id is refused as AWS would. */
function pick<T extends Record<K, string>, K extends keyof T>(items: T[], key: K, ids: string[], unknown: (id: string) => never): T[] {
  for (const id of ids) if (!items.some((item) => item[key] === id)) unknown(id);
  return ids.length ? items.filter((item) => ids.includes(item[key])) : items;
}

function load(file: string, speed: number): Account {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Account;
  return { version: 1, speed, secrets: {}, logGroups: {}, namespaces: {}, registries: {}, roles: demoRoles(), taskDefinitions: {}, services: {} };
}
