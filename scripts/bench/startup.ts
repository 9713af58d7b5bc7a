// 1. Start-up: `--help` and `--version` of the built CLI against `node -e 0`, interleaved, so each
// run's ratio compares runs made on the same machine at the same moment.
import { spawnSync } from 'node:child_process';
import { CLI } from '../../test/support/cli.js';
import { median, progress, ratio, runs } from './measure.js';
import { judged, info, type Section } from './table.js';

const TARGET = 1.3;

function timeMs(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function startup(): Section {
  progress('start-up');
  const n = runs(10);
  const node: number[] = [];
  const commands = { '--help': [] as number[], '--version': [] as number[] };
  const ratios = { '--help': [] as number[], '--version': [] as number[] };
  for (let i = 0; i < n; i++) {
    const base = timeMs(['-e', '0']);
    node.push(base);
    for (const flag of ['--help', '--version'] as const) {
      const ms = timeMs([CLI, flag]);
      commands[flag].push(ms);
      ratios[flag].push(ms / base);
    }
  }
  return {
    title: `1. Start-up (median of ${n})`,
    rows: [
      info('node -e 0', `${median(node).toFixed(0)} ms`),
      ...(['--help', '--version'] as const).map((flag) => {
        const r = median(ratios[flag]);
        return judged(`${flag} vs node -e 0`, r, `${median(commands[flag]).toFixed(0)} ms, ${ratio(r)}`, TARGET, `<= ${TARGET}x`);
      }),
    ],
  };
}
