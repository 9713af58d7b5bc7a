// npm run bench: how fast the CLI starts and how long a full install against moto takes,
// with how many aws calls it makes. A measurement, not a test: it prints figures.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersFor, createEcsFixture } from '../test/support/aws-fixture.js';
import { CANARY_SECRETS, CLI, runCli } from '../test/support/cli.js';
import { startMoto } from '../test/support/moto.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeCommand(args: string[], runs = 10): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

const work = await mkdtemp(join(tmpdir(), 'membrane-bench-'));
console.log(`node -e 0             ${timeCommand(['-e', '0']).toFixed(0)} ms (median of 10)`);
console.log(`--help                ${timeCommand([CLI, '--help']).toFixed(0)} ms`);
console.log(`status --json         ${timeCommand([CLI, 'status', '--json', '--state-dir', work]).toFixed(0)} ms`);

const moto = await startMoto({ ecsServiceRunning: 2 });
try {
  const fixture = await createEcsFixture(moto.env);
  const answers = join(work, 'answers.json');
  await writeFile(answers, JSON.stringify(answersFor(fixture)));
  console.log(`plan --out            ${timeCommand([CLI, 'plan', '--config', answers, '--out', join(work, 'plan'), '--state-dir', work], 5).toFixed(0)} ms`);

  const env = { ...moto.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '1000' };
  const audit = join(work, 'state', 'default', 'audit.log');
  const calls = async () => (await readFile(audit, 'utf8')).trim().split('\n').length;
  for (const label of ['full install (moto)', 're-run, nothing to do']) {
    const before = label.startsWith('full') ? 0 : await calls();
    const started = Date.now();
    const run = await runCli(['--config', answers, '--yes', '--state-dir', join(work, 'state')], env);
    const seconds = (Date.now() - started) / 1000;
    console.log(`${label.padEnd(22)}${seconds.toFixed(1)} s, ${(await calls()) - before} aws calls, exit ${run.exitCode}`);
  }
} finally {
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}
