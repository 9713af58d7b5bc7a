// One describe-services call returns every service's rollout (ECS allows 10 per call; we have 7);
// only a service whose tasks keep failing costs two more, once, to say why.
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { ServiceObservation } from '../types.js';
import { awsArgv, awsNames, outputKey } from './names.js';
import { stoppedTasks, stopReasons } from './stopped-tasks.js';

interface EcsDeployment {
  status: string;
  taskDefinition?: string;
  rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
  /** Tasks placed but not running yet: provisioning, pulling the image, starting. */
  pendingCount?: number;
  /** Tasks of this deployment that failed in a row (reset once one runs). */
  failedTasks?: number;
}

/**
 * After this many tasks in a row failed, a deployment is failing: a crash loop, a failed pull,
 * a failed health check or a missing permission does not heal by waiting, and the circuit
 * breaker (at least 3 failures, then its rollback) or the rollout timeout would only say so later.
 */
export const FAILURES_IN_A_ROW = 2;

/** A deployment still in progress whose tasks keep failing. */
export function keepsFailing(deployment: Pick<EcsDeployment, 'rolloutState' | 'failedTasks'>): boolean {
  return deployment.rolloutState === 'IN_PROGRESS' && (deployment.failedTasks ?? 0) >= FAILURES_IN_A_ROW;
}

interface EcsService {
  serviceName: string;
  status: string;
  taskDefinition?: string;
  desiredCount: number;
  runningCount: number;
  deployments?: EcsDeployment[];
  events?: { message: string }[];
}

export async function observeAws(settings: SettingsFor<'aws'>, runner: Runner, known: Readonly<Record<string, string>> = {}): Promise<ServiceObservation[]> {
  const aws = settings.answers.aws;
  const names = awsNames(settings);
  const { services = [] } = await runJson<{ services?: EcsService[] }>(runner, {
    argv: awsArgv(aws.region, 'ecs', 'describe-services', '--cluster', aws.cluster, '--services', ...SERVICES.map((s) => names.service(s.id))),
  });
  const observations = SERVICES.map((spec): ServiceObservation => {
    const found = services.find((s) => s.serviceName === names.service(spec.id) && s.status !== 'INACTIVE');
    if (!found) return { service: spec.id, running: 0, desired: settings.sizing[spec.id].replicas };
    // Until this run's service step has deployed a revision, the one the service runs is not a rollback.
    return { service: spec.id, ...phaseOf(found, known[outputKey.deployedRevision(spec.id)]) };
  });
  // A verdict names its cause: why ECS stopped the tasks (two more calls, once, for a failing service only).
  const failing = SERVICES.filter((spec) => services.some((s) => s.serviceName === names.service(spec.id) && s.deployments?.some((d) => d.status === 'PRIMARY' && keepsFailing(d))));
  await Promise.all(failing.map(async (spec) => {
    const reasons = stopReasons(await stoppedTasks(runner, aws.region, aws.cluster, names.service(spec.id)).catch(() => []), names.service(spec.id));
    const observation = observations.find((o) => o.service === spec.id)!;
    if (reasons.length) observation.message = `${observation.message}: ${reasons.join('; ')}`;
  }));
  return observations;
}

/** `membrane-api:3` from a task definition ARN. */
const revisionOf = (arn: string) => arn.split('/').pop()!;

/**
 * The service's phase. With the circuit breaker's rollback, a failed update rolls back and the
 * rollback deployment completes: a PRIMARY that runs another revision than `expected` (the one
 * just registered), or any FAILED deployment beside it, is a failed rollout, not a healthy one.
 */
export function phaseOf(service: EcsService, expected?: string): Omit<ServiceObservation, 'service'> {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const latestEvent = service.events?.[0]?.message;
  const counts = { running: service.runningCount, desired: service.desiredCount };
  if (primary?.rolloutState === 'FAILED') return { phase: 'failed', ...counts, message: primary.rolloutStateReason ?? latestEvent };
  if (primary && keepsFailing(primary)) return { phase: 'failed', ...counts, message: `${primary.failedTasks} tasks in a row stopped before they ran healthy` };
  const failedBeside = deployments.find((d) => d !== primary && d.rolloutState === 'FAILED');
  // The service's task definition is its PRIMARY deployment's (after a rollback, the old one's again).
  const running = service.taskDefinition ?? primary?.taskDefinition;
  const rolledBack = expected && running ? running !== expected : Boolean(failedBeside);
  if (rolledBack && running) {
    const why = failedBeside?.rolloutStateReason ?? service.events?.find((e) => /circuit breaker|rolling back/i.test(e.message))?.message ?? 'the new revision did not become healthy';
    return { phase: 'failed', ...counts, message: `rolled back to ${revisionOf(running)}${expected ? ` (not ${revisionOf(expected)})` : ''}: ${why}` };
  }
  const settled = primary?.rolloutState === 'COMPLETED' && deployments.length === 1;
  if (settled && service.runningCount >= service.desiredCount) return { phase: 'healthy', ...counts, message: latestEvent ?? primary?.rolloutStateReason };
  return { phase: 'deploying', ...counts, message: (primary && waitingFor(primary, deployments, latestEvent)) ?? latestEvent ?? primary?.rolloutStateReason };
}

/** ECS events that only say the rollout moves; any other (placement, pull, permission) is worth showing. */
const ROUTINE_EVENT = /has started \d+ tasks?|registered \d+ targets?|has reached a steady state|deployment .* completed|has stopped \d+ running tasks?|deregistered \d+ targets?/i;

/** What a rollout still waits for, in the counts of its deployments: "1/2 running, 1 starting, draining 2 old tasks". */
export function waitingFor(primary: EcsDeployment, deployments: EcsDeployment[], latestEvent?: string): string {
  const old = deployments.filter((d) => d !== primary).reduce((sum, d) => sum + d.runningCount, 0);
  const parts = [`${primary.runningCount}/${primary.desiredCount} running`];
  if (primary.pendingCount) parts.push(`${primary.pendingCount} starting`);
  if (primary.failedTasks) parts.push(`${primary.failedTasks} failed`);
  if (old) parts.push(`draining ${old} old task${old === 1 ? '' : 's'}`);
  else if (primary.runningCount >= primary.desiredCount) parts.push('waiting for health checks');
  const words = parts.join(', ');
  return latestEvent && !ROUTINE_EVENT.test(latestEvent) ? `${words} — ${latestEvent}` : words;
}
