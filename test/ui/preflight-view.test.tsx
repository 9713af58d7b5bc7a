// Frames are rendered by ink-testing-library, whose fake stdout is 100 columns wide; the
// checklist takes its width from stdout.columns unless a `width` prop is given.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import type { PreflightCheck } from '../../source/clouds/types.js';
import type { PreflightEvent } from '../../source/engine/preflight.js';
import { preflightLines, preflightSummary } from '../../source/ui/preflight-text.js';
import { PreflightChecklist } from '../../source/ui/preflight-view.js';

const TITLES = ['aws CLI installed', 'Logged in to AWS', 'Region exists', 'Harbor reachable'];

const lines = (frame: string | undefined) => (frame ?? '').split('\n');
/** Ink 6 / React 19 commit on a later tick. */
const tick = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 20)));

/** A tiny replaying emitter, like the engine's event bus: late listeners get the history. */
function emitter() {
  const history: PreflightEvent[] = [];
  const listeners = new Set<(event: PreflightEvent) => void>();
  return {
    emit(event: PreflightEvent) {
      history.push(event);
      for (const listener of listeners) listener(event);
    },
    subscribe(listener: (event: PreflightEvent) => void) {
      for (const event of history) listener(event);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

const started = (index: number): PreflightEvent => ({ type: 'check-started', index, title: TITLES[index]! });
const finished = (index: number, result: Omit<PreflightCheck, 'title'>): PreflightEvent => ({
  type: 'check-finished',
  index,
  check: { title: TITLES[index]!, ...result },
});

describe('PreflightChecklist', () => {
  it('shows pending rows, then running, then pass and fail with a fix line, then the summary', async () => {
    const bus = emitter();
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES.slice(0, 2)} />);
    await tick();
    expect(lines(lastFrame())).toEqual(['○ aws CLI installed', '○ Logged in to AWS']);

    bus.emit(started(0));
    await tick();
    bus.emit(started(1));
    await tick();
    expect(lines(lastFrame())).toEqual(['◐ aws CLI installed — checking…', '◐ Logged in to AWS — checking…']);

    bus.emit(finished(0, { ok: true, detail: 'aws-cli/2.17.0' }));
    await tick();
    expect(lines(lastFrame())).toEqual(['✔ aws CLI installed — aws-cli/2.17.0', '◐ Logged in to AWS — checking…']);

    bus.emit(finished(1, { ok: false, detail: 'Unable to locate credentials', fix: 'Run `aws configure sso` and try again.' }));
    await tick();
    expect(lines(lastFrame())).toEqual([
      '✔ aws CLI installed — aws-cli/2.17.0',
      '✖ Logged in to AWS — Unable to locate credentials',
      '    fix: Run `aws configure sso` and try again.',
      '',
      '1 of 2 checks failed. Nothing was changed in the cloud.',
    ]);
    unmount();
  });

  it('shows the note of a check that passed but differs from the guide', async () => {
    const bus = emitter();
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES.slice(0, 1)} />);
    bus.emit(finished(0, { ok: true, detail: 'membrane-api', note: 'interval 10 s (the guide: 30 s)' }));
    await tick();
    expect(lines(lastFrame())).toEqual(['✔ aws CLI installed — membrane-api', '    note: interval 10 s (the guide: 30 s)', '', 'All 1 check passed.']);
    unmount();
  });

  it('keeps the titles order when checks finish out of order, and says when all passed', async () => {
    const bus = emitter();
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES} />);
    await tick();
    for (let i = 0; i < TITLES.length; i++) bus.emit(started(i));
    await tick();
    for (const index of [3, 1, 0, 2]) {
      bus.emit(finished(index, { ok: true, detail: `detail ${index}` }));
      await tick();
      // No summary until the last one is in.
      if (index !== 2) expect(lastFrame()).not.toContain('passed.');
    }
    expect(lines(lastFrame())).toEqual([
      '✔ aws CLI installed — detail 0',
      '✔ Logged in to AWS — detail 1',
      '✔ Region exists — detail 2',
      '✔ Harbor reachable — detail 3',
      '',
      'All 4 checks passed.',
    ]);
    unmount();
  });

  it('shows events emitted before it subscribed (a replaying subscribe)', async () => {
    const bus = emitter();
    bus.emit(started(0));
    bus.emit(started(1));
    bus.emit(finished(1, { ok: true, detail: '123456789012' }));
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES.slice(0, 3)} />);
    await tick();
    expect(lines(lastFrame())).toEqual(['◐ aws CLI installed — checking…', '✔ Logged in to AWS — 123456789012', '○ Region exists']);
    unmount();
  });

  it('cuts title lines to the width but wraps the fix line whole', async () => {
    const bus = emitter();
    const width = 40;
    const detail = `The region ${'x'.repeat(80)} does not exist`;
    const fix = 'Pick one of: us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-central-1 ap-southeast-2';
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES.slice(0, 2)} width={width} />);
    await tick();
    bus.emit(started(0));
    bus.emit(finished(0, { ok: false, detail, fix }));
    bus.emit(started(1));
    bus.emit(finished(1, { ok: true, detail: `aws-cli/2.17.0 ${'Python/3.11 '.repeat(10)}` }));
    await tick();
    const all = lines(lastFrame());
    for (const line of all) expect([...line].length).toBeLessThanOrEqual(width);
    expect(all[0]!.startsWith('✖ aws CLI installed — The region xxx')).toBe(true);
    expect(all[0]!.endsWith('…')).toBe(true);
    // The fix line wraps, indented, and every word of it is shown.
    const fixLines = all.slice(1, all.findIndex((l) => l.startsWith('✔')));
    expect(fixLines.length).toBeGreaterThan(1);
    for (const line of fixLines) expect(line.startsWith('    ')).toBe(true);
    expect(fixLines.map((l) => l.trim()).join(' ')).toBe(`fix: ${fix}`);
    const passed = all.find((l) => l.startsWith('✔'))!;
    expect(passed.endsWith('…')).toBe(true);
    // The summary wraps too (after the blank line), it is never cut.
    expect(all.slice(all.indexOf('') + 1).join(' ')).toBe('1 of 2 checks failed. Nothing was changed in the cloud.');
    unmount();
  });

  it('fits the 100-column terminal by default', async () => {
    const bus = emitter();
    const { lastFrame, unmount } = render(<PreflightChecklist subscribe={bus.subscribe} titles={TITLES.slice(0, 1)} />);
    await tick();
    bus.emit(finished(0, { ok: true, detail: 'y'.repeat(300) }));
    await tick();
    for (const line of lines(lastFrame())) expect([...line].length).toBeLessThanOrEqual(100);
    expect(lines(lastFrame())[0]!.endsWith('…')).toBe(true);
    unmount();
  });
});

