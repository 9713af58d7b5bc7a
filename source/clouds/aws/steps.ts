// The AWS install as idempotent steps: each looks before it creates, adopts what already
// matches, updates what differs, and never creates a second copy.
import type { SecretKey, Secrets } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import { awsPartition, SECRET_ENV } from '../../answers/schema.js';
import { requiredSecrets } from '../../membrane/env.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import { shellQuote, type Command, type FileArg, type SecretInput } from '../../exec/command.js';
import { NOT_REPEATABLE, SHARED_READ, type Runner } from '../../exec/runner.js';
import { CliError } from '../../exec/errors.js';
import { findOrNull, runJson } from '../cli-json.js';
import { firstLook, type FirstLook } from '../first-look.js';
import { ECS_EXEC_ACTIONS } from './iam-policies.js';
import { SECRET_STEP_PREFIX, type ActionStep, type Outputs, type StepContext, type StepResult } from '../types.js';
import { createServiceInput, specHash, taskDefinition, updateServiceInput } from './documents.js';
import { awsArgv, awsNames, outputKey, type AwsNames } from './names.js';
import { desiredRange, scalingSteps } from './scaling.js';
import { keepsFailing } from './observe.js';

/** arn:…:task-definition/membrane-api:3 → membrane-api:3, as the console names a revision. */
const revision = (arn: string) => arn.split('/').pop() ?? arn;

const json = (name: string, document: unknown) => ({ prefix: 'file://', name, content: `${JSON.stringify(document, null, 2)}\n` });

/** The value stored for a secret key, and how deploy.sh produces the same value. */
function secretInput(key: SecretKey, settings: SettingsFor<'aws'>, secrets?: Secrets): SecretInput {
  if (key === 'registryPassword') {
    const username = settings.answers.registry.username;
    return {
      value: secrets?.registryPassword === undefined ? undefined : JSON.stringify({ username, password: secrets.registryPassword }),
      shell: `jq -cn --arg username ${shellQuote(username)} --arg password "$${SECRET_ENV.registryPassword}" '{username:$username,password:$password}'`,
    };
  }
  return { value: secrets?.[key], shell: `printf '%s' "$${SECRET_ENV[key]}"` };
}

interface DescribedSecret {
  ARN: string;
  DeletedDate?: unknown;
  VersionIdsToStages?: Record<string, string[]>;
}

/**
 * The five secret steps' first look, in one list-secrets (filtered by their names, which match as
 * prefixes, so only exact names count). Without secretsmanager:ListSecrets each step describes its own.
 */
function secretsLook(settings: SettingsFor<'aws'>, names: AwsNames): FirstLook<DescribedSecret> {
  const wanted = requiredSecrets(settings).map((key) => names.secret(key));
  return firstLook(async (runner) => {
    const { SecretList = [] } = await runJson<{ SecretList?: (Omit<DescribedSecret, 'VersionIdsToStages'> & { Name: string; SecretVersionsToStages?: Record<string, string[]> })[] }>(runner, {
      argv: awsArgv(settings.answers.aws.region, 'secretsmanager', 'list-secrets', '--include-planned-deletion', '--filters', `Key=name,Values=${wanted.join(',')}`),
    });
    return new Map(SecretList.filter((s) => wanted.includes(s.Name)).map((s) => [s.Name, { ARN: s.ARN, DeletedDate: s.DeletedDate, VersionIdsToStages: s.SecretVersionsToStages }]));
  });
}

