// The published package, as `npm pack` makes it from the build that `npm test` starts with:
// self-contained (no runtime dependency to install), small, with the bundled code's licenses.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

describe('the package', () => {
  it('is built before it is packed, declares a license and installs nothing at run time', () => {
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs');
    expect(pkg.license).toEqual(expect.any(String));
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('holds the bundle and the licenses of what it bundles, under 600 kB', () => {
    // --ignore-scripts: the build is already there, and rebuilding dist/ would pull it from under the other tests.
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }));
    const files = packed.files.map((file: { path: string }) => file.path);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/THIRD-PARTY-LICENSES.txt');
    expect(files.every((file: string) => file.startsWith('dist/') || ['package.json', 'README.md'].includes(file))).toBe(true);
    expect(packed.size).toBeLessThan(600_000);
    const licenses = readFileSync('dist/THIRD-PARTY-LICENSES.txt', 'utf8');
    for (const bundled of ['ink@', 'react@', 'zod@', 'execa@', 'conf@', '@inquirer/core@']) expect(licenses).toContain(bundled);
  });
});
