// The checklist store folded from event lists: each item's result, the finished flag, and the
// diagnosis derived from them, with no runner and no probes involved.
import { describe, expect, it } from 'vitest';
import type { ChecklistItem, Finding } from '../../source/troubleshoot/checklist.js';
import type { ChecklistEvent } from '../../source/troubleshoot/run.js';
import { diagnose, initialChecklist, reduceChecklist, type ChecklistState } from '../../source/ui/checklist-store.js';

const ITEMS: ChecklistItem[] = [
  { id: 'logs:api', symptom: 'start', service: 'api', title: 'api: recent logs', probe: async () => pass },
  { id: 'databases', symptom: 'start', title: 'MongoDB and Redis reachable', manual: { command: 'nc -zv mongo 27017', expect: 'succeeded' } },
  { id: 'registry-login', symptom: 'pull', title: 'Registry login', probe: async () => pass },
  { id: 'grace', symptom: 'health', title: 'Start period', probe: async () => pass },
];

const pass: Finding = { state: 'pass', summary: 'logged in', evidence: [] };
const skip: Finding = { state: 'skip', summary: 'could not check: no password', evidence: [] };
const mongoDown: Finding = {
  state: 'fail',
  summary: 'the service cannot reach MongoDB or Redis',
  evidence: ['MongoServerSelectionError'],
  cause: { symptom: 'start', title: 'api cannot reach MongoDB or Redis', fix: 'Check MEMBRANE_MONGO_URI.', weight: 90 },
};
const shortGrace: Finding = {
  state: 'fail',
  summary: '30 s to start',
  evidence: [],
  cause: { symptom: 'health', title: 'api gets only 30 s to start', fix: 'Allow 60 s.', weight: 50 },
};
const portShut: Finding = { state: 'fail', summary: 'port 443 is shut', evidence: [] };

const replay = (events: ChecklistEvent[]): ChecklistState => events.reduce(reduceChecklist, initialChecklist(ITEMS));
const states = (state: ChecklistState) => state.results.map((r) => r.state);

describe('reduceChecklist', () => {
  it('starts with probes pending and manual steps unticked, not finished', () => {
    const state = initialChecklist(ITEMS);
    expect(states(state)).toEqual(['pending', 'manual', 'pending', 'pending']);
    expect(state.finished).toBe(false);
    expect(state.results.map((r) => r.item)).toEqual(ITEMS);
  });

  it('moves an item to running and then to its finding, and sets finished at the end', () => {
    const running = replay([{ type: 'item-started', id: 'logs:api' }]);
    expect(running.results[0]).toEqual({ item: ITEMS[0], state: 'running' });
    const state = replay([
      { type: 'item-started', id: 'logs:api' },
      { type: 'item-finished', id: 'logs:api', finding: mongoDown },
      { type: 'item-started', id: 'registry-login' },
      { type: 'item-finished', id: 'registry-login', finding: skip },
      { type: 'item-started', id: 'grace' },
      { type: 'item-finished', id: 'grace', finding: pass },
      { type: 'finished' },
    ]);
    expect(states(state)).toEqual(['fail', 'manual', 'skip', 'pass']);
    expect(state.results[0]!.finding).toBe(mongoDown);
    expect(state.finished).toBe(true);
  });

  it('forgets the old finding when an item runs again, and takes the new one', () => {
    const rerun = replay([
      { type: 'item-finished', id: 'logs:api', finding: mongoDown },
      { type: 'finished' },
      { type: 'item-started', id: 'logs:api' },
    ]);
    expect(rerun.results[0]).toEqual({ item: ITEMS[0], state: 'running' });
    expect(rerun.finished).toBe(true);
    expect(reduceChecklist(rerun, { type: 'item-finished', id: 'logs:api', finding: pass }).results[0]).toEqual({ item: ITEMS[0], state: 'pass', finding: pass });
  });

  it('ticks and unticks a manual step', () => {
    const ticked = replay([{ type: 'item-marked-done', id: 'databases', done: true }]);
    expect(ticked.results[1]!.state).toBe('done');
    expect(reduceChecklist(ticked, { type: 'item-marked-done', id: 'databases', done: false }).results[1]!.state).toBe('manual');
  });

  it('leaves the other items, and the input state, unchanged', () => {
    const before = initialChecklist(ITEMS);
    const copy = { ...before, results: before.results.map((r) => ({ ...r })) };
    const after = reduceChecklist(before, { type: 'item-finished', id: 'grace', finding: pass });
    expect(before).toEqual(copy);
    expect(after.results.slice(0, 3)).toEqual(before.results.slice(0, 3));
    // An id the checklist does not have changes nothing.
    expect(reduceChecklist(before, { type: 'item-started', id: 'unknown' })).toEqual(before);
  });
});

describe('diagnose', () => {
  const finish = (...findings: Array<[string, Finding]>) => replay([...findings.map(([id, finding]): ChecklistEvent => ({ type: 'item-finished', id, finding })), { type: 'finished' }]);

  it('names the heaviest cause among the failed items', () => {
    expect(diagnose(finish(['grace', shortGrace], ['logs:api', mongoDown]))).toEqual({ cause: mongoDown.cause, summary: 'api cannot reach MongoDB or Redis' });
  });

  it('asks for a look when items failed without a cause', () => {
    expect(diagnose(finish(['logs:api', portShut])).summary).toBe('No cause of a failure found; one item needs a look (✖ above).');
    expect(diagnose(finish(['logs:api', portShut], ['grace', portShut])).summary).toBe('No cause of a failure found; 2 items need a look (✖ above).');
  });

  it('says no failure was found, counting the items that could not be checked', () => {
    expect(diagnose(finish(['logs:api', pass], ['registry-login', skip], ['grace', pass]))).toEqual({ summary: 'No failure found (1 items could not be checked).' });
    expect(diagnose(finish(['logs:api', pass], ['registry-login', pass], ['grace', pass]))).toEqual({ summary: 'No failure found: every check passed.' });
  });

  it('ignores a cause whose item passed on a re-run', () => {
    const fixed = replay([
      { type: 'item-finished', id: 'logs:api', finding: mongoDown },
      { type: 'item-started', id: 'logs:api' },
      { type: 'item-finished', id: 'logs:api', finding: pass },
    ]);
    expect(diagnose(fixed).cause).toBeUndefined();
  });
});
