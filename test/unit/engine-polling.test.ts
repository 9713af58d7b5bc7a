// How the engine waits for a rollout: one observe per poll, close together while something
// moves, further apart while nothing does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudAdapter, ServiceObservation } from '../../source/clouds/types.js';
import { nextPollDelay, POLL_BACKOFF_LIMIT, runSteps } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { CANARY, awsAnswersRaw } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Waits for the api's rollout; `observe` answers each poll. Returns the time of each poll. */
async function waitForApi(observe: (poll: number) => ServiceObservation[], pollIntervalMs: number, rolloutTimeoutMs = 10_000): Promise<{ polls: number[]; outcome: unknown }> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-polling-'));
  dirs.push(dir);
  const journal = new Journal(dir);
  journal.begin({ name: 'default', cloud: 'aws', command: 'install', answers: awsAnswersRaw() }, false);
  const polls: number[] = [];
  const adapter = { observe: async () => observe(polls.push(Date.now()) - 1) } as unknown as CloudAdapter;
  const runner: Runner = { run: () => Promise.reject(new Error('no commands here')), backoff: async () => undefined };
  const outcome = await runSteps({
    adapter,
    steps: [{ kind: 'rollout', id: 'rollout:api', title: 'Wait until api is healthy', services: ['api'] }],
    runner,
    journal,
    secrets: CANARY,
    emit: () => undefined,
    skipDone: false,
    desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, 2])) as Record<ServiceId, number>,
    pollIntervalMs,
    rolloutTimeoutMs,
    stop: new AbortController().signal,
  }).then(() => 'ok', (error: unknown) => error);
  return { polls, outcome };
}

const api = (phase: ServiceObservation['phase'], running: number): ServiceObservation[] => [{ service: 'api', phase, running, desired: 2 }];

describe('rollout polling', () => {
  it('backs off by half again per quiet poll, up to the limit, and comes back to the base on a change', () => {
    const waits: number[] = [];
    let delay = 100;
    for (const changed of [false, false, false, false, true, false]) waits.push((delay = nextPollDelay(delay, changed, 100)));
    expect(waits).toEqual([150, 200, 200, 200, 100, 150]);
    expect(Math.max(...waits)).toBe(100 * POLL_BACKOFF_LIMIT);
  });

  it('polls less while nothing moves: a rollout quiet for 1.5 s at a 50 ms base takes far fewer than 30 polls', async () => {
    const started = Date.now();
    const { polls, outcome } = await waitForApi(() => (Date.now() - started < 1500 ? api('deploying', 0) : api('healthy', 2)), 50);
    expect(outcome).toBe('ok');
    // 50 ms apart all along would be 30; backed off to 100 ms it is about 16.
    expect(polls.length).toBeLessThan(20);
    expect(polls.length).toBeGreaterThan(5);
  });

  it('keeps to the base interval while each poll sees the rollout move', async () => {
    const { polls, outcome } = await waitForApi((poll) => (poll < 8 ? api('deploying', poll % 2) : api('healthy', 2)), 50);
    expect(outcome).toBe('ok');
    const gaps = polls.slice(1).map((time, i) => time - polls[i]!);
    expect(Math.max(...gaps.slice(1))).toBeLessThan(120);
  });

  it('never sleeps past the rollout timeout', async () => {
    const started = Date.now();
    // Backed off, the wait after the poll at 600 ms would be 800 ms: it is cut to the deadline.
    const { outcome } = await waitForApi(() => api('deploying', 0), 400, 700);
    expect(String(outcome)).toContain('not healthy after');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
