// One installer per deployment: a live lock refuses the others, and of several installers
// started at once on a stale lock (its process killed) exactly one takes it over.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lockDeployment } from '../../source/engine/lock.js';
import { UsageError } from '../../source/errors.js';

// Lets a test act between an installer's reading of the lock and what it does next: where
// another installer, started at the same instant, may take over the same stale lock.
const between = vi.hoisted(() => ({ act: undefined as (() => void) | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((...args: Parameters<typeof fs.readFileSync>) => {
    const content = fs.readFileSync(...args);
    const act = between.act;
    if (act && String(args[0]).endsWith('/lock')) {
      between.act = undefined;
      act();
    }
    return content;
  }) as typeof fs.readFileSync;
  return { ...fs, default: { ...fs, readFileSync }, readFileSync };
});

let work: string;
let racer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lock-test-'));
  racer = join(work, 'racer.mjs');
  // Each racer waits for the same instant, tries the lock, says whether it got it, and holds it
  // long enough that a racer slow to start still finds it held.
  const contents = `
    import { lockDeployment } from ${JSON.stringify(resolve('source/engine/lock.ts'))};
    const [dir, start] = process.argv.slice(2);
    while (Date.now() < Number(start));
    try {
      lockDeployment(dir, 'default');
      console.log('got');
      setTimeout(() => undefined, 4000);
    } catch (error) {
      console.log('busy: ' + error.message);
    }
  `;
  await build({ stdin: { contents, loader: 'ts', resolveDir: process.cwd() }, outfile: racer, bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The PID of a process that has exited: what a killed installer leaves in its lock. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function race(dir: string, count: number): Promise<string[]> {
  const start = Date.now() + 1000;
  return Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(process.execPath, [racer, dir, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      return new Promise<string>((done) => child.on('close', () => done(out.trim())));
    }),
  );
}

describe('lockDeployment', () => {
  it('refuses a second installer while the first holds the lock, and frees it on release', async () => {
    const dir = join(work, 'held');
    const release = lockDeployment(dir, 'default');
    const child = await race(dir, 1);
    expect(child[0]).toBe(`busy: Deployment "default" is being changed by another installer (process ${process.pid}). Wait for it to finish, or stop it, then run again.`);
    release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it.each([1, 2, 3])('gives a stale lock to exactly one of six installers started at once (round %i)', async (round) => {
    const dir = join(work, `stale-${round}`);
    await rm(dir, { recursive: true, force: true });
    lockDeployment(dir, 'default');
    await writeFile(join(dir, 'lock'), String(deadPid()));
    const outcomes = await race(dir, 6);
    expect(outcomes.filter((outcome) => outcome === 'got'), outcomes.join('\n')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.startsWith('busy: Deployment "default" is being changed by another installer'))).toHaveLength(5);
  });

  it('leaves a stale lock alone when another installer took it over just after it was read', async () => {
    const dir = join(work, 'overtaken');
    lockDeployment(dir, 'default');
    await writeFile(join(dir, 'lock'), String(deadPid()));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 20000)'], { stdio: 'ignore' });
    try {
      between.act = () => writeFileSync(join(dir, 'lock'), `${other.pid}\nthe other installer\n`);
      expect(() => lockDeployment(dir, 'default')).toThrow(`Deployment "default" is being changed by another installer (process ${other.pid}).`);
      expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(`${other.pid}\nthe other installer\n`);
    } finally {
      between.act = undefined;
      other.kill();
    }
  });

  it('takes over the stale lock of a killed installer', async () => {
    const dir = join(work, 'stale-alone');
    lockDeployment(dir, 'default');
    await writeFile(join(dir, 'lock'), String(deadPid()));
    const release = lockDeployment(dir, 'default');
    expect(Number.parseInt(await readFile(join(dir, 'lock'), 'utf8'), 10)).toBe(process.pid);
    release();
    expect(() => lockDeployment(dir, 'default')()).not.toThrow(UsageError);
  });
});
