// Frames are rendered by ink-testing-library, whose fake stdout is 100 columns wide; the table
// takes its width from stdout.columns unless a `width` prop is given (used below for 60).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import type { DeployEvent, EventListener } from '../../source/engine/events.js';
import { COLUMNS, LiveDeployment, LiveTable, type Column } from '../../source/ui/live-table.js';
import { formatElapsed } from '../../source/ui/progress-store.js';
import { initialProgress, reduce } from '../../source/ui/progress-store.js';

const SERVICES = ['custom-code-runner', 'orchestrator', 'queued-worker', 'instant-worker', 'api', 'ui', 'console'];
const LONG = '(service api) has started 1 tasks: (task 0123456789abcdef0123456789abcdef). '.repeat(4);

const viewOf = (events: DeployEvent[]) => events.reduce(reduce, initialProgress(SERVICES));
const lines = (frame: string | undefined) => (frame ?? '').split('\n');
/** The line of a service's row (rows start with the service name). */
const rowOf = (frame: string | undefined, service: string) => lines(frame).find((l) => l.startsWith(`${service} `)) ?? '';
/** Ink 6 / React 19 commit on a later tick. */
const tick = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 20)));

const sample = viewOf([
  { type: 'service', progress: { service: 'custom-code-runner', phase: 'healthy', running: 2, desired: 2, startedAt: 0, finishedAt: 65_000, message: 'steady state' } },
  { type: 'service', progress: { service: 'orchestrator', phase: 'failed', running: 0, desired: 2, startedAt: 1_000, finishedAt: 3_000, message: 'CannotPullContainerError' } },
  { type: 'service', progress: { service: 'queued-worker', phase: 'creating', running: 0, desired: 1, startedAt: 70_000 } },
  { type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2, startedAt: 10_000, message: LONG } },
  { type: 'step-started', stepId: 'wait-api', title: 'Wait for api to become healthy', service: 'api' },
  { type: 'note', message: 'Harbor login ok' },
]);

afterEach(() => {
  vi.useRealTimers();
});

describe('formatElapsed', () => {
  it('prints m:ss, clamps negatives, and keeps counting minutes past an hour', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(65_999)).toBe('1:05');
    expect(formatElapsed(-5_000)).toBe('0:00');
    expect(formatElapsed(3_725_000)).toBe('62:05');
  });
});

