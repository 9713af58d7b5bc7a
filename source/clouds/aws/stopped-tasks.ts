// Why ECS stopped a service's tasks: the reason a crash, a failed image pull or a failed
// health check leaves on each task (ECS keeps stopped tasks for about an hour).
import type { Runner } from '../../exec/runner.js';
import { runJson } from '../cli-json.js';
import { awsArgv } from './names.js';

export interface StoppedTask {
  /** `service:NAME` for a service's tasks. */
  group?: string;
  stoppedReason?: string;
  containers?: { reason?: string; exitCode?: number }[];
}

/** The stopped tasks of the cluster, or of one service: a list and a describe (at most 100, the describe's limit). */
export async function stoppedTasks(runner: Runner, region: string, cluster: string, serviceName?: string): Promise<StoppedTask[]> {
  const { taskArns = [] } = await runJson<{ taskArns?: string[] }>(runner, {
    argv: awsArgv(region, 'ecs', 'list-tasks', '--cluster', cluster, ...(serviceName ? ['--service-name', serviceName] : []), '--desired-status', 'STOPPED'),
  });
  if (taskArns.length === 0) return [];
  const { tasks = [] } = await runJson<{ tasks?: StoppedTask[] }>(runner, { argv: awsArgv(region, 'ecs', 'describe-tasks', '--cluster', cluster, '--tasks', ...taskArns.slice(0, 100)) });
  return tasks;
}

/** Each distinct reason ECS gave for stopping the service's tasks (the task's, then its containers'). */
export function stopReasons(tasks: StoppedTask[], serviceName: string): string[] {
  const reasons = tasks
    .filter((task) => task.group === `service:${serviceName}`)
    .flatMap((task) => [task.stoppedReason, ...(task.containers ?? []).map((c) => c.reason)])
    .filter((reason): reason is string => Boolean(reason));
  return [...new Set(reasons)];
}
