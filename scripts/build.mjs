// Bundles the CLI into dist/ so npx starts fast; the Ink UI lands in its own chunk,
// loaded only when a terminal needs it. The package then has no runtime dependencies, so the
// licenses of what is bundled go with it, in dist/THIRD-PARTY-LICENSES.txt.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });

const result = await build({
  entryPoints: { cli: 'source/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: identifiers keep their names, so a reported stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  // Ink imports react-devtools-core only when DEV is set; it is not a dependency. The others are
  // imported but never run (see stub-unused.mjs).
  alias: {
    'react-devtools-core': './scripts/stub-devtools.mjs',
    'ajv/dist/2020.js': './scripts/stub-unused.mjs',
    'ajv-formats': './scripts/stub-unused.mjs',
    '@inquirer/editor': './scripts/stub-unused.mjs',
  },
  // Bundled CommonJS dependencies call require(); ESM output needs one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
});

/** The package directory of a bundled file: node_modules/NAME or node_modules/@SCOPE/NAME. */
function packageOf(file) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match?.[1];
}

const packages = [...new Set(Object.keys(result.metafile.inputs).map(packageOf).filter(Boolean))].sort();
const notices = await Promise.all(packages.map(async (dir) => {
  const { name, version, license } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)(\.|$)/i.test(entry));
  const text = file ? await readFile(join(dir, file), 'utf8') : `(no license file in the package; its package.json says ${license ?? 'nothing'})`;
  return `${name}@${version} (${license ?? 'unknown'})\n\n${text.trim()}\n`;
}));
await writeFile(new URL('../dist/THIRD-PARTY-LICENSES.txt', import.meta.url), `Bundled into create-membrane-deploy:\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
