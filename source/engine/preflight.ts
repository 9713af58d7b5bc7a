// Runs the adapter's read-only checks concurrently, telling the view as each one ends.
import type { PreflightCheck, PreflightCheckDefinition } from '../clouds/types.js';

export type PreflightEvent =
  | { type: 'check-started'; index: number; title: string }
  | { type: 'check-finished'; index: number; check: PreflightCheck };

export async function runPreflight(definitions: PreflightCheckDefinition[], emit: (event: PreflightEvent) => void): Promise<PreflightCheck[]> {
  return Promise.all(
    definitions.map(async (definition, index) => {
      emit({ type: 'check-started', index, title: definition.title });
      const check = { title: definition.title, ...(await definition.run()) };
      emit({ type: 'check-finished', index, check });
      return check;
    }),
  );
}
