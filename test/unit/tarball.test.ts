import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTarGz, type BundleFile } from '../../source/troubleshoot/tarball.js';

const MTIME = new Date('2024-01-02T03:04:05Z');
const bytes = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 7) % 256));

// Paths at the edges of the ustar name (100 bytes) and prefix (155 bytes) fields.
const PATH_100 = `bundle/${'p'.repeat(89)}.txt`;
const PATH_LONG = `bundle/logs/${'a'.repeat(50)}/service-${'b'.repeat(50)}.log`;
const PATH_NESTED = `bundle/${Array.from({ length: 6 }, (_, i) => `level-${i}-${'d'.repeat(20)}`).join('/')}/${'n'.repeat(20)}.json`;
const PATH_255 = `bundle/${'q'.repeat(148)}/${'r'.repeat(95)}.txt`;

const FILES: BundleFile[] = [
  { path: 'bundle/README.txt', content: 'Membrane support bundle\n' },
  { path: 'bundle/utf8.txt', content: 'Grüße, 日本語, ✓ 🚀\n' },
  { path: 'bundle/ログ-ü.txt', content: 'a UTF-8 name' },
  { path: 'bundle/empty.log', content: '' },
  { path: 'bundle/block.bin', content: bytes(512) },
  { path: 'bundle/binary.bin', content: bytes(1000) },
  { path: 'bundle/answers.json', content: '{"cloud":"aws"}\n', mode: 0o600 },
  { path: PATH_100, content: 'exactly 100 bytes of path' },
  { path: PATH_LONG, content: 'over 100 bytes of path' },
  { path: PATH_NESTED, content: 'deeply nested' },
  { path: PATH_255, content: 'the longest path ustar holds' },
];

/** Runs GNU tar and returns its output; fails on any exit status or warning. */
function tar(...args: string[]): string {
  const result = spawnSync('tar', ['--quoting-style=literal', ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tarball-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeTarGz', () => {
  it('is listed by tar -tzvf with the right names, sizes, modes, owner and mtime', async () => {
    expect(Buffer.byteLength(PATH_100)).toBe(100);
    expect(PATH_LONG.length).toBeGreaterThan(100);
    expect(PATH_NESTED.length).toBeGreaterThanOrEqual(200);
    expect(Buffer.byteLength(PATH_255)).toBe(255);
    const archive = join(dir, 'bundle.tar.gz');
    await writeTarGz(archive, FILES, { mtime: MTIME });

    const lines = tar('-tzvf', archive).trimEnd().split('\n');
    const listed = lines.map((line) => {
      const [, perms, owner, size, time, path] = /^(\S+) (\S+) +(\d+) (\S+ \S+) (.*)$/.exec(line)!;
      return { perms, owner, size: Number(size), time, path };
    });
    expect(listed.map((entry) => entry.path)).toEqual(FILES.map((file) => file.path));
    for (const [i, file] of FILES.entries()) {
      expect(listed[i]).toEqual({
        perms: file.mode === 0o600 ? '-rw-------' : '-rw-r--r--',
        owner: '0/0',
        size: Buffer.byteLength(file.content),
        time: '2024-01-02 03:04',
        path: file.path,
      });
    }
  });

  it('extracts with tar -xzf to byte-identical files', async () => {
    const archive = join(dir, 'bundle.tar.gz');
    await writeTarGz(archive, FILES, { mtime: MTIME });
    const out = join(dir, 'out');
    await mkdir(out);
    tar('-xzf', archive, '-C', out);
    for (const file of FILES) {
      const expected = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      expect((await readFile(join(out, file.path))).equals(expected), file.path).toBe(true);
    }
  });

  it('writes ustar headers, whole blocks and two zero blocks at the end', async () => {
    const archive = join(dir, 'bundle.tar.gz');
    const before = Math.floor(Date.now() / 1000);
    await writeTarGz(archive, [{ path: PATH_LONG, content: 'x' }]);
    const raw = gunzipSync(await readFile(archive));
    expect(raw.length).toBe(512 + 512 + 1024); // header, one padded data block, end of archive
    expect(raw.subarray(1024).equals(Buffer.alloc(1024))).toBe(true);
    const field = (offset: number, length: number) => raw.subarray(offset, offset + length).toString('utf8').replace(/\0+$/, '');
    expect(raw.subarray(257, 265).toString('latin1')).toBe('ustar\u000000');
    expect(field(156, 1)).toBe('0');
    expect(field(265, 32) + field(297, 32)).toBe(''); // uname, gname
    expect(`${field(345, 155)}/${field(0, 100)}`).toBe(PATH_LONG); // prefix / name
    const mtime = parseInt(field(136, 12), 8);
    expect(mtime).toBeGreaterThanOrEqual(before);
    expect(mtime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('creates the archive with mode 0600, also over an existing file, and leaves no temp file', async () => {
    const archive = join(dir, 'bundle.tar.gz');
    await writeFile(archive, 'old', { mode: 0o644 });
    await writeTarGz(archive, FILES, { mtime: MTIME });
    expect((await stat(archive)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['bundle.tar.gz']);
    tar('-tzf', archive);
  });

  it.each([
    ['../escape.txt', /must not contain \.\./],
    ['bundle/../../etc/passwd', /must not contain \.\./],
    ['/etc/passwd', /must be relative/],
    ['C:/Windows/win.ini', /must be relative/],
    ['bundle//double.txt', /empty or \. segments/],
    [`bundle/${'q'.repeat(148)}/${'r'.repeat(96)}.txt`, /longer than 255 bytes/],
    [`bundle/${'x'.repeat(120)}`, /cannot be split/],
    ['bundle/README.txt', /appears twice/],
  ])('refuses %s before writing anything', async (path, message) => {
    const archive = join(dir, 'bundle.tar.gz');
    const files = [{ path: 'bundle/README.txt', content: 'fine' }, { path, content: 'bad' }];
    await expect(writeTarGz(archive, files)).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual([]);
  });
});
