// One batched read that answers the first look of several steps: one list-secrets for the five
// secret steps, one describe-services for a wave's services. Each key's answer is handed out
// once: a step that looks again (its retry, after a lost answer) reads for itself, so no step
// ever trusts an answer older than its own last command.
import type { Runner } from '../exec/runner.js';

/** `found`: what the batch says of the key (null: it does not exist). undefined: read it yourself. */
export type FirstLook<T> = (key: string, runner: Runner) => Promise<{ found: T | null } | undefined>;

/** `read` answers every key at once, or undefined when it cannot (a permission it lacks): each step then reads alone. */
export function firstLook<T>(read: (runner: Runner) => Promise<Map<string, T> | undefined>): FirstLook<T> {
  let batch: Promise<Map<string, T> | undefined> | undefined;
  const given = new Set<string>();
  return async (key, runner) => {
    if (given.has(key)) return undefined;
    given.add(key);
    batch ??= read(runner).catch(() => undefined);
    const answers = await batch;
    return answers && { found: answers.get(key) ?? null };
  };
}
