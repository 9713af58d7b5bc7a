// 6. The package as npm publishes it: tarball size and files, runtime dependencies, and how long
// `npx` of the local tarball (packed from the dist/ npm run bench built) takes to print --help for someone who never ran it (an empty npm
// cache, --offline: the tarball has no dependencies, so nothing needs the registry).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../../test/support/process.js';
import { median, progress, runs } from './measure.js';
import { info, judged, type Row, type Section } from './table.js';

const SIZE_TARGET_KB = 600;

export async function packageFigures(work: string): Promise<Section> {
  const dir = join(work, 'pack');
  await mkdir(dir, { recursive: true });
  progress('npm pack');
  const env = { ...process.env } as Record<string, string>;
  const packed = await runProcess('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { env, timeoutMs: 120_000 });
  if (packed.exitCode !== 0) throw new Error(`npm pack exited ${packed.exitCode}: ${packed.stderr.slice(-1_000)}`);
  const [tarball] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { dependencies?: Record<string, string>; name: string; bin: Record<string, string> };
  const dependencies = Object.keys(pkg.dependencies ?? {}).length;
  const kB = tarball!.size / 1000;

  const n = runs(3);
  const times: number[] = [];
  let npxRow: Row | undefined;
  for (let i = 0; i < n; i++) {
    const home = join(work, `npx-${i}`);
    await mkdir(home, { recursive: true });
    progress(`npx of the tarball ${i + 1}/${n}`);
    const run = await runProcess('npx', ['--yes', '--offline', '--package', join(dir, tarball!.filename), '--', Object.keys(pkg.bin)[0]!, '--help'], {
      env: { ...env, npm_config_cache: join(home, 'cache'), npm_config_update_notifier: 'false', CI: 'true' },
      timeoutMs: 120_000,
    });
    if (run.exitCode !== 0 || !run.stdout.includes('Usage:')) {
      npxRow = { figure: 'npx of the tarball, empty cache, --offline, to --help', measured: `does not work offline (exit ${run.exitCode}): ${run.stderr.trim().split('\n').at(-1)}`, target: '', meets: false };
      break;
    }
    times.push(run.ms / 1000);
  }
  return {
    title: `6. Package`,
    rows: [
      judged('npm pack: tarball size', kB, `${kB.toFixed(0)} kB (${tarball!.entryCount} files, ${(tarball!.unpackedSize / 1000).toFixed(0)} kB unpacked)`, SIZE_TARGET_KB, `< ${SIZE_TARGET_KB} kB`, true),
      judged('runtime dependencies (package.json)', dependencies, String(dependencies), 0, '0'),
      npxRow ?? info(`npx of the tarball, empty cache, --offline, to --help (median of ${n})`, `${median(times).toFixed(1)} s`),
    ],
  };
}
