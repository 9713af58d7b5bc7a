// `--demo`: a simulated AWS ECS cloud. It walks through exactly what the real install does
// (preflight, the same steps, rollouts in waves with ECS-like events) without an account,
// a CLI or a single process spawned: steps ignore the runner, observe never calls it.
// All state lives in the adapter instance; time comes from an injectable clock.
import { createHash } from 'node:crypto';
import type { Settings, SettingsFor } from '../../answers/settings.js';
import { requiredSecrets } from '../../membrane/env.js';
import { SERVICES, serviceSpec, type ServiceId, type ServiceSpec } from '../../membrane/services.js';
import { awsAdapter } from '../aws/index.js';
import { fargateSizeProblem } from '../aws/documents.js';
import { awsArgv, awsNames, outputKey } from '../aws/names.js';
import { DEMO_ACCOUNT, DEMO_AWS, DEMO_VPC } from './discovery.js';
import type { ActionStep, CloudAdapter, PreflightCheckDefinition, ServiceObservation, StepResult } from '../types.js';

export interface DemoOptions {
  /** This service's rollout fails (circuit breaker, image pull denied), to show a failure. */
  failService?: ServiceId;
  /** Multiplies every delay: 1 is the demo's realistic pace (about two minutes), tests use 0.01. */
  speed?: number;
  /** The clock rollouts are measured with; tests inject one. */
  now?: () => number;
}

/** A poll interval that suits the demo's rollouts (multiply by the speed). */
export const DEMO_POLL_INTERVAL_MS = 1000;

/** How long each service takes from create-service to steady state, at speed 1. */
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

/** When the failing service gives up, at speed 1. */
const FAIL_AFTER_MS = 5_000;
/** The simulated latency of one describe-services call. */
const OBSERVE_MS = 250;
const APPLY_MIN_MS = 300;
const APPLY_MAX_MS = 1500;

