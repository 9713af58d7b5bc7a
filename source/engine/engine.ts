// Runs a plan: step by step in order (groups concurrently), journaling before and after
// each step, turning observations into service progress events, and stopping cleanly.
import type { Secrets } from '../answers/schema.js';
import type { ActionStep, CloudAdapter, Outputs, Poll, RolloutStep, ServiceObservation, Step, StepResult } from '../clouds/types.js';
import { CliError, isWorthAnotherLook } from '../exec/errors.js';
import type { Runner } from '../exec/runner.js';
import { InterruptedError, StepFailedError } from '../errors.js';
import type { ServiceId } from '../membrane/services.js';
import type { DeployEvent, ServiceProgress } from './events.js';
import type { Journal } from './journal.js';
import { batches } from './plan.js';

export interface EngineOptions {
  adapter: CloudAdapter;
  steps: Step[];
  runner: Runner;
  journal: Journal;
  secrets: Secrets;
  emit: (event: DeployEvent) => void;
  /** Skip steps the journal records as done (resume); a fresh install re-checks them all. */
  skipDone: boolean;
  /** Tasks each service should run, shown before the cloud reports any. */
  desiredCounts: Record<ServiceId, number>;
  /** The wait between polls while something changes; it backs off while nothing does (see nextPollDelay). */
  pollIntervalMs: number;
  rolloutTimeoutMs: number;
  /** Aborted on the first Ctrl-C: the engine stops after the running command returns. */
  stop: AbortSignal;
}

export async function runSteps(options: EngineOptions): Promise<void> {
  const { journal, emit } = options;
  const known = journal.outputs();
  const outputs: Outputs = {
    get(key) {
      const value = known[key];
      if (value === undefined) throw new Error(`internal: output ${key} is not known yet`);
      return value;
    },
  };
  const progress = new ServiceTracker(journal, emit, options.desiredCounts);
  progress.announce();

  for (const batch of batches(options.steps)) {
    if (options.stop.aborted) throw new InterruptedError('interrupted');
    // allSettled: a failure still lets its concurrent siblings finish and be journaled.
    const results = await Promise.allSettled(
      batch.map(async (step) => {
        // A service whose rollout failed is deployed again: its step looks and starts a new deployment.
        const failedService = step.kind === 'action' && step.deploys !== undefined && journal.state?.services[step.deploys]?.phase === 'failed';
        if (options.skipDone && journal.isDone(step.id) && !failedService) {
          emit({ type: 'step-finished', stepId: step.id, title: step.title, outcome: journal.state!.steps[step.id]!.outcome ?? 'unchanged' });
          return;
        }
        const service = step.kind === 'action' ? step.deploys : undefined;
        emit({ type: 'step-started', stepId: step.id, title: step.title, service });
        journal.stepStarted(step.id);
        // A service deployed again (after a failure, in a rollback) starts without its old word.
        if (service) progress.update(service, { phase: 'creating', startedAt: Date.now(), finishedAt: undefined, message: undefined });
        try {
          if (step.kind === 'rollout') {
            await waitForRollout(step, options, progress, known);
            journal.stepFinished(step.id, 'checked');
            emit({ type: 'step-finished', stepId: step.id, title: step.title, outcome: 'checked' });
            return;
          }
          const result = await applyStep(step, options, outputs);
          Object.assign(known, result.outputs);
          journal.stepFinished(step.id, result.outcome, result.outputs);
          emit({ type: 'step-finished', stepId: step.id, title: step.title, service, outcome: result.outcome });
          if (service) progress.update(service, { phase: 'deploying' });
        } catch (error) {
          // An interruption is not the step's failure: it stays "running" and resume redoes it.
          if (error instanceof InterruptedError) throw error;
          const message = describeError(error);
          journal.stepFailed(step.id, message);
          emit({ type: 'step-failed', stepId: step.id, title: step.title, service, error: message });
          if (service) progress.update(service, { phase: 'failed', message, finishedAt: Date.now() });
          throw new StepFailedError(`${step.title}: ${message}`);
        }
      }),
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/** Steps look before they change anything, so a step that hit a transient error or a conflict is simply run again. */
const STEP_ATTEMPTS = 5;

async function applyStep(step: ActionStep, options: EngineOptions, outputs: Outputs): Promise<StepResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return withKnownOutputs(await step.apply({
        runner: options.runner,
        outputs,
        secrets: options.secrets,
        progress: (message) => options.emit({ type: 'step-progress', stepId: step.id, title: step.title, service: step.deploys, message }),
        stop: options.stop,
      }));
    } catch (error) {
      const again = isWorthAnotherLook(error) || error instanceof UnknownOutputsError;
      if (attempt >= STEP_ATTEMPTS || !again || options.stop.aborted) throw error;
      await options.runner.backoff(attempt);
    }
  }
}

