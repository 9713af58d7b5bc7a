// The preflight checklist's state, folded from the preflight events: one row per check, in the
// adapter's order. Pure, like progress-store.ts: no clock, no timers, no IO, so a replayed
// history gives the same rows and the Ink checklist only renders them.
import type { PreflightEvent } from '../engine/preflight.js';

export type PreflightRowState = 'pending' | 'running' | 'passed' | 'failed';

export interface PreflightRow {
  title: string;
  state: PreflightRowState;
  /** Set once the check has finished. */
  detail?: string;
  /** Set when the check failed and said how to fix it. */
  fix?: string;
  /** Set when the check passed but differs from the guide, and said how to match it. */
  note?: string;
}

/** The rows before any event: every known check pending. */
export function initialPreflight(titles: string[]): PreflightRow[] {
  return titles.map((title) => ({ title, state: 'pending' }));
}

/**
 * Folds one event into the rows. Rows are addressed by the check's index, so the order is the
 * adapter's whatever order the checks finish in.
 */
export function reducePreflight(rows: PreflightRow[], event: PreflightEvent): PreflightRow[] {
  const next = rows.slice();
  // An index beyond the known titles (none were given): grow the list to reach it.
  for (let i = next.length; i <= event.index; i++) next.push({ title: `check ${i + 1}`, state: 'pending' });
  const previous = next[event.index]!;
  switch (event.type) {
    case 'check-started':
      // A late or replayed start never undoes a result.
      if (isFinished(previous)) return rows;
      next[event.index] = { title: event.title || previous.title, state: 'running' };
      return next;
    case 'check-finished': {
      const { check } = event;
      next[event.index] = {
        title: check.title || previous.title,
        state: check.ok ? 'passed' : 'failed',
        detail: check.detail,
        ...(!check.ok && check.fix ? { fix: check.fix } : {}),
        ...(check.ok && check.note ? { note: check.note } : {}),
      };
      return next;
    }
  }
}

const isFinished = (row: PreflightRow) => row.state === 'passed' || row.state === 'failed';

/** True when there is at least one check and every check has finished. */
export function preflightDone(rows: PreflightRow[]): boolean {
  return rows.length > 0 && rows.every(isFinished);
}
