// One installer per deployment at a time: a lock file holding the owner's PID and a token of
// its own. It appears whole or not at all (written aside, then hard-linked into place, which
// fails when a lock exists). A lock whose process is gone (a crash, kill -9) is stale: it is
// renamed away first, so of several installers taking it over at once only one succeeds.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { isRunning } from '../exec/process.js';

/** The file's content, or undefined when it is gone (another installer moved it). */
function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Takes the lock of the deployment in `dir`, or throws naming who holds it. Returns the release. */
export function lockDeployment(dir: string, name: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'lock');
  const unique = () => `${path}.${process.pid}-${randomBytes(6).toString('hex')}`;
  const mine = `${process.pid}\n${randomBytes(8).toString('hex')}\n`;
  const staged = unique();
  writeFileSync(staged, mine, { flag: 'wx', mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(staged, path);
        return () => {
          if (readIfPresent(path) === mine) rmSync(path, { force: true });
        };
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const seen = readIfPresent(path);
      if (seen === undefined) continue;
      const owner = Number.parseInt(seen, 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new UsageError(`Deployment "${name}" is being changed by another installer (process ${owner}). Wait for it to finish, or stop it, then run again.`);
      }
      // Stale: move it aside. Only one installer's rename finds it; the others get ENOENT.
      const moved = unique();
      try {
        renameSync(path, moved);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') continue;
        throw error;
      }
      // Taken over by another installer between our read and our rename: give it back.
      if (readFileSync(moved, 'utf8') !== seen) {
        try {
          linkSync(moved, path);
        } catch (error) {
          if (errorCode(error) !== 'EEXIST') throw error;
        }
      }
      rmSync(moved, { force: true });
    }
  } finally {
    rmSync(staged, { force: true });
  }
  throw new UsageError(`Could not take the lock ${path}; another installer keeps taking it.`);
}
