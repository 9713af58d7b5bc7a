// Test support for the fault proxy: ECS services whose tasks crash, as a broken image or a
// missing setting makes them. Moto runs every task forever; here a crash-looping service's
// PRIMARY deployment stays IN_PROGRESS with nothing running, one more task of it fails every
// `everyMs` (ECS's `failedTasks`), and those tasks are listed as STOPPED with the reason ECS
// gives (list-tasks --desired-status STOPPED, describe-tasks), as on ECS.

export interface CrashLoopRule {
  /** ECS's stoppedReason of each task, e.g. "Essential container in task exited". */
  reason: string;
  /** How long each task lives before it stops (the first fails this long after the deployment starts). */
  everyMs: number;
  exitCode?: number;
  /** The cause is fixed for new tasks (a corrected secret): an update with forceNewDeployment ends the loop. */
  untilForcedDeployment?: boolean;
}

interface Loop extends CrashLoopRule {
  /** When the service's current deployment started (its create or update, or when the rule was set). */
  since: number;
}

const ACCOUNT = '123456789012';

export class CrashLoops {
  private readonly loops = new Map<string, Loop>();

  constructor(private readonly now: () => number = Date.now) {}

  get active(): boolean {
    return this.loops.size > 0;
  }

  /** A rule for a service that loops already replaces its rule, not its deployment's failures so far. */
  add(serviceName: string, rule: CrashLoopRule): () => void {
    this.loops.set(serviceName, { ...rule, since: this.loops.get(serviceName)?.since ?? this.now() });
    return () => this.loops.delete(serviceName);
  }

  clear(): void {
    this.loops.clear();
  }

  /** A create-service or update-service starts a new deployment: its failures count from zero. */
  deploymentStarted(serviceName: string | undefined, forced = false): void {
    const name = serviceName?.split('/').pop();
    const loop = name === undefined ? undefined : this.loops.get(name);
    if (!loop) return;
    if (forced && loop.untilForcedDeployment) this.loops.delete(name!);
    else loop.since = this.now();
  }

  /** When the first task of the service's current deployment failed, if one has. */
  firstFailure(serviceName: string): number | undefined {
    const loop = this.loops.get(serviceName);
    return loop && this.failures(loop) > 0 ? loop.since + loop.everyMs : undefined;
  }

  private failures(loop: Loop): number {
    return Math.floor((this.now() - loop.since) / loop.everyMs);
  }

  private stoppedArns(serviceName: string, cluster: string): string[] {
    const loop = this.loops.get(serviceName)!;
    return Array.from({ length: this.failures(loop) }, (_, i) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${cluster}/crash${i}${serviceName.replace(/[^a-z0-9]/gi, '')}`);
  }

  /** A DescribeServices answer with each looping service's deployment failing. */
  describeServices(answer: any): boolean {
    let changed = false;
    for (const service of answer?.services ?? []) {
      const loop = this.loops.get(service.serviceName);
      const primary = (service.deployments ?? []).find((d: { status: string }) => d.status === 'PRIMARY');
      if (!loop || !primary) continue;
      changed = true;
      Object.assign(primary, { rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment in progress.', runningCount: 0, failedTasks: this.failures(loop) });
      service.runningCount = (service.deployments as { status: string; runningCount?: number }[]).filter((d) => d !== primary).reduce((sum, d) => sum + (d.runningCount ?? 0), 0);
      service.events = [{ message: `(service ${service.serviceName}) has started 2 tasks: (task a) (task b).` }, ...(service.events ?? [])];
    }
    return changed;
  }

  /** A ListTasks answer with the looping services' stopped tasks added, when it asks for STOPPED ones. */
  listTasks(input: { cluster?: string; serviceName?: string; desiredStatus?: string }, answer: any): boolean {
    if (input.desiredStatus !== 'STOPPED') return false;
    const cluster = (input.cluster ?? 'default').split('/').pop()!;
    const names = [...this.loops.keys()].filter((name) => input.serviceName === undefined || input.serviceName.split('/').pop() === name);
    const added = names.flatMap((name) => this.stoppedArns(name, cluster));
    answer.taskArns = [...(answer.taskArns ?? []), ...added];
    return added.length > 0;
  }

  /** A DescribeTasks answer that describes the looping services' stopped tasks (moto calls them missing). */
  describeTasks(input: { cluster?: string; tasks?: string[] }, answer: any): boolean {
    const cluster = (input.cluster ?? 'default').split('/').pop()!;
    const ours = new Map<string, string>();
    for (const name of this.loops.keys()) for (const arn of this.stoppedArns(name, cluster)) ours.set(arn, name);
    const asked = (input.tasks ?? []).filter((arn) => ours.has(arn));
    if (asked.length === 0) return false;
    answer.failures = (answer.failures ?? []).filter((failure: { arn?: string }) => !failure.arn || !ours.has(failure.arn));
    answer.tasks = [
      ...(answer.tasks ?? []),
      ...asked.map((arn) => {
        const name = ours.get(arn)!;
        const loop = this.loops.get(name)!;
        return {
          taskArn: arn, group: `service:${name}`, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: loop.reason,
          containers: [{ name: name.replace(/^membrane-/, ''), lastStatus: 'STOPPED', exitCode: loop.exitCode ?? 1 }],
        };
      }),
    ];
    return true;
  }
}