/** A step whose answer lacked an output it reports: like a lost answer, worth another look. */
class UnknownOutputsError extends Error {}

/** A step is done only when its outputs are known; journaled without them, every later step would fail. */
function withKnownOutputs(result: StepResult): StepResult {
  const unknown = Object.entries(result.outputs ?? {}).filter(([, value]) => typeof value !== 'string' || !value.trim());
  if (unknown.length === 0) return result;
  throw new UnknownOutputsError(`the cloud's answer did not say ${unknown.map(([key]) => key).join(', ')}; resume looks again`);
}

async function waitForRollout(step: RolloutStep, options: EngineOptions, progress: ServiceTracker, known: Record<string, string>): Promise<void> {
  const deadline = Date.now() + options.rolloutTimeoutMs;
  const { adapter } = options;
  const poll: Poll = adapter.watch?.(step.services) ?? ((runner, outputs) => adapter.observe(runner, outputs));
  let delay = options.pollIntervalMs;
  for (;;) {
    const observations = await poll(options.runner, known);
    const changed = progress.observe(observations);
    delay = nextPollDelay(delay, changed, options.pollIntervalMs);
    const mine = observations.filter((o) => step.services.includes(o.service));
    const failed = mine.filter((o) => o.phase === 'failed');
    if (failed.length) throw new Error(failed.map((o) => `${o.service} failed: ${o.message ?? 'rollout failed'}`).join('; '));
    if (mine.every((o) => o.phase === 'healthy')) return;
    if (Date.now() >= deadline) {
      const waiting = mine.filter((o) => o.phase !== 'healthy').map((o) => `${o.service} (${o.running}/${o.desired} running)`);
      const limit = options.rolloutTimeoutMs >= 60_000 ? `${Math.round(options.rolloutTimeoutMs / 60_000)} min` : `${Math.round(options.rolloutTimeoutMs / 1000)} s`;
      throw new Error(`not healthy after ${limit}: ${waiting.join(', ')}. Resume keeps waiting (--rollout-timeout sets the limit).`);
    }
    // A Ctrl-C ends the wait at once; the journal already says where we are.
    if (options.stop.aborted) throw new InterruptedError('interrupted');
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), options.stop);
  }
}

/** While nothing changes the polls slow down, up to this many times the base interval (6 s: a wave that turns healthy is seen within a poll or two). */
export const POLL_BACKOFF_LIMIT = 2;

/**
 * The next wait: the base interval after a poll that saw a change (a rollout moving is worth
 * watching closely), half as long again after one that saw none, never past the limit.
 */
export function nextPollDelay(previous: number, changed: boolean, base: number): number {
  return changed ? base : Math.min(Math.round(previous * 1.5), base * POLL_BACKOFF_LIMIT);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function describeError(error: unknown): string {
  if (error instanceof CliError) return `${error.argv.slice(0, 3).join(' ')}: ${error.cliMessage}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Keeps each service's progress, emitting and journaling only real changes. */
class ServiceTracker {
  constructor(
    private readonly journal: Journal,
    private readonly emit: (event: DeployEvent) => void,
    private readonly desiredCounts: Record<ServiceId, number>,
  ) {}

  private current(service: ServiceId): ServiceProgress {
    return this.journal.state?.services[service] ?? { service, phase: 'pending', running: 0, desired: this.desiredCounts[service] };
  }

  /** Every service's starting point (pending, or where the journal left it), for the views. */
  announce(): void {
    for (const service of Object.keys(this.desiredCounts) as ServiceId[]) this.emit({ type: 'service', progress: this.current(service) });
  }

  /** True when it changed something. */
  update(service: ServiceId, change: Partial<ServiceProgress>): boolean {
    const before = this.current(service);
    const after = { ...before, ...change, service };
    if (JSON.stringify(before) === JSON.stringify(after)) return false;
    this.journal.service(after);
    this.emit({ type: 'service', progress: after });
    return true;
  }

  /** True when any service's phase, counts or message moved. */
  observe(observations: ServiceObservation[]): boolean {
    let changed = false;
    for (const o of observations) {
      const before = this.current(o.service);
      // A service the cloud doesn't have yet keeps its own phase (pending or creating).
      const phase = o.phase ?? before.phase;
      const settled = phase === 'healthy' || phase === 'failed';
      const moved = this.update(o.service, {
        phase,
        running: o.running,
        desired: o.desired,
        message: o.message ?? before.message,
        startedAt: before.startedAt ?? (o.phase ? Date.now() : undefined),
        finishedAt: settled ? (before.finishedAt ?? Date.now()) : undefined,
      });
      changed ||= moved;
    }
    return changed;
  }
}
