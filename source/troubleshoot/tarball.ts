// A minimal tar.gz writer for the support bundle: POSIX ustar (readable by GNU tar, bsdtar and
// every archive tool a support engineer has), gzip from node:zlib, no dependencies.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

export interface BundleFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}

const BLOCK = 512;

/** Refuses paths that could land outside the extraction folder or not fit a ustar header. */
function checkPath(path: string): void {
  const problem =
    path === '' ? 'is empty'
    : path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\') ? 'must be relative, with / separators'
    : path.split('/').includes('..') ? 'must not contain ..'
    : path.split('/').some((part) => part === '' || part === '.') ? 'must not have empty or . segments'
    : path.includes('\0') ? 'must not contain NUL'
    : Buffer.byteLength(path) > 255 ? 'is longer than 255 bytes'
    : undefined;
  if (problem) throw new Error(`Bundle path "${path}" ${problem}`);
}

/** ustar keeps at most 100 bytes in name; longer paths put their leading folders in the 155-byte prefix. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  // Try the slash that keeps the name longest first, so the prefix stays as short as it can.
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    const prefix = path.slice(0, slash);
    const name = path.slice(slash + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`Bundle path "${path}" cannot be split into a 155-byte folder and a 100-byte name`);
}

/** Zero-padded octal with a NUL terminator, as the numeric ustar fields expect. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (!Number.isSafeInteger(value) || value < 0 || digits.length > width - 1) throw new Error(`${value} does not fit a ${width}-byte tar field`);
  header.write(`${digits}\0`, offset, 'ascii');
}

function header(path: string, size: number, mode: number, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK); // zero-filled: uid/gid 0, empty linkname, uname, gname, devmajor/minor
  const { name, prefix } = splitPath(path);
  block.write(name, 0, 100, 'utf8');
  octal(block, 100, 8, mode & 0o7777);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.write('0', 156, 'ascii'); // typeflag: regular file
  block.write('ustar\u000000', 257, 'ascii'); // magic "ustar\0" and version "00"
  block.write(prefix, 345, 155, 'utf8');
  // The checksum is summed with its own field read as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** Writes a gzip-compressed POSIX ustar archive of the files, with mode 0600 on the archive itself. */
export async function writeTarGz(file: string, files: BundleFile[], options: { mtime?: Date } = {}): Promise<void> {
  // Check every path before anything is written, so a bad one leaves no file behind.
  const seen = new Set<string>();
  for (const { path } of files) {
    checkPath(path);
    if (seen.has(path)) throw new Error(`Bundle path "${path}" appears twice`);
    seen.add(path);
  }
  const mtime = Math.floor((options.mtime ?? new Date()).getTime() / 1000);
  const chunks: Buffer[] = [];
  for (const entry of files) {
    const data = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : entry.content;
    chunks.push(header(entry.path, data.length, entry.mode ?? 0o644, mtime), data);
    chunks.push(Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)); // pad the data to a whole block
  }
  chunks.push(Buffer.alloc(2 * BLOCK)); // end of archive: two zero blocks
  const archive = await promisify(gzip)(Buffer.concat(chunks));

  // The bundle may hold logs and settings: create it private, and only rename a complete file into place.
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.chmod(0o600); // open's mode passes through the umask, chmod's does not
      await handle.writeFile(archive);
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
