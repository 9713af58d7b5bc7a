// One installer per deployment at a time: a lock file holding the owner's PID, created
// exclusively. A lock whose process is gone (a crash, kill -9) is stale and taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of the deployment in `dir`, or throws naming who holds it. Returns the release. */
export function lockDeployment(dir: string, name: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new UsageError(`Deployment "${name}" is being changed by another installer (process ${owner}). Wait for it to finish, or stop it, then run again.`);
    }
    // Stale: its owner is gone. Remove it and try again to take it exclusively.
    rmSync(path, { force: true });
  }
  throw new UsageError(`Could not take the lock ${path}; another installer keeps taking it.`);
}