/** Stable pseudo-random hex, so a demo looks the same every time. */
function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** A stable fraction in [0, 1) for a seed. */
function fraction(seed: string): number {
  return parseInt(hex(seed, 8), 16) / 0x1_0000_0000;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function demoAdapter(settings: Settings, options: DemoOptions = {}): CloudAdapter {
  const speed = options.speed ?? 1;
  const now = options.now ?? Date.now;
  // The same names and ids the real AWS install would use.
  const aws = settings.answers.aws ?? { ...DEMO_AWS, assignPublicIp: false };
  const awsSettings: SettingsFor<'aws'> = { ...settings, answers: { ...settings.answers, aws } };
  const names = awsNames(awsSettings);
  const region = aws.region;
  const roleName = (arn: string) => arn.split('/').pop()!;

  /** Step ids applied by this instance, for idempotent re-runs. */
  const applied = new Set<string>();
  /** When each service's create-service was simulated (clock ms). */
  const deployedAt = new Map<ServiceId, number>();

  /** A step's apply: a realistic pause, then what the cloud would have answered. */
  const simulate = (id: string, effect: () => StepResult['outputs'] = () => undefined): (() => Promise<StepResult>) =>
    async () => {
      await sleep((APPLY_MIN_MS + fraction(id) * (APPLY_MAX_MS - APPLY_MIN_MS)) * speed);
      const outputs = effect();
      const outcome = applied.has(id) ? 'unchanged' : 'created';
      applied.add(id);
      return outputs ? { outcome, outputs } : { outcome };
    };

  // ---- plan: the same shape as awsSteps ----

  const secretSteps = requiredSecrets(awsSettings).map((key): ActionStep => {
    const id = `secret:${key}`;
    const name = names.secret(key);
    return {
      kind: 'action',
      id,
      title: `Secret ${name}`,
      group: 'prepare',
      preview: () => [{ argv: awsArgv(region, 'secretsmanager', 'create-secret', '--name', name, '--secret-string', '<secret>') }],
      apply: simulate(id, () => ({ [outputKey.secretArn(key)]: `arn:aws:secretsmanager:${region}:${DEMO_ACCOUNT}:secret:${name}-${hex(name, 6)}` })),
    };
  });

  const logGroupStep: ActionStep = {
    kind: 'action',
    id: 'log-group',
    title: `Log group ${names.logGroup}`,
    group: 'prepare',
    preview: () => [
      { argv: awsArgv(region, 'logs', 'create-log-group', '--log-group-name', names.logGroup) },
      { argv: awsArgv(region, 'logs', 'put-retention-policy', '--log-group-name', names.logGroup, '--retention-in-days', '30') },
    ],
    apply: simulate('log-group'),
  };

  const namespaceId = `ns-${hex(names.namespace, 16)}`;
  const discoveryStep: ActionStep = {
    kind: 'action',
    id: 'runner-discovery',
    title: `Private DNS ${names.runnerDiscovery}.${names.namespace}`,
    group: 'prepare',
    preview: () => [
      { argv: awsArgv(region, 'servicediscovery', 'create-private-dns-namespace', '--name', names.namespace, '--vpc', '<VPC of the first subnet>') },
      { argv: awsArgv(region, 'servicediscovery', 'create-service', '--name', names.runnerDiscovery, '--namespace-id', namespaceId) },
    ],
    apply: simulate('runner-discovery', () => ({
      [outputKey.namespaceId]: namespaceId,
      [outputKey.runnerRegistryArn]: `arn:aws:servicediscovery:${region}:${DEMO_ACCOUNT}:service/srv-${hex(names.runnerDiscovery, 16)}`,
    })),
  };

  const execOnlyRoleStep: ActionStep = {
    kind: 'action',
    id: 'exec-only-role',
    title: `Role ${names.execOnlyRole} (code runner, ui, console: ECS Exec only)`,
    group: 'prepare',
    preview: () => [{ argv: awsArgv(region, 'iam', 'create-role', '--role-name', names.execOnlyRole, '--assume-role-policy-document', '<trust ecs-tasks>') }],
    apply: simulate('exec-only-role', () => ({ [outputKey.execOnlyRoleArn]: `arn:aws:iam::${DEMO_ACCOUNT}:role/${names.execOnlyRole}` })),
  };

  const executionRoleStep: ActionStep = {
    kind: 'action',
    id: 'execution-role',
    title: names.executionRoleTitle,
    preview: () => [{ argv: awsArgv(region, 'iam', 'put-role-policy', '--role-name', names.executionRole, '--policy-name', names.executionPolicy, '--policy-document', '<policy>') }],
    apply: simulate('execution-role', () => ({ [outputKey.executionRoleArn]: aws.executionRoleArn ?? `arn:aws:iam::${DEMO_ACCOUNT}:role/${names.executionRole}` })),
  };

  const taskDefinitionStep = (spec: ServiceSpec): ActionStep => {
    const id = `task-definition:${spec.id}`;
    const family = names.family(spec.id);
    return {
      kind: 'action',
      id,
      title: `Task definition ${family}`,
      group: 'task-definitions',
      preview: () => [{ argv: awsArgv(region, 'ecs', 'register-task-definition', '--family', family) }],
      apply: simulate(id, () => ({ [outputKey.taskDefinitionArn(spec.id)]: `arn:aws:ecs:${region}:${DEMO_ACCOUNT}:task-definition/${family}:1` })),
    };
  };

  const serviceStep = (spec: ServiceSpec): ActionStep => {
    const id = `service:${spec.id}`;
    const name = names.service(spec.id);
    return {
      kind: 'action',
      id,
      title: `ECS service ${name}`,
      deploys: spec.id,
      preview: () => [{
        argv: awsArgv(region, 'ecs', 'create-service', '--cluster', aws.cluster, '--service-name', name,
          '--task-definition', names.family(spec.id), '--desired-count', String(settings.sizing[spec.id].replicas), '--launch-type', 'FARGATE'),
      }],
      apply: simulate(id, () => {
        // The rollout starts when the service is created; applying it again changes nothing.
        if (!deployedAt.has(spec.id)) deployedAt.set(spec.id, now());
        return undefined;
      }),
    };
  };

  // ---- observe: one simulated describe-services ----

  const taskIds = (service: ServiceId, count: number) => Array.from({ length: count }, (_, i) => hex(`${names.service(service)}/${i}`, 32));

  function observeOne(service: ServiceId): ServiceObservation {
    const desired = settings.sizing[service].replicas;
    const started = deployedAt.get(service);
    if (started === undefined) return { service, running: 0, desired };
    const name = names.service(service);
    const elapsed = now() - started;
    const startedEvent = `(service ${name}) has started ${desired} tasks: ${taskIds(service, desired).map((task) => `(task ${task})`).join(' ')}.`;

    if (service === options.failService) {
      if (elapsed < FAIL_AFTER_MS * speed) return { service, phase: 'deploying', running: 0, desired, message: startedEvent };
      const image = `${settings.answers.registry.server}/${serviceSpec(service).image}`;
      return {
        service,
        phase: 'failed',
        running: 0,
        desired,
        message: `ECS deployment circuit breaker: tasks failed to start. CannotPullContainerError: pull access denied for ${image}, repository does not exist or may require 'docker login'`,
      };
    }

    const duration = ROLLOUT_MS[service] * speed;
    const progress = duration > 0 ? elapsed / duration : 1;
    if (progress >= 1) return { service, phase: 'healthy', running: desired, desired, message: `(service ${name}) has reached a steady state.` };
    // Tasks turn RUNNING one after another between 35% and 75% of the rollout; the load
    // balancer registers the public ones at 80%; steady state at 100%.
    let running = 0;
    for (let i = 0; i < desired; i++) if (progress >= 0.35 + (0.4 * i) / Math.max(1, desired - 1)) running++;
    const spec = serviceSpec(service);
    const targetGroup = spec.subdomain ? aws.targetGroups[spec.subdomain] : undefined;
    const message = targetGroup && progress >= 0.8
      ? `(service ${name}) registered ${desired} targets in (target-group ${targetGroup})`
      : startedEvent;
    return { service, phase: 'deploying', running, desired, message };
  }

  // ---- preflight: the AWS checks, simulated ----

  const preflightChecks: [string, string][] = [
    ['aws CLI installed', 'aws-cli/2.17.0 (simulated)'],
    ['Logged in to AWS', `simulated account ${DEMO_ACCOUNT} as arn:aws:iam::${DEMO_ACCOUNT}:user/demo`],
    [`ECS cluster ${aws.cluster} is ACTIVE`, 'simulated: 0 tasks running'],
    [`Subnets ${aws.subnets.join(', ')}`, `simulated: in ${DEMO_VPC}`],
    [`Security groups ${aws.securityGroups.join(', ')}`, 'simulated: membrane-tasks'],
    ...[aws.executionRoleArn, aws.taskRoleArn].filter((arn) => arn !== undefined).map((arn): [string, string] => [`IAM role ${roleName(arn)}`, 'simulated: trusted by ecs-tasks.amazonaws.com']),
    ['Target groups for api, ui, console', `simulated: ${Object.values(aws.targetGroups).map((arn) => `${arn.split('/')[1]}:5000`).join(', ')}`],
  ];

  return {
    inputProblems: () =>
      SERVICES.flatMap((spec) => fargateSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? []),

    preflight: (): PreflightCheckDefinition[] =>
      preflightChecks.map(([title, detail], index) => ({
        title,
        run: async () => {
          // Staggered, so the checks visibly finish one by one (200-900 ms at speed 1).
          await sleep((200 + 100 * index) * speed);
          return { ok: true, detail };
        },
      })),

    plan: () => [
      ...secretSteps,
      logGroupStep,
      discoveryStep,
      execOnlyRoleStep,
      executionRoleStep,
      ...SERVICES.map(taskDefinitionStep),
      ...SERVICES.map(serviceStep),
    ],

    observe: async () => {
      await sleep(OBSERVE_MS * speed);
      return SERVICES.map((spec) => observeOne(spec.id));
    },

    notes: () => [
      'This is a demo: a simulated AWS account. Nothing is created anywhere, no aws CLI, account or credentials are used, and every result is made up.',
      ...(options.failService ? [`The demo makes ${options.failService} fail on purpose, to show what a failed rollout looks like and how resume and troubleshoot help.`] : []),
      `A real install runs these same steps with your aws CLI in ${region}: it stores ${requiredSecrets(awsSettings).length} secrets in Secrets Manager, creates the log group ${names.logGroup}, `
        + `registers ${SERVICES.length} task definitions and creates ${SERVICES.length} ECS services on cluster ${aws.cluster}, waiting for each wave to be healthy before the next.`,
      ...awsAdapter(awsSettings).notes().map((note) => `In a real install: ${note}`),
    ],
  };
}
