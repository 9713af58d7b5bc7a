// The preflight store folded from event lists: rows by index, results that stay, done once all are in.
import { describe, expect, it } from 'vitest';
import type { PreflightCheck } from '../../source/clouds/types.js';
import type { PreflightEvent } from '../../source/engine/preflight.js';
import { initialPreflight, preflightDone, reducePreflight } from '../../source/ui/preflight-store.js';

const TITLES = ['aws CLI installed', 'Logged in to AWS', 'Region exists', 'Harbor reachable'];

const started = (index: number): PreflightEvent => ({ type: 'check-started', index, title: TITLES[index]! });
const finished = (index: number, result: Omit<PreflightCheck, 'title'>): PreflightEvent => ({
  type: 'check-finished',
  index,
  check: { title: TITLES[index]!, ...result },
});

describe('reducePreflight', () => {
  it('moves a row from pending to running to its result, addressed by index', () => {
    let rows = initialPreflight(TITLES);
    expect(rows.map((r) => r.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    rows = reducePreflight(rows, started(1));
    expect(rows[1]).toEqual({ title: 'Logged in to AWS', state: 'running' });
    rows = reducePreflight(rows, finished(1, { ok: false, detail: 'no credentials', fix: 'run aws configure' }));
    expect(rows[1]).toEqual({ title: 'Logged in to AWS', state: 'failed', detail: 'no credentials', fix: 'run aws configure' });
    rows = reducePreflight(rows, finished(0, { ok: true, detail: 'aws-cli/2.17.0', fix: 'ignored when ok' }));
    expect(rows[0]).toEqual({ title: 'aws CLI installed', state: 'passed', detail: 'aws-cli/2.17.0' });
  });

  it('does not let a late start undo a result, and grows for unknown indexes', () => {
    const done = reducePreflight(initialPreflight(TITLES), finished(0, { ok: true, detail: 'v2' }));
    expect(reducePreflight(done, started(0))).toBe(done);
    const grown = reducePreflight([], { type: 'check-started', index: 1, title: 'Second' });
    expect(grown.map((r) => [r.title, r.state])).toEqual([
      ['check 1', 'pending'],
      ['Second', 'running'],
    ]);
  });

  it('is pure: the input rows are left unchanged', () => {
    const rows = initialPreflight(TITLES);
    const copy = structuredClone(rows);
    reducePreflight(rows, started(0));
    reducePreflight(rows, finished(2, { ok: true, detail: 'eu-west-1' }));
    expect(rows).toEqual(copy);
  });
});

describe('preflightDone', () => {
  it('is true only once every check has finished, whatever order the events came in', () => {
    const events = [started(0), started(1), started(2), started(3), finished(2, { ok: true, detail: 'eu-west-1' }), finished(0, { ok: true, detail: 'v2' }), finished(3, { ok: false, detail: 'timeout' })];
    const rows = events.reduce(reducePreflight, initialPreflight(TITLES));
    expect(rows.map((r) => r.state)).toEqual(['passed', 'running', 'passed', 'failed']);
    expect(preflightDone(rows)).toBe(false);
    expect(preflightDone(reducePreflight(rows, finished(1, { ok: true, detail: '123456789012' })))).toBe(true);
    // No checks at all is not "done": there is nothing to summarise.
    expect(preflightDone(initialPreflight([]))).toBe(false);
  });
});