function secretStep(key: SecretKey, settings: SettingsFor<'aws'>, names: AwsNames, look: FirstLook<DescribedSecret>): ActionStep {
  const region = settings.answers.aws.region;
  const name = names.secret(key);
  const value = (secrets?: Secrets): FileArg => ({ prefix: 'file://', name: SECRET_ENV[key], secret: secretInput(key, settings, secrets) });
  const create = (secrets?: Secrets): Command => ({
    argv: awsArgv(region, 'secretsmanager', 'create-secret', '--name', name, '--secret-string', value(secrets),
      '--description', `Membrane ${SECRET_ENV[key]} for deployment ${settings.name}`, '--tags', `Key=${names.tag.key},Value=${names.tag.value}`),
  });
  return {
    kind: 'action',
    id: `${SECRET_STEP_PREFIX}${key}`,
    title: `Secret ${name}`,
    group: 'prepare',
    preview: (_outputs, secrets) => [create(secrets)],
    async apply({ runner, secrets }): Promise<StepResult> {
      const wanted = value(secrets).secret!.value;
      // Each answer names the version it made or read: the one the task definitions pin.
      const outputs = (arn: string, versionId: string) => ({ [outputKey.secretArn(key)]: arn, [outputKey.secretVersion(key)]: versionId });
      const first = await look(name, runner);
      const existing = first ? first.found : await findOrNull<DescribedSecret>(runner, { argv: awsArgv(region, 'secretsmanager', 'describe-secret', '--secret-id', name) });
      if (!existing) {
        if (wanted === undefined) throw new Error(`${SECRET_ENV[key]} is needed: ${name} is not in Secrets Manager (any more). Set it and run again.`);
        const created = await runJson(runner, { ...create(secrets), change: 'missing' }, NOT_REPEATABLE);
        return { outcome: 'created', outputs: outputs(created.ARN, created.VersionId) };
      }
      // No value given this run: the stored one stays (it was set by an earlier run).
      if (wanted === undefined && !existing.DeletedDate) return { outcome: 'unchanged', outputs: outputs(existing.ARN, currentVersion(existing)) };
      if (wanted === undefined) throw new Error(`${SECRET_ENV[key]} is needed: ${name} is scheduled for deletion. Set it and run again.`);
      if (existing.DeletedDate) {
        await runner.run({ argv: awsArgv(region, 'secretsmanager', 'restore-secret', '--secret-id', existing.ARN), change: 'scheduled for deletion: restored' });
      } else {
        const current = await runJson(runner, { argv: awsArgv(region, 'secretsmanager', 'get-secret-value', '--secret-id', existing.ARN, '--query', '{value:SecretString,version:VersionId}') });
        if (current.value === wanted) return { outcome: 'unchanged', outputs: outputs(existing.ARN, current.version) };
      }
      const put = await runJson(runner, { argv: awsArgv(region, 'secretsmanager', 'put-secret-value', '--secret-id', existing.ARN, '--secret-string', value(secrets)), change: `the stored value is not ${SECRET_ENV[key]}'s` });
      return { outcome: 'updated', outputs: outputs(existing.ARN, put.VersionId) };
    },
  };
}

/** The version labelled AWSCURRENT in describe-secret's answer: what GetSecretValue returns by default. */
function currentVersion(described: { VersionIdsToStages?: Record<string, string[]> }): string {
  return Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] ?? '';
}

function logGroupStep(settings: SettingsFor<'aws'>, names: AwsNames): ActionStep {
  const region = settings.answers.aws.region;
  const RETENTION_DAYS = 30;
  const create: Command = { argv: awsArgv(region, 'logs', 'create-log-group', '--log-group-name', names.logGroup, '--tags', `${names.tag.key}=${names.tag.value}`) };
  const retention: Command = { argv: awsArgv(region, 'logs', 'put-retention-policy', '--log-group-name', names.logGroup, '--retention-in-days', String(RETENTION_DAYS)) };
  return {
    kind: 'action',
    id: 'log-group',
    title: `Log group ${names.logGroup}`,
    group: 'prepare',
    preview: () => [create, retention],
    async apply({ runner }) {
      const found = await runJson(runner, { argv: awsArgv(region, 'logs', 'describe-log-groups', '--log-group-name-prefix', names.logGroup) });
      const existing = found.logGroups?.find((group: { logGroupName: string }) => group.logGroupName === names.logGroup);
      if (existing?.retentionInDays === RETENTION_DAYS) return { outcome: 'unchanged' };
      if (!existing) await runner.run({ ...create, change: 'missing' }, NOT_REPEATABLE);
      // Setting it again is harmless, so this one may be retried.
      await runner.run({ ...retention, change: `retention ${existing?.retentionInDays ?? 'never expires'} → ${RETENTION_DAYS} days` });
      return { outcome: existing ? 'updated' : 'created' };
    },
  };
}

