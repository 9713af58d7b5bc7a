// Runs a checklist top to bottom and tells the views as it goes, as the engine does for a
// deployment: events on a bus, folded by ui/checklist-store.ts. This module keeps no state and
// does no printing.
import type { ChecklistItem, Finding } from './checklist.js';

export type ChecklistEvent =
  | { type: 'item-started'; id: string }
  | { type: 'item-finished'; id: string; finding: Finding }
  /** A person ticked (done) or unticked a manual step. */
  | { type: 'item-marked-done'; id: string; done: boolean }
  /** Every probe has run once: the diagnosis is final (a later re-run still updates it). */
  | { type: 'finished' };

export interface ChecklistRunner {
  /** Every probe at once, each bounded (PROBE_TIMEOUT_MS); the store keeps the list in order. */
  runAll(): Promise<void>;
  /** Runs one probe (again); a manual step has none and is left alone. */
  run(id: string): Promise<void>;
  markDone(id: string, done: boolean): void;
}

/** However a CLI or a registry behaves, a probe ends within this, as a skip that says so. */
export const PROBE_TIMEOUT_MS = 45_000;

export function createChecklistRunner(items: ChecklistItem[], emit: (event: ChecklistEvent) => void, timeoutMs = PROBE_TIMEOUT_MS): ChecklistRunner {
  const find = (id: string) => items.find((item) => item.id === id);

  async function run(id: string): Promise<void> {
    const probe = find(id)?.probe;
    if (!probe) return;
    emit({ type: 'item-started', id });
    let finding: Finding;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      finding = await Promise.race([probe(), timedOut]);
    } catch (error) {
      // A probe that could not run is a skip with its reason, never a crash of the checklist.
      finding = { state: 'skip', summary: `could not check: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, evidence: [] };
    }
    clearTimeout(timer);
    emit({ type: 'item-finished', id, finding });
  }

  return {
    async runAll() {
      await Promise.all(items.filter((item) => item.probe).map((item) => run(item.id)));
      emit({ type: 'finished' });
    },
    run,
    markDone(id, done) {
      if (find(id)?.manual) emit({ type: 'item-marked-done', id, done });
    },
  };
}
