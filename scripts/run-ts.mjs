// Runs a TypeScript script (bench) by bundling it with esbuild into a temp file first.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
mkdirSync('.tmp', { recursive: true });
const dir = mkdtempSync(join(resolve('.tmp'), 'run-ts-'));
const outfile = join(dir, 'script.mjs');
// Each module keeps its own import.meta.url (test/support/az.ts finds the fake az beside itself), not the bundle's.
const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (file) => ({
      contents: readFileSync(file.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file.path).href)),
      loader: 'ts',
    }));
  },
};
try {
  await build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning', plugins: [ownUrl] });
  process.argv = [process.argv[0], entry, ...args];
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