describe('preflightSummary', () => {
  it('counts failures, and uses the singular for one check', () => {
    expect(preflightSummary([{ ok: true }, { ok: true }])).toBe('All 2 checks passed.');
    expect(preflightSummary([{ ok: true }, { ok: false }, { ok: false }])).toBe('2 of 3 checks failed. Nothing was changed in the cloud.');
    expect(preflightSummary([{ ok: true }])).toBe('All 1 check passed.');
  });
});

describe('preflightLines', () => {
  it('prints ✔/✖ lines with the detail and an indented fix under failures that have one', () => {
    const checks: PreflightCheck[] = [
      { title: 'aws CLI installed', ok: true, detail: 'aws-cli/2.17.0', fix: 'not shown when ok' },
      { title: 'Logged in to AWS', ok: false, detail: 'Unable to locate credentials', fix: 'Run `aws configure sso`.' },
      { title: 'Region exists', ok: false, detail: 'no region "eu-west-9"' },
    ];
    expect(preflightLines(checks)).toEqual([
      '✔ aws CLI installed — aws-cli/2.17.0',
      '✖ Logged in to AWS — Unable to locate credentials',
      '    fix: Run `aws configure sso`.',
      '✖ Region exists — no region "eu-west-9"',
    ]);
    expect(preflightLines([])).toEqual([]);
  });

  it('prints the note of a pass that differs from the guide under it, and never a note under a failure', () => {
    const checks: PreflightCheck[] = [
      { title: 'Target groups', ok: true, detail: 'membrane-api (ip, HTTP:5000)', note: 'interval 10 s (the guide: 30 s); to match:\naws elbv2 modify-target-group …' },
      { title: 'Region exists', ok: false, detail: 'no region', note: 'not shown when failed' },
    ];
    expect(preflightLines(checks)).toEqual([
      '✔ Target groups — membrane-api (ip, HTTP:5000)',
      '    note: interval 10 s (the guide: 30 s); to match:',
      '          aws elbv2 modify-target-group …',
      '✖ Region exists — no region',
    ]);
  });
});
