// The journal survives a full disk and a torn file: every write replaces journal.json whole or
// not at all, the copy before the last change is kept, and a damaged journal is recovered from
// it (or named clearly when nothing readable is left).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../source/engine/journal.js';
import { StateError, UsageError } from '../../source/errors.js';
import { awsAnswersRaw } from './fixtures.js';

// A disk that fills up: the journal's writes stop part-way with ENOSPC while `full` is set.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeFileSync: typeof fs.writeFileSync = (file, data, options) => {
    if (!disk.full) return fs.writeFileSync(file, data, options);
    fs.writeFileSync(file, String(data).slice(0, 40), options);
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-'));
  disk.full = false;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function begun(): Journal {
  const journal = new Journal(dir);
  journal.begin({ name: 'default', cloud: 'aws', command: 'install', answers: awsAnswersRaw() }, false);
  return journal;
}

describe('journal', () => {
  it('keeps the copy before the last change next to journal.json', async () => {
    const journal = begun();
    journal.stepStarted('secret:secret');
    journal.stepFinished('secret:secret', 'created', { 'secret:secret:arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' });
    const previous = JSON.parse(await readFile(journal.previousPath, 'utf8'));
    expect(previous.state.steps['secret:secret'].status).toBe('running');
    expect(JSON.parse(await readFile(journal.path, 'utf8')).state.steps['secret:secret'].status).toBe('done');
    expect((await readdir(dir)).sort()).toEqual(['journal.json', 'journal.json.bak']);
  });

  it('recovers a journal cut off mid-string from its previous copy, and says so', async () => {
    const journal = begun();
    journal.stepStarted('secret:secret');
    const before = structuredClone(journal.state);
    journal.stepFinished('secret:secret', 'created', { 'secret:secret:arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' });
    const text = await readFile(journal.path, 'utf8');
    await writeFile(journal.path, text.slice(0, text.indexOf('robot$') + 3));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    const reopened = new Journal(dir);
    expect(reopened.state).toEqual(before);
    expect(reopened.isDone('secret:secret')).toBe(false);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]![0])).toContain(`The journal ${journal.path} is damaged (not valid JSON); using its previous copy ${journal.previousPath}`);

    // The next change writes a whole journal.json again, and keeps the good previous copy.
    reopened.stepFinished('secret:secret', 'created', { 'secret:secret:arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' });
    expect(new Journal(dir).isDone('secret:secret')).toBe(true);
    expect(JSON.parse(await readFile(journal.previousPath, 'utf8')).state).toEqual(before);
  });

  it('names the file when neither journal.json nor its previous copy is readable', async () => {
    const journal = begun();
    await writeFile(journal.path, '{"state": {"name": "def');
    await writeFile(journal.previousPath, '');
    let error: unknown;
    try {
      void new Journal(dir).state;
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`The journal ${journal.path} is damaged (not valid JSON) and has no readable previous copy`);
    expect((error as Error).message).toContain('Move it away and run install again');
  });

  it('fails a write on a full disk with a clear error naming the state directory, leaving the journal as it was', async () => {
    const journal = begun();
    journal.stepStarted('secret:secret');
    const saved = await readFile(journal.path, 'utf8');

    disk.full = true;
    let error: unknown;
    try {
      journal.stepFinished('secret:secret', 'created', { 'secret:secret:arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).exitCode).toBe(1);
    expect((error as Error).message).toBe(
      `Cannot save the journal: no space left in the state directory ${dir} (ENOSPC). Its last saved state is kept: free some space or fix the directory, then continue with resume.`,
    );
    expect(await readFile(journal.path, 'utf8')).toBe(saved);
    expect((await readdir(dir)).sort()).toEqual(['journal.json', 'journal.json.bak']);

    // Space freed: the next run reads the last saved state and goes on.
    disk.full = false;
    const reopened = new Journal(dir);
    expect(reopened.state!.steps['secret:secret']!.status).toBe('running');
    reopened.stepFinished('secret:secret', 'created', { 'secret:secret:arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' });
    expect(new Journal(dir).isDone('secret:secret')).toBe(true);
  });
});
