// 2. A full AWS install against moto (no faults, rollouts complete at once), its re-run, and the
// guide followed by hand (scripts/guide-by-hand.sh) against a fresh moto of the same shape. Each
// run measures both, so the ratio compares figures taken at the same time on the same machine.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CANARY_SECRETS, CLI } from '../../test/support/cli.js';
import { awsCloud } from './clouds.js';
import { auditEntries, median, progress, ratio, runs, seconds, timedProcess } from './measure.js';
import { info, judged, type Section } from './table.js';

const TARGET = 0.5;
const RUN_TIMEOUT_MS = 600_000;
const GUIDE = join(process.cwd(), 'scripts', 'guide-by-hand.sh');

interface Figures {
  wall: number;
  cpu: number;
  calls: number;
}

async function installer(work: string): Promise<{ first: Figures; again: Figures }> {
  const cloud = await awsCloud(0);
  try {
    const answers = join(work, 'answers.json');
    await writeFile(answers, JSON.stringify(cloud.answers));
    const stateDir = join(work, 'state');
    const audit = join(stateDir, 'default', 'audit.log');
    const env = { ...cloud.env, ...CANARY_SECRETS, CI: 'true' };
    const argv = [process.execPath, CLI, '--config', answers, '--yes', '--state-dir', stateDir];
    const measure = async (before: number): Promise<Figures> => {
      const run = await timedProcess(argv, env, join(work, 'times'), RUN_TIMEOUT_MS);
      if (run.exitCode !== 0) throw new Error(`install exited ${run.exitCode}:\n${run.stdout.slice(-2_000)}${run.stderr.slice(-2_000)}`);
      return { wall: run.wallSeconds, cpu: run.cpuSeconds, calls: (await auditEntries(audit)).length - before };
    };
    const first = await measure(0);
    const again = await measure(first.calls);
    return { first, again };
  } finally {
    await cloud.stop();
  }
}

async function byHand(work: string): Promise<Figures> {
  const cloud = await awsCloud(0);
  try {
    const callLog = join(work, 'guide-calls.log');
    const env = { ...cloud.env, ...CANARY_SECRETS, VPC_ID: cloud.fixture.vpcId, CLUSTER: cloud.fixture.cluster, WORK_DIR: work, CALL_LOG: callLog };
    const run = await timedProcess(['bash', GUIDE], env, join(work, 'times'), RUN_TIMEOUT_MS);
    if (run.exitCode !== 0) throw new Error(`guide-by-hand.sh exited ${run.exitCode}:\n${run.stderr.slice(-2_000)}`);
    const calls = (await readFile(callLog, 'utf8')).split('\n').filter(Boolean).length;
    return { wall: run.wallSeconds, cpu: run.cpuSeconds, calls };
  } finally {
    await cloud.stop();
  }
}

export async function awsInstall(work: string): Promise<Section> {
  const n = runs(3);
  const results: { first: Figures; again: Figures; guide: Figures }[] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(work, `aws-install-${i}`);
    await mkdir(join(dir, 'installer'), { recursive: true });
    await mkdir(join(dir, 'guide'), { recursive: true });
    progress(`AWS install ${i + 1}/${n}: installer, re-run`);
    const { first, again } = await installer(join(dir, 'installer'));
    progress(`AWS install ${i + 1}/${n}: the guide by hand`);
    const guide = await byHand(join(dir, 'guide'));
    results.push({ first, again, guide });
  }
  const of = (pick: (r: (typeof results)[number]) => number) => median(results.map(pick));
  const wallRatio = of((r) => r.first.wall / r.guide.wall);
  return {
    title: `2. Full AWS install against moto, instant rollouts (median of ${n})`,
    rows: [
      info('installer: wall time', seconds(of((r) => r.first.wall))),
      info('installer: CPU time (CLI + children)', seconds(of((r) => r.first.cpu))),
      info('installer: aws calls', of((r) => r.first.calls).toFixed(0)),
      info('guide by hand: wall time', seconds(of((r) => r.guide.wall))),
      info('guide by hand: CPU time (bash + children)', seconds(of((r) => r.guide.cpu))),
      info('guide by hand: aws calls', of((r) => r.guide.calls).toFixed(0)),
      judged('wall time, installer / guide', wallRatio, ratio(wallRatio), TARGET, `<= ${TARGET}x`),
      info('CPU time, installer / guide', ratio(of((r) => r.first.cpu / r.guide.cpu))),
      info('re-run, nothing to do: wall time', seconds(of((r) => r.again.wall))),
      info('re-run, nothing to do: aws calls', of((r) => r.again.calls).toFixed(0)),
    ],
  };
}
