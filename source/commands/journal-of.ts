// The journal of --name in --state-dir. Its own module so that status loads only the journal,
// not the answers, clouds and exec layers that the other commands need.
import type { CliOptions } from '../args.js';
import { join } from 'node:path';
import { deploymentDir, Journal, stateRoot } from '../engine/journal.js';

/** Demo deployments live apart from real ones, so `status` and `resume` never mix them up. */
export function openJournal(options: Pick<CliOptions, 'name' | 'stateDir' | 'demo'>): Journal {
  const root = options.stateDir ?? (options.demo ? join(stateRoot(), 'demo') : stateRoot());
  return new Journal(deploymentDir(root, options.name));
}