/** A private DNS name (Cloud Map) so the engine reaches the runner without exposing it. */
function runnerDiscoveryStep(settings: SettingsFor<'aws'>, names: AwsNames): ActionStep {
  const aws = settings.answers.aws;
  const region = aws.region;
  const createService = (namespaceId: string): Command => ({
    argv: awsArgv(region, 'servicediscovery', 'create-service', '--name', names.runnerDiscovery, '--namespace-id', namespaceId,
      '--dns-config', 'RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=10}]', '--health-check-custom-config', 'FailureThreshold=1',
      '--tags', `Key=${names.tag.key},Value=${names.tag.value}`),
  });
  const createNamespace = (vpc: string): Command => ({
    argv: awsArgv(region, 'servicediscovery', 'create-private-dns-namespace', '--name', names.namespace, '--vpc', vpc,
      '--tags', `Key=${names.tag.key},Value=${names.tag.value}`),
  });
  return {
    kind: 'action',
    id: 'runner-discovery',
    title: `Private DNS ${names.runnerDiscovery}.${names.namespace}`,
    group: 'prepare',
    preview: (outputs) => [createNamespace('<VPC of the first subnet>'), createService(outputs.get(outputKey.namespaceId))],
    async apply({ runner }) {
      let outcome: StepResult['outcome'] = 'unchanged';
      const namespaces = await runJson(runner, { argv: awsArgv(region, 'servicediscovery', 'list-namespaces') });
      let namespaceId: string | undefined = namespaces.Namespaces?.find((ns: { Name: string; Type: string }) => ns.Name === names.namespace && ns.Type === 'DNS_PRIVATE')?.Id;
      if (!namespaceId) {
        // The same read as preflight's, whose answer it shares.
        const subnets = await runJson(runner, { argv: awsArgv(region, 'ec2', 'describe-subnets', '--subnet-ids', ...aws.subnets) }, SHARED_READ);
        const started = await runJson(runner, createNamespace(subnets.Subnets[0].VpcId), NOT_REPEATABLE);
        namespaceId = await waitForNamespace(runner, region, started.OperationId);
        outcome = 'created';
      }
      const services = await runJson(runner, { argv: awsArgv(region, 'servicediscovery', 'list-services', '--filters', `Name=NAMESPACE_ID,Values=${namespaceId},Condition=EQ`) });
      let registryArn: string | undefined = services.Services?.find((s: { Name: string }) => s.Name === names.runnerDiscovery)?.Arn;
      if (!registryArn) {
        registryArn = (await runJson(runner, createService(namespaceId), NOT_REPEATABLE)).Service.Arn as string;
        outcome = 'created';
      }
      return { outcome, outputs: { [outputKey.namespaceId]: namespaceId, [outputKey.runnerRegistryArn]: registryArn } };
    },
  };
}

