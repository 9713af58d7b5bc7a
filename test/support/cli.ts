// Runs the BUILT CLI (dist/cli.js) as a user would, without a TTY.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Tests and the bench run from the repository root.
export const CLI = join(process.cwd(), 'dist', 'cli.js');

export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** Canary secrets: tests grep every output and file for them. */
export const CANARY_SECRETS = {
  MEMBRANE_SECRET: 'canary-jwt-Q7x1Zp9L0s',
  MEMBRANE_ENCRYPTION_SECRET: 'canary-enc-M3k8Rr2Vw5',
  MEMBRANE_MONGO_URI: 'mongodb+srv://membrane:canary-mongo-T4n6@cluster0.example.net/membrane',
  MEMBRANE_REDIS_URI: 'rediss://:canary-redis-J2h5@redis.example.net:6379',
  MEMBRANE_REGISTRY_PASSWORD: 'canary-registry-$Y9d3',
};

/** The distinctive part of each canary (URIs also contain harmless host names). */
export const CANARY_MARKERS = ['canary-jwt-Q7x1Zp9L0s', 'canary-enc-M3k8Rr2Vw5', 'canary-mongo-T4n6', 'canary-redis-J2h5', 'canary-registry-$Y9d3'];

export function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 180_000): Promise<CliRun> {
  return startCli(args, env, { timeoutMs }).done;
}

export interface StartedCli {
  pid: number;
  done: Promise<CliRun>;
}

/**
 * The built CLI as a running child: its PID at once (to watch it), `onLine` for each stdout line as
 * it comes (--json events). Killed by PID with SIGKILL after timeoutMs.
 */
export function startCli(args: string[], env: Record<string, string | undefined>, options: { timeoutMs?: number; onLine?: (line: string) => void } = {}): StartedCli {
  const child = spawn(process.execPath, [CLI, ...args], { env: { CI: 'true', ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (!options.onLine) return;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) options.onLine(line);
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (pending && options.onLine) options.onLine(pending);
      resolve({ exitCode, stdout, stderr, pid: child.pid! });
    });
  });
  return { pid: child.pid!, done };
}

/** Every file below dir, as text, for leak checks. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path, 'utf8'));
    }
  }
  return files;
}

export function leakedCanaries(text: string): string[] {
  return CANARY_MARKERS.filter((marker) => text.includes(marker));
}