describe('LiveTable', () => {
  it('renders a header and one row per service in deployment order', () => {
    const { lastFrame } = render(<LiveTable view={sample} now={75_000} />);
    const all = lines(lastFrame());
    expect(all[0]).toMatch(/^SERVICE\s+STATE\s+TASKS\s+ELAPSED\s+LATEST EVENT$/);
    const order = all.slice(1, 1 + SERVICES.length).map((l) => l.split(/\s+/)[0]);
    expect(order).toEqual(SERVICES);
  });

  it('takes its header and cells from the column list, in its order', () => {
    const header = lines(render(<LiveTable view={sample} now={75_000} />).lastFrame())[0]!;
    expect(header.split(/\s{2,}/)).toEqual(COLUMNS.map((column) => column.header));

    // One entry more is one column more: its header, and each row's cell under it.
    const wanted = 8;
    const desired: Column = { header: 'WANTED', width: wanted, cell: (row) => `${row.desired}x` };
    const columns = [COLUMNS[0]!, desired, ...COLUMNS.slice(1)];
    const frame = render(<LiveTable view={sample} now={75_000} columns={columns} />).lastFrame();
    const [top = ''] = lines(frame);
    expect(top.split(/\s{2,}/)).toEqual(['SERVICE', 'WANTED', 'STATE', 'TASKS', 'ELAPSED', 'LATEST EVENT']);
    const at = top.indexOf('WANTED');
    for (const service of SERVICES) {
      const row = rowOf(frame, service);
      expect(row.slice(at, at + wanted).trim()).toBe(desired.cell(sample.services.find((r) => r.service === service)!, 75_000));
    }
    expect(rowOf(frame, 'orchestrator')).toMatch(/^orchestrator\s+2x\s+✖ failed\s+0\/2\s+0:02\s+CannotPullContainerError$/);
    for (const line of lines(frame)) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('shows what a step waits for on its service row and after the current step', () => {
    const view = viewOf([
      { type: 'step-started', stepId: 'app:api', title: 'Container App membrane-api', service: 'api' },
      { type: 'step-progress', stepId: 'app:api', title: 'Container App membrane-api', service: 'api', message: 'waiting for Key Vault access to propagate' },
    ]);
    const frame = render(<LiveTable view={view} now={0} />).lastFrame();
    expect(rowOf(frame, 'api')).toMatch(/waiting for Key Vault access to propagate$/);
    expect(lines(frame)).toContain('▸ Container App membrane-api — waiting for Key Vault access to propagate');
  });

  it('shows state glyphs, task counts and elapsed time from a fixed now', () => {
    const { lastFrame } = render(<LiveTable view={sample} now={75_000} />);
    const frame = lastFrame();
    // Healthy and failed rows freeze at finishedAt; running rows count up to `now`.
    expect(rowOf(frame, 'custom-code-runner')).toMatch(/✔ healthy\s+2\/2\s+1:05\s+steady state$/);
    expect(rowOf(frame, 'orchestrator')).toMatch(/✖ failed\s+0\/2\s+0:02\s+CannotPullContainerError$/);
    expect(rowOf(frame, 'queued-worker')).toMatch(/◐ creating\s+0\/1\s+0:05$/);
    expect(rowOf(frame, 'api')).toMatch(/◐ deploying\s+1\/2\s+1:05\s+\(service api\) has started 1 tasks/);
    expect(rowOf(frame, 'console')).toMatch(/○ pending\s+0\/0\s+–$/);
  });

  it('shows the current step, notes and the summary line under the rows', () => {
    const { lastFrame } = render(<LiveTable view={sample} now={75_000} />);
    const all = lines(lastFrame());
    expect(all).toContain('▸ Wait for api to become healthy');
    expect(all).toContain('• Harbor login ok');
    expect(all[all.length - 1]).toBe('1/7 healthy · 2 deploying · 1 failed');
  });

  it('cuts a long message with an ellipsis so no line exceeds the 100-column terminal', () => {
    const { lastFrame } = render(<LiveTable view={sample} now={75_000} />);
    const api = rowOf(lastFrame(), 'api');
    expect(api.endsWith('…')).toBe(true);
    expect(api).not.toContain(LONG.trim());
    for (const line of lines(lastFrame())) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('honours an explicit width, also for long steps, errors and notes', () => {
    const view = viewOf([
      { type: 'service', progress: { service: 'api', phase: 'deploying', running: 0, desired: 2, startedAt: 0, message: LONG } },
      { type: 'step-started', stepId: 's', title: `Create service ${'x'.repeat(120)}` },
      { type: 'step-failed', stepId: 'f', title: 'Put secret', error: `multi\nline\n${'e'.repeat(120)}` },
      { type: 'note', message: 'n'.repeat(200) },
    ]);
    const { lastFrame } = render(<LiveTable view={view} now={1_000} width={60} />);
    const all = lines(lastFrame());
    for (const line of all) expect([...line].length).toBeLessThanOrEqual(60);
    expect(all.some((l) => l.startsWith('✖ Put secret: multi line'))).toBe(true);
    expect(rowOf(lastFrame(), 'api').endsWith('…')).toBe(true);
  });

  it('wraps an error instead of cutting it, so the whole message stays readable', () => {
    const view = viewOf([
      { type: 'step-failed', stepId: 'f', title: 'Put secret', error: `AccessDenied ${'e'.repeat(60)} END` },
      { type: 'done', outcome: 'interrupted', summary: ['printed by the mount, below the last frame'] },
    ]);
    const { lastFrame } = render(<LiveTable view={view} now={1_000} width={60} />);
    const all = lines(lastFrame());
    for (const line of all) expect([...line].length).toBeLessThanOrEqual(60);
    expect(all.join('')).toContain('END');
    expect(all.at(-1)).toBe('■ Deployment interrupted');
  });

  it('ends with the outcome and the summary lines when done', () => {
    const view = viewOf([
      { type: 'service', progress: { service: 'api', phase: 'healthy', running: 2, desired: 2, startedAt: 0, finishedAt: 1_000 } },
      { type: 'done', outcome: 'complete', summary: ['API: https://api.example.com'] },
    ]);
    const { lastFrame } = render(<LiveTable view={view} now={9_000} />);
    const all = lines(lastFrame());
    expect(all.slice(-2)).toEqual(['1/7 healthy · 0 deploying · 0 failed', '✔ Deployment complete']);
    expect(lastFrame()).not.toContain('https://api.example.com');
    expect(all.some((l) => l.startsWith('▸'))).toBe(false);
  });
});

describe('LiveDeployment', () => {
  function emitter() {
    const listeners = new Set<EventListener>();
    return {
      listeners,
      subscribe: (listener: EventListener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      emit: (event: DeployEvent) => listeners.forEach((l) => l(event)),
    };
  }

  it('re-renders as events arrive and unsubscribes on unmount', async () => {
    const engine = emitter();
    const { lastFrame, unmount } = render(<LiveDeployment subscribe={engine.subscribe} services={SERVICES} />);
    await tick();
    expect(engine.listeners.size).toBe(1);
    expect(rowOf(lastFrame(), 'api')).toMatch(/○ pending\s+0\/0/);

    engine.emit({ type: 'step-started', stepId: 'svc-api', title: 'Create service api', service: 'api' });
    await tick();
    engine.emit({ type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2, startedAt: Date.now(), message: 'has started 1 tasks' } });
    await tick();
    expect(rowOf(lastFrame(), 'api')).toMatch(/◐ deploying\s+1\/2\s+0:00\s+has started 1 tasks$/);
    expect(lines(lastFrame())).toContain('▸ Create service api');

    engine.emit({ type: 'service', progress: { service: 'api', phase: 'healthy', running: 2, desired: 2 } });
    await tick();
    expect(rowOf(lastFrame(), 'api')).toMatch(/✔ healthy\s+2\/2/);
    expect(lines(lastFrame())).toContain('1/7 healthy · 0 deploying · 0 failed');

    unmount();
    expect(engine.listeners.size).toBe(0);
  });

  it('ticks elapsed time once a second with one interval, cleared on unmount', async () => {
    // Only the clock and intervals are fake; Ink and React still get real ticks.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(100_000);
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    const engine = emitter();
    const { lastFrame, unmount } = render(<LiveDeployment subscribe={engine.subscribe} services={['api']} />);
    await tick();
    engine.emit({ type: 'service', progress: { service: 'api', phase: 'deploying', running: 0, desired: 1, startedAt: 100_000 } });
    await tick();
    expect(rowOf(lastFrame(), 'api')).toMatch(/0\/1\s+0:00/);

    vi.advanceTimersByTime(65_000);
    await tick();
    expect(rowOf(lastFrame(), 'api')).toMatch(/0\/1\s+1:05/);

    const ours = setSpy.mock.calls.filter(([, ms]) => ms === 1000);
    expect(ours).toHaveLength(1);
    const timer = setSpy.mock.results[setSpy.mock.calls.indexOf(ours[0]!)]!.value;
    unmount();
    expect(clearSpy).toHaveBeenCalledWith(timer);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops ticking once the deployment is done', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(0);
    const engine = emitter();
    const { lastFrame, unmount } = render(<LiveDeployment subscribe={engine.subscribe} services={['api']} />);
    await tick();
    engine.emit({ type: 'service', progress: { service: 'api', phase: 'failed', running: 0, desired: 1, startedAt: 0, finishedAt: 2_000 } });
    engine.emit({ type: 'done', outcome: 'failed', summary: ['resume with: npx create-membrane-deploy resume'] });
    await tick();
    expect(vi.getTimerCount()).toBe(0);
    const all = lines(lastFrame());
    expect(all).toContain('✖ Deployment failed');
    expect(rowOf(lastFrame(), 'api')).toMatch(/✖ failed\s+0\/1\s+0:02/);
    unmount();
  });
});