async function waitForNamespace(runner: StepContext['runner'], region: string, operationId: string): Promise<string> {
  // Namespace creation is asynchronous (it creates a Route 53 zone): a minute or two at most.
  for (let attempt = 0; attempt < 90; attempt++) {
    const { Operation } = await runJson(runner, { argv: awsArgv(region, 'servicediscovery', 'get-operation', '--operation-id', operationId) });
    if (Operation.Status === 'SUCCESS') return Operation.Targets.NAMESPACE;
    if (Operation.Status === 'FAIL') throw new Error(`Creating the private DNS namespace failed: ${Operation.ErrorMessage ?? Operation.ErrorCode}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  throw new Error(`The private DNS namespace was not ready after 3 minutes (operation ${operationId}); run resume to keep waiting.`);
}

const ECS_TASKS_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** AWS's managed policy for pulling images and writing logs, in the region's partition. */
function managedExecutionPolicy(region: string): string {
  return `arn:${awsPartition(region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`;
}

interface RoleSpec {
  name: string;
  /** Made by the installer (created, tagged, managed policies attached), or the user's, which only gets the inline policy. */
  owned: boolean;
  description: string;
  managedPolicies: string[];
  inlinePolicy: { name: string; document: (outputs: Outputs) => unknown; file: string };
  /** Steps of one group run concurrently (see ActionStep.group). */
  group?: string;
}

/** One IAM role for ECS tasks: looked up, created when it is ours and missing, its policies set as specified. */
function roleStep(id: string, title: string, spec: RoleSpec, settings: SettingsFor<'aws'>, names: AwsNames, outputKeyOfArn: string): ActionStep {
  const { region } = settings.answers.aws;
  const createRole: Command = {
    argv: awsArgv(region, 'iam', 'create-role', '--role-name', spec.name, '--assume-role-policy-document', json(`${id}-trust.json`, ECS_TASKS_TRUST),
      '--description', spec.description, '--tags', `Key=${names.tag.key},Value=${names.tag.value}`),
  };
  const attach = (policy: string): Command => ({ argv: awsArgv(region, 'iam', 'attach-role-policy', '--role-name', spec.name, '--policy-arn', policy) });
  const put = (outputs: Outputs): Command => ({
    argv: awsArgv(region, 'iam', 'put-role-policy', '--role-name', spec.name, '--policy-name', spec.inlinePolicy.name,
      '--policy-document', json(spec.inlinePolicy.file, spec.inlinePolicy.document(outputs))),
  });
  return {
    kind: 'action',
    id,
    title,
    group: spec.group,
    preview: (outputs) => (spec.owned ? [createRole, ...spec.managedPolicies.map(attach), put(outputs)] : [put(outputs)]),
    async apply({ runner, outputs }) {
      let outcome: StepResult['outcome'] = 'unchanged';
      const changed = (what: StepResult['outcome']) => (outcome = outcome === 'unchanged' ? what : outcome);
      const [current, role] = await Promise.all([
        findOrNull(runner, { argv: awsArgv(region, 'iam', 'get-role-policy', '--role-name', spec.name, '--policy-name', spec.inlinePolicy.name) }),
        runJson(runner, { argv: awsArgv(region, 'iam', 'get-role', '--role-name', spec.name) }).catch((error: unknown) => {
          // Only a role of ours may be missing: we create it.
          if (spec.owned && error instanceof CliError && error.kind === 'not-found') return null;
          throw error;
        }),
      ]);
      if (spec.owned && role && !role.Role.Tags?.some((tag: { Key: string; Value: string }) => tag.Key === names.tag.key && tag.Value === names.tag.value)) {
        throw new Error(`IAM role ${spec.name} exists but was not made by this installer for deployment ${settings.name}. Delete it, or deploy under another --name.`);
      }
      const arn: string = role?.Role.Arn ?? (await runJson(runner, createRole, NOT_REPEATABLE)).Role.Arn;
      if (!role) changed('created');
      if (spec.owned) {
        const { AttachedPolicies = [] } = await runJson(runner, { argv: awsArgv(region, 'iam', 'list-attached-role-policies', '--role-name', spec.name) });
        for (const policy of spec.managedPolicies.filter((wanted) => !AttachedPolicies.some((attached: { PolicyArn: string }) => attached.PolicyArn === wanted))) {
          // Attaching an attached policy changes nothing, so this may be retried.
          await runner.run(attach(policy));
          changed('updated');
        }
      }
      if (!current || JSON.stringify(current.PolicyDocument) !== JSON.stringify(spec.inlinePolicy.document(outputs))) {
        await runner.run(put(outputs));
        changed(current ? 'updated' : 'created');
      }
      return { outcome, outputs: { [outputKeyOfArn]: arn } };
    },
  };
}

/**
 * Tasks pull images and read secrets with the execution role. Unless the answers name one, it is a
 * role made for this deployment, so no other task in the account can read these secrets.
 */
function executionRoleStep(settings: SettingsFor<'aws'>, names: AwsNames): ActionStep {
  const aws = settings.answers.aws;
  return roleStep('execution-role', names.executionRoleTitle, {
    name: names.executionRole,
    owned: !aws.executionRoleArn,
    description: `Pulls Membrane images and reads its secrets (deployment ${settings.name})`,
    managedPolicies: [managedExecutionPolicy(aws.region)],
    inlinePolicy: {
      name: names.executionPolicy,
      file: 'execution-role-policy.json',
      document: (outputs) => ({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: requiredSecrets(settings).map((key) => outputs.get(outputKey.secretArn(key))) }],
      }),
    },
  }, settings, names, outputKey.executionRoleArn);
}

/** The code runner (customers' code) and the frontends call no AWS API: their role allows ECS Exec and nothing else. */
function execOnlyRoleStep(settings: SettingsFor<'aws'>, names: AwsNames): ActionStep {
  return roleStep('exec-only-role', `Role ${names.execOnlyRole} (code runner, ui, console: ECS Exec only)`, {
    name: names.execOnlyRole,
    owned: true,
    description: `Membrane code runner, ui and console: ECS Exec only (deployment ${settings.name})`,
    managedPolicies: [],
    group: 'prepare',
    inlinePolicy: {
      name: names.execPolicy,
      file: 'exec-only-role-policy.json',
      document: () => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ECS_EXEC_ACTIONS, Resource: '*' }] }),
    },
  }, settings, names, outputKey.execOnlyRoleArn);
}

function taskDefinitionStep(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames): ActionStep {
  const region = settings.answers.aws.region;
  const register = (outputs: Outputs): Command => ({
    argv: awsArgv(region, 'ecs', 'register-task-definition', '--cli-input-json', json(`task-definitions/${spec.id}.json`, taskDefinition(spec, settings, names, outputs))),
  });
  return {
    kind: 'action',
    id: `task-definition:${spec.id}`,
    title: `Task definition ${names.family(spec.id)}`,
    group: 'task-definitions',
    // A change registers a new revision: a new ARN for the service that runs it.
    renewsOutputs: true,
    preview: (outputs) => [register(outputs)],
    artifacts: (outputs) => [{ path: `task-definitions/${spec.id}.json`, content: `${JSON.stringify(taskDefinition(spec, settings, names, outputs), null, 2)}\n` }],
    async apply({ runner, outputs }) {
      const wanted = specHash(taskDefinition(spec, settings, names, outputs));
      const describe = (which: string) => findOrNull<DescribedTaskDefinition>(runner, { argv: awsArgv(region, 'ecs', 'describe-task-definition', '--task-definition', which, '--include', 'TAGS') });
      const matches = (found: DescribedTaskDefinition | null) => found?.taskDefinition.status === 'ACTIVE' && found.tags?.some((tag) => tag.value === wanted) === true;
      const latest = await describe(names.family(spec.id));
      const key = outputKey.taskDefinitionArn(spec.id);
      if (latest && matches(latest)) return { outcome: 'unchanged', outputs: { [key]: latest.taskDefinition.taskDefinitionArn } };
      // The service may run an older revision that matches: after a failed upgrade, the one it was rolled back to.
      const running = latest ? await runningRevision(runner, settings, names, spec) : undefined;
      if (running && running !== latest?.taskDefinition.taskDefinitionArn) {
        const current = await describe(running);
        if (current && matches(current)) return { outcome: 'unchanged', outputs: { [key]: current.taskDefinition.taskDefinitionArn } };
      }
      const change = latest?.taskDefinition ? `${revision(latest.taskDefinition.taskDefinitionArn)} differs from the answers: a new revision` : 'none registered yet';
      const registered = await runJson(runner, { ...register(outputs), change }, NOT_REPEATABLE);
      return { outcome: latest ? 'updated' : 'created', outputs: { [key]: registered.taskDefinition.taskDefinitionArn } };
    },
  };
}

interface DescribedTaskDefinition {
  taskDefinition: { status: string; taskDefinitionArn: string };
  tags?: { key: string; value: string }[];
}

/** The task definition the service's deployments run now, if the service exists. */
async function runningRevision(runner: Runner, settings: SettingsFor<'aws'>, names: AwsNames, spec: ServiceSpec): Promise<string | undefined> {
  const { region, cluster } = settings.answers.aws;
  const found = await runJson(runner, { argv: awsArgv(region, 'ecs', 'describe-services', '--cluster', cluster, '--services', names.service(spec.id)) });
  return found.services?.find((s: { status: string }) => s.status !== 'INACTIVE')?.taskDefinition;
}

interface DescribedService {
  status: string;
  taskDefinition: string;
  desiredCount: number;
  enableExecuteCommand?: boolean;
  deployments?: { status: string; rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED'; failedTasks?: number }[];
}

/** A wave's service steps look first with one describe-services for the whole wave (it takes up to 10). */
function waveLook(wave: number, settings: SettingsFor<'aws'>, names: AwsNames): FirstLook<DescribedService> {
  const { region, cluster } = settings.answers.aws;
  const wanted = SERVICES.filter((spec) => spec.wave === wave).map((spec) => names.service(spec.id));
  return firstLook(async (runner) => {
    const { services = [] } = await runJson<{ services?: (DescribedService & { serviceName: string })[] }>(runner, { argv: awsArgv(region, 'ecs', 'describe-services', '--cluster', cluster, '--services', ...wanted) });
    return new Map(services.filter((service) => service.status !== 'INACTIVE').map((service) => [service.serviceName, service]));
  });
}

function serviceStep(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames, look: FirstLook<DescribedService>): ActionStep {
  const aws = settings.answers.aws;
  const create = (outputs: Outputs): Command => ({
    argv: awsArgv(aws.region, 'ecs', 'create-service', '--cli-input-json', json(`services/${spec.id}.json`, createServiceInput(spec, settings, names, outputs))),
  });
  const update = (outputs: Outputs, currentCount: number, forceNewDeployment = false): Command => ({
    argv: awsArgv(aws.region, 'ecs', 'update-service', '--cli-input-json',
      json(`services/${spec.id}.update.json`, { ...updateServiceInput(spec, settings, names, outputs, currentCount), ...(forceNewDeployment ? { forceNewDeployment } : {}) })),
  });
  return {
    kind: 'action',
    id: `service:${spec.id}`,
    title: `ECS service ${names.service(spec.id)}`,
    deploys: spec.id,
    // The services of a wave are created together, as on the other clouds.
    group: `wave-${spec.wave}`,
    preview: (outputs) => [create(outputs)],
    artifacts: (outputs) => [{ path: `services/${spec.id}.json`, content: `${JSON.stringify(createServiceInput(spec, settings, names, outputs), null, 2)}\n` }],
    async apply({ runner, outputs }) {
      const first = await look(names.service(spec.id), runner);
      const existing = first ? first.found : (await runJson<{ services?: DescribedService[] }>(runner, { argv: awsArgv(aws.region, 'ecs', 'describe-services', '--cluster', aws.cluster, '--services', names.service(spec.id)) }))
        .services?.find((service) => service.status !== 'INACTIVE');
      const deployed = { [outputKey.deployedRevision(spec.id)]: outputs.get(outputKey.taskDefinitionArn(spec.id)) };
      if (!existing) {
        await runner.run({ ...create(outputs), change: 'missing' }, NOT_REPEATABLE);
        return { outcome: 'created', outputs: deployed };
      }
      if (existing.status === 'DRAINING') throw new Error(`${names.service(spec.id)} is still being deleted (DRAINING); wait a few minutes, then run resume.`);
      const wanted = updateServiceInput(spec, settings, names, outputs, existing.desiredCount);
      const range = desiredRange(spec, settings);
      // A FAILED deployment stays FAILED: once its cause is fixed, only a new deployment tries again.
      // One whose tasks kept failing starts over too, counting its failures from zero.
      const primary = existing.deployments?.find((d: { status: string }) => d.status === 'PRIMARY');
      const failed = primary?.rolloutState === 'FAILED' || (primary !== undefined && keepsFailing(primary));
      const changes = [
        failed && `its last deployment ${primary.rolloutState === 'FAILED' ? 'FAILED' : 'kept failing'}: a new one`,
        existing.taskDefinition !== wanted.taskDefinition && `task definition ${revision(existing.taskDefinition)} → ${revision(wanted.taskDefinition)}`,
        existing.desiredCount !== wanted.desiredCount && `desired count ${existing.desiredCount} → ${wanted.desiredCount}${range.max > range.min ? ` (outside the scaling range ${range.min}–${range.max})` : ''}`,
        existing.enableExecuteCommand !== wanted.enableExecuteCommand && `ECS Exec ${existing.enableExecuteCommand ? 'on' : 'off'} → ${wanted.enableExecuteCommand ? 'on' : 'off'}`,
      ].filter((change): change is string => Boolean(change));
      if (changes.length === 0) return { outcome: 'unchanged', outputs: deployed };
      await runner.run({ ...update(outputs, existing.desiredCount, failed), change: changes.join(', ') });
      return { outcome: 'updated', outputs: deployed };
    },
  };
}

export function awsSteps(settings: SettingsFor<'aws'>): ActionStep[] {
  const names = awsNames(settings);
  const secrets = secretsLook(settings, names);
  const waves = new Map(SERVICES.map((spec) => [spec.wave, waveLook(spec.wave, settings, names)]));
  return [
    ...requiredSecrets(settings).map((key) => secretStep(key, settings, names, secrets)),
    logGroupStep(settings, names),
    runnerDiscoveryStep(settings, names),
    execOnlyRoleStep(settings, names),
    executionRoleStep(settings, names),
    ...SERVICES.map((spec) => taskDefinitionStep(spec, settings, names)),
    ...SERVICES.map((spec) => serviceStep(spec, settings, names, waves.get(spec.wave)!)),
    // After the last wave: every service exists, and no rollout waits for them.
    ...scalingSteps(settings),
  ];
}
