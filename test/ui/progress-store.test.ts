import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../source/engine/events.js';
import {
  countPhases,
  currentStep,
  initialProgress,
  reduce,
  singleLine,
  stripControl,
  summaryLine,
} from '../../source/ui/progress-store.js';
import type { DeploymentView } from '../../source/ui/progress-store.js';

const SERVICES = ['custom-code-runner', 'orchestrator', 'api'];
const replay = (events: DeployEvent[], view: DeploymentView = initialProgress(SERVICES)) => events.reduce(reduce, view);

/** Freezes a view deeply so any mutation by the reducer throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('initialProgress', () => {
  it('has one pending 0/0 row per service, in the given order, and nothing running', () => {
    const view = initialProgress(SERVICES);
    expect(view.services.map((r) => [r.service, r.phase, r.running, r.desired])).toEqual([
      ['custom-code-runner', 'pending', 0, 0],
      ['orchestrator', 'pending', 0, 0],
      ['api', 'pending', 0, 0],
    ]);
    expect(view.running).toEqual([]);
    expect(view.failed).toEqual([]);
    expect(view.notes).toEqual([]);
    expect(view.done).toBeUndefined();
  });
});

describe('reduce: service events', () => {
  it('updates the matching row and keeps deployment order whatever order events arrive in', () => {
    const view = replay([
      { type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2, message: 'started 1 tasks', startedAt: 1000 } },
      { type: 'service', progress: { service: 'custom-code-runner', phase: 'healthy', running: 2, desired: 2, startedAt: 0, finishedAt: 500 } },
    ]);
    expect(view.services.map((r) => r.service)).toEqual(SERVICES);
    expect(view.services[2]).toEqual({ service: 'api', phase: 'deploying', running: 1, desired: 2, message: 'started 1 tasks', startedAt: 1000 });
    expect(view.services[0]).toMatchObject({ phase: 'healthy', running: 2, desired: 2, finishedAt: 500 });
    expect(view.services[1]!.phase).toBe('pending');
  });

  it('appends a service it was not told about instead of dropping it', () => {
    const view = replay([{ type: 'service', progress: { service: 'extra', phase: 'creating', running: 0, desired: 1 } }]);
    expect(view.services.map((r) => r.service)).toEqual([...SERVICES, 'extra']);
    expect(view.services[3]!.phase).toBe('creating');
  });

  it('keeps the latest message and start time when a poll omits them', () => {
    const view = replay([
      { type: 'service', progress: { service: 'api', phase: 'deploying', running: 0, desired: 2, message: 'registered target', startedAt: 42 } },
      { type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2 } },
    ]);
    expect(view.services[2]).toMatchObject({ running: 1, message: 'registered target', startedAt: 42 });
  });

  it('returns the very same view for an identical poll, so React can skip the render', () => {
    const progress = { service: 'api', phase: 'deploying', running: 1, desired: 2, message: 'm', startedAt: 1 } as const;
    const once = replay([{ type: 'service', progress }]);
    expect(reduce(once, { type: 'service', progress: { ...progress } })).toBe(once);
    expect(reduce(once, { type: 'service', progress: { ...progress, running: 2 } })).not.toBe(once);
  });

  it('never mutates the view it is given', () => {
    const frozen = deepFreeze(initialProgress(SERVICES));
    const events: DeployEvent[] = [
      { type: 'step-started', stepId: 's1', title: 'Create service api', service: 'api' },
      { type: 'service', progress: { service: 'api', phase: 'creating', running: 0, desired: 2 } },
      { type: 'step-failed', stepId: 's1', title: 'Create service api', service: 'api', error: 'boom' },
      { type: 'note', message: 'n' },
      { type: 'done', outcome: 'failed', summary: ['x'] },
    ];
    expect(() => replay(events, frozen)).not.toThrow();
    expect(frozen.services[2]!.phase).toBe('pending');
  });
});

describe('reduce: steps, notes and done', () => {
  it('tracks running steps; the current one is the latest started and still running', () => {
    let view = replay([
      { type: 'step-started', stepId: 'a', title: 'Create service orchestrator', service: 'orchestrator' },
      { type: 'step-started', stepId: 'b', title: 'Create service api', service: 'api' },
    ]);
    expect(currentStep(view)?.title).toBe('Create service api');
    expect(view.running).toHaveLength(2);

    view = reduce(view, { type: 'step-finished', stepId: 'b', title: 'Create service api', outcome: 'created' });
    expect(currentStep(view)?.stepId).toBe('a');

    view = reduce(view, { type: 'step-finished', stepId: 'a', title: 'Create service orchestrator', outcome: 'unchanged' });
    expect(currentStep(view)).toBeUndefined();
  });

  it('a step\'s progress message goes on its running entry and its service\'s row; a restart clears the entry\'s', () => {
    const started = { type: 'step-started', stepId: 'a', title: 'Container App api', service: 'api' } as const;
    let view = replay([started, { type: 'step-progress', stepId: 'a', title: 'Container App api', service: 'api', message: 'waiting for Key Vault access' }]);
    expect(view.running).toEqual([{ stepId: 'a', title: 'Container App api', service: 'api', detail: 'waiting for Key Vault access' }]);
    expect(view.services[2]).toMatchObject({ service: 'api', message: 'waiting for Key Vault access' });
    view = reduce(view, started);
    expect(view.running[0]!.detail).toBeUndefined();
    // Without a service only the running entry changes.
    expect(replay([{ type: 'step-progress', stepId: 'x', title: 'Identity', message: 'waiting' }]).services.every((r) => r.message === undefined)).toBe(true);
  });

  it('keeps one entry for a retried step that starts again', () => {
    const view = replay([
      { type: 'step-started', stepId: 'a', title: 'Put secret' },
      { type: 'step-started', stepId: 'a', title: 'Put secret (retry 2)' },
    ]);
    expect(view.running).toEqual([{ stepId: 'a', title: 'Put secret (retry 2)' }]);
  });

  it('a failed step is recorded, stops running, and marks its service failed with the error', () => {
    const view = replay([
      { type: 'step-started', stepId: 'svc-api', title: 'Create service api', service: 'api' },
      { type: 'service', progress: { service: 'api', phase: 'creating', running: 0, desired: 2, startedAt: 5 } },
      { type: 'step-failed', stepId: 'svc-api', title: 'Create service api', service: 'api', error: 'AccessDenied' },
    ]);
    expect(view.running).toEqual([]);
    expect(view.failed).toEqual([{ stepId: 'svc-api', title: 'Create service api', service: 'api', error: 'AccessDenied' }]);
    expect(view.services[2]).toMatchObject({ phase: 'failed', message: 'AccessDenied', startedAt: 5 });
  });

  it('a failed step without a service leaves the rows alone', () => {
    const view = replay([{ type: 'step-failed', stepId: 'x', title: 'Check login', error: 'not logged in' }]);
    expect(view.services.every((r) => r.phase === 'pending')).toBe(true);
    expect(view.failed).toHaveLength(1);
  });

  it('collects notes in order and ends with done, which clears running steps', () => {
    const view = replay([
      { type: 'note', message: 'first' },
      { type: 'step-started', stepId: 'a', title: 'Wait for api' },
      { type: 'note', message: 'second' },
      { type: 'done', outcome: 'complete', summary: ['https://api.example.com'] },
    ]);
    expect(view.notes).toEqual(['first', 'second']);
    expect(view.running).toEqual([]);
    expect(view.done).toEqual({ outcome: 'complete', summary: ['https://api.example.com'] });
  });
});

describe('summaries and text helpers', () => {
  it('counts creating as deploying and says so in one line', () => {
    const view = replay(
      [
        { type: 'service', progress: { service: 'a', phase: 'healthy', running: 1, desired: 1 } },
        { type: 'service', progress: { service: 'b', phase: 'healthy', running: 1, desired: 1 } },
        { type: 'service', progress: { service: 'c', phase: 'creating', running: 0, desired: 1 } },
        { type: 'service', progress: { service: 'd', phase: 'deploying', running: 0, desired: 1 } },
        { type: 'service', progress: { service: 'e', phase: 'failed', running: 0, desired: 1 } },
      ],
      initialProgress(['a', 'b', 'c', 'd', 'e', 'f', 'g']),
    );
    expect(countPhases(view)).toEqual({ total: 7, healthy: 2, deploying: 2, failed: 1, pending: 2 });
    expect(summaryLine(view)).toBe('2/7 healthy · 2 deploying · 1 failed');
  });

  it('strips colour codes and control characters, and flattens to one line', () => {
    const raw = '\u001b[31mError\u001b[0m:\tbad\r\nthing\u0007 \u001b]0;title\u0007done';
    expect(stripControl(raw)).toBe('Error: bad\nthing done');
    expect(singleLine(raw)).toBe('Error: bad thing done');
  });
});
