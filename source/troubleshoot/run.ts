// Runs a checklist top to bottom, keeping each item's state, and names the most likely cause.
// The views (Ink and plain text) read the same state; this module does no printing.
import type { Cause, ChecklistItem, Finding } from './checklist.js';

export type ItemState = 'pending' | 'running' | 'pass' | 'fail' | 'skip' | 'manual' | 'done';

export interface ItemResult {
  item: ChecklistItem;
  state: ItemState;
  finding?: Finding;
}

export interface Diagnosis {
  /** Absent when nothing failed. */
  cause?: Cause;
  summary: string;
}

export class ChecklistRun {
  readonly results: ItemResult[];
  /** True once every probe has run: the diagnosis is final. */
  finished = false;
  private readonly listeners = new Set<() => void>();

  constructor(items: ChecklistItem[]) {
    this.results = items.map((item) => ({ item, state: item.manual ? 'manual' : 'pending' }));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every probe in order; one at a time, so the list fills top to bottom. */
  async runAll(): Promise<void> {
    for (const result of this.results) if (result.item.probe) await this.run(result.item.id);
    this.finished = true;
    for (const listener of this.listeners) listener();
  }

  async run(id: string): Promise<void> {
    const result = this.find(id);
    if (!result?.item.probe) return;
    this.update(result, { state: 'running', finding: undefined });
    let finding: Finding;
    try {
      finding = await result.item.probe();
    } catch (error) {
      // A probe that could not run is a skip with its reason, never a crash of the checklist.
      finding = { state: 'skip', summary: `could not check: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, evidence: [] };
    }
    this.update(result, { state: finding.state, finding });
  }

  /** A person did the manual step; toggles back when pressed again. */
  markDone(id: string): void {
    const result = this.find(id);
    if (!result?.item.manual) return;
    this.update(result, { state: result.state === 'done' ? 'manual' : 'done' });
  }

  diagnosis(): Diagnosis {
    const causes = this.results.flatMap((r) => (r.state === 'fail' && r.finding?.cause ? [r.finding.cause] : []));
    const cause = causes.sort((a, b) => b.weight - a.weight)[0];
    if (cause) return { cause, summary: cause.title };
    // A failed item that explains no failure (a way in that is shut) still needs a look.
    const attention = this.results.filter((r) => r.state === 'fail').length;
    if (attention) return { summary: `No cause of a failure found; ${attention === 1 ? 'one item needs' : `${attention} items need`} a look (✖ above).` };
    const skipped = this.results.filter((r) => r.state === 'skip').length;
    return { summary: skipped ? `No failure found (${skipped} items could not be checked).` : 'No failure found: every check passed.' };
  }

  private find(id: string): ItemResult | undefined {
    return this.results.find((r) => r.item.id === id);
  }

  private update(result: ItemResult, change: Partial<ItemResult>): void {
    Object.assign(result, change);
    for (const listener of this.listeners) listener();
  }
}
