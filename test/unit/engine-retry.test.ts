// The engine runs a step again after a transient error or a conflict (the step looks before it
// creates, so a lost answer is adopted), and never after a permanent one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionStep, CloudAdapter, StepResult } from '../../source/clouds/types.js';
import { runSteps } from '../../source/engine/engine.js';
import type { DeployEvent } from '../../source/engine/events.js';
import { Journal } from '../../source/engine/journal.js';
import { StepFailedError } from '../../source/errors.js';
import { CliError, type CliErrorKind } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { CANARY, awsAnswersRaw } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A step that fails with the given kinds, in order, then reports `created`. */
function flakyStep(failures: CliErrorKind[]): ActionStep & { applied: number } {
  const step = {
    kind: 'action' as const,
    id: 'secret:jwtSecret',
    title: 'Secret membrane/jwt-secret',
    applied: 0,
    preview: () => [],
    async apply(): Promise<StepResult> {
      const kind = failures[step.applied++];
      if (kind) throw new CliError(kind, ['aws', 'secretsmanager', 'create-secret'], 255, `a ${kind} failure`);
      return { outcome: 'created' };
    },
  };
  return step;
}

async function run(step: ActionStep, emit: (event: DeployEvent) => void = () => undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'engine-retry-'));
  dirs.push(dir);
  const journal = new Journal(dir);
  journal.begin({ name: 'default', cloud: 'aws', command: 'install', answers: awsAnswersRaw() }, false);
  const pauses: number[] = [];
  const runner: Runner = {
    run: () => Promise.reject(new Error('steps here do not run commands')),
    backoff: async (attempt) => void pauses.push(attempt),
  };
  const adapter = { observe: () => Promise.reject(new Error('no rollouts here')) } as unknown as CloudAdapter;
  const outcome = await runSteps({
    adapter,
    steps: [step],
    runner,
    journal,
    secrets: CANARY,
    emit,
    skipDone: false,
    desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, 1])) as Record<ServiceId, number>,
    pollIntervalMs: 10,
    rolloutTimeoutMs: 1000,
    stop: new AbortController().signal,
  }).then(() => 'ok', (error: unknown) => error);
  return { outcome, pauses, journal };
}

describe('engine step retries', () => {
  it('runs a step again after a transient failure and after a conflict, with a backoff between', async () => {
    const step = flakyStep(['throttled', 'transient', 'conflict']);
    const { outcome, pauses, journal } = await run(step);
    expect(outcome).toBe('ok');
    expect(step.applied).toBe(4);
    expect(pauses).toEqual([1, 2, 3]);
    expect(journal.state!.steps[step.id]).toMatchObject({ status: 'done', outcome: 'created' });
  });

  it('gives a step a way to say what it waits for: a step-progress event with its service', async () => {
    const events: DeployEvent[] = [];
    const step: ActionStep = {
      kind: 'action', id: 'app:api', title: 'Container App api', deploys: 'api', preview: () => [],
      async apply(context) {
        context.progress('waiting for Key Vault access to propagate');
        return { outcome: 'created' };
      },
    };
    const { outcome } = await run(step, (event) => events.push(event));
    expect(outcome).toBe('ok');
    expect(events).toContainEqual({ type: 'step-progress', stepId: 'app:api', title: 'Container App api', service: 'api', message: 'waiting for Key Vault access to propagate' });
  });

  it('gives up after five tries', async () => {
    const step = flakyStep(['transient', 'transient', 'transient', 'transient', 'transient']);
    const { outcome } = await run(step);
    expect(outcome).toBeInstanceOf(StepFailedError);
    expect(step.applied).toBe(5);
  });

  it.each(['access-denied', 'invalid', 'not-found', 'failed'] as const)('fails at once on %s', async (kind) => {
    const step = flakyStep([kind]);
    const { outcome, pauses } = await run(step);
    expect(outcome).toBeInstanceOf(StepFailedError);
    expect((outcome as Error).message).toContain(`a ${kind} failure`);
    expect(step.applied).toBe(1);
    expect(pauses).toEqual([]);
  });
});
