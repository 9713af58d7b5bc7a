// The journal of --name in --state-dir. Its own module so that status loads only the journal,
// not the answers, clouds and exec layers that the other commands need.
import type { CliOptions } from '../args.js';
import { deploymentDir, Journal, stateRoot } from '../engine/journal.js';

export function openJournal(options: CliOptions, stateDir = options.stateDir): Journal {
  return new Journal(deploymentDir(stateRoot(stateDir), options.name));
}
