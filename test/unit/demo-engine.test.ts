// The engine driving the demo cloud end to end: real journal, real rollout waits.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoAdapter, type DemoOptions } from '../../source/clouds/demo/index.js';
import type { DeployEvent } from '../../source/engine/events.js';
import { runSteps } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { withRollouts } from '../../source/engine/plan.js';
import { StepFailedError } from '../../source/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { CANARY, awsAnswersRaw, awsSettings } from './fixtures.js';

const throwingRunner: Runner = {
  run() {
    throw new Error('the demo must not call the runner');
  },
  backoff: () => Promise.resolve(),
};

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function deploy(options: DemoOptions) {
  const dir = await mkdtemp(join(tmpdir(), 'demo-engine-'));
  dirs.push(dir);
  const journal = new Journal(dir);
  journal.begin({ name: 'default', cloud: 'aws', command: 'install', answers: awsAnswersRaw() }, false);
  const settings = awsSettings();
  const adapter = demoAdapter(settings, { speed: 0.01, ...options });
  const steps = withRollouts(adapter.plan());
  const events: DeployEvent[] = [];
  const run = runSteps({
    adapter,
    steps,
    runner: throwingRunner,
    journal,
    secrets: CANARY,
    emit: (event) => events.push(event),
    skipDone: false,
    desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, settings.sizing[id].replicas])) as Record<ServiceId, number>,
    pollIntervalMs: 20,
    rolloutTimeoutMs: 60_000,
    stop: new AbortController().signal,
  });
  return { run, journal, events, steps };
}

describe('engine with the demo cloud', () => {
  it('deploys all seven services to healthy, journaling every step and rollout', async () => {
    const { run, journal, events, steps } = await deploy({});
    await expect(run).resolves.toBeUndefined();

    expect(events.some((event) => event.type === 'done')).toBe(false);
    expect(events.some((event) => event.type === 'step-failed')).toBe(false);
    const state = journal.state!;
    for (const id of SERVICE_IDS) expect(state.services[id]).toMatchObject({ phase: 'healthy', running: 2, desired: 2 });
    for (const step of steps) expect(state.steps[step.id]?.status).toBe('done');
    const rollouts = steps.filter((step) => step.kind === 'rollout');
    expect(rollouts.map((step) => step.id)).toEqual(['rollout:wave-1', 'rollout:wave-2', 'rollout:wave-3', 'rollout:wave-4']);
    for (const step of rollouts) expect(state.steps[step.id]).toMatchObject({ status: 'done', outcome: 'checked' });
    expect(state.services['api']!.message).toBe('(service membrane-api) has reached a steady state.');
    // The live table saw progress between creating and healthy.
    const phases = events.flatMap((event) => (event.type === 'service' && event.progress.service === 'queued-worker' ? [event.progress.phase] : []));
    expect(phases).toEqual(expect.arrayContaining(['pending', 'creating', 'deploying', 'healthy']));
  });

  it('stops at the failing service with its reason; earlier waves healthy, later ones pending', async () => {
    const { run, journal, events } = await deploy({ failService: 'api' });
    const error = await run.then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(StepFailedError);
    const message = (error as Error).message;
    expect(message).toContain('api failed');
    expect(message).toContain('CannotPullContainerError: pull access denied for harbor.integration.app/core/api');

    const state = journal.state!;
    for (const id of ['custom-code-runner', 'orchestrator', 'queued-worker', 'instant-worker'] as const) expect(state.services[id]?.phase).toBe('healthy');
    expect(state.services['api']).toMatchObject({ phase: 'failed', running: 0 });
    expect(state.services['api']!.message).toMatch(/^ECS deployment circuit breaker/);
    for (const id of ['ui', 'console'] as const) expect(state.services[id]?.phase ?? 'pending').toBe('pending');
    expect(state.steps['rollout:wave-3']?.status).toBe('failed');
    expect(state.steps['service:ui']).toBeUndefined();
    expect(events.filter((event) => event.type === 'step-failed').map((event) => event.stepId)).toEqual(['rollout:wave-3']);
  });
});
