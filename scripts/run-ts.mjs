// Runs a TypeScript script (bench) by bundling it with esbuild into a temp file first.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
mkdirSync('.tmp', { recursive: true });
const dir = mkdtempSync(join(resolve('.tmp'), 'run-ts-'));
const outfile = join(dir, 'script.mjs');
try {
  await build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' });
  process.argv = [process.argv[0], entry, ...args];
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
