// The troubleshooting checklist's state, folded from the runner's events: each item's result,
// whether every probe has run, and the diagnosis derived from them. Pure, like
// progress-store.ts: the Ink checklist, the plain report and the exit code read the same state.
import type { Cause, ChecklistItem, Finding } from '../troubleshoot/checklist.js';
import type { ChecklistEvent } from '../troubleshoot/run.js';

export type ItemState = 'pending' | 'running' | 'pass' | 'fail' | 'skip' | 'manual' | 'done';

export interface ItemResult {
  item: ChecklistItem;
  state: ItemState;
  finding?: Finding;
}

export interface ChecklistState {
  /** One per item, in the checklist's order. */
  results: ItemResult[];
  /** True once every probe has run: the diagnosis is final. */
  finished: boolean;
}

export interface Diagnosis {
  /** Absent when nothing failed. */
  cause?: Cause;
  summary: string;
}

export function initialChecklist(items: ChecklistItem[]): ChecklistState {
  return { results: items.map((item) => ({ item, state: item.manual ? 'manual' : 'pending' })), finished: false };
}

export function reduceChecklist(state: ChecklistState, event: ChecklistEvent): ChecklistState {
  switch (event.type) {
    case 'item-started':
      // A re-run forgets the old finding: the row shows the probe running, not a stale result.
      return update(state, event.id, (r) => ({ item: r.item, state: 'running' }));
    case 'item-finished':
      return update(state, event.id, (r) => ({ item: r.item, state: event.finding.state, finding: event.finding }));
    case 'item-marked-done':
      return update(state, event.id, (r) => ({ ...r, state: event.done ? 'done' : 'manual' }));
    case 'finished':
      return { ...state, finished: true };
  }
}

function update(state: ChecklistState, id: string, change: (result: ItemResult) => ItemResult): ChecklistState {
  return { ...state, results: state.results.map((r) => (r.item.id === id ? change(r) : r)) };
}

/** The heaviest cause among the failed items; otherwise what the results add up to. */
export function diagnose(state: ChecklistState): Diagnosis {
  const { results } = state;
  const causes = results.flatMap((r) => (r.state === 'fail' && r.finding?.cause ? [r.finding.cause] : []));
  const cause = causes.sort((a, b) => b.weight - a.weight)[0];
  if (cause) return { cause, summary: cause.title };
  // A failed item that explains no failure (a way in that is shut) still needs a look.
  const attention = results.filter((r) => r.state === 'fail').length;
  if (attention) return { summary: `No cause of a failure found; ${attention === 1 ? 'one item needs' : `${attention} items need`} a look (✖ above).` };
  const skipped = results.filter((r) => r.state === 'skip').length;
  return { summary: skipped ? `No failure found (${skipped} items could not be checked).` : 'No failure found: every check passed.' };
}
