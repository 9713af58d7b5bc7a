// 5. Time to a verdict: the api's tasks crash (each lives CRASH_EVERY_MS, as a broken image's do),
// moto behind the fault proxy; from the first failed task to the --json event that says the api
// failed, with the reason ECS gives for stopping its tasks.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CANARY_SECRETS, startCli } from '../../test/support/cli.js';
import { awsCloud } from './clouds.js';
import { median, progress, runs } from './measure.js';
import { info, judged, type Section } from './table.js';

const CRASH_EVERY_MS = 15_000;
const REASON = 'Essential container in task exited';
const TARGET_SECONDS = 120;

interface ServiceEvent { type: string; time: string; progress?: { service: string; phase: string; message?: string } }

async function verdictOnce(work: string): Promise<{ seconds: number; cause: boolean }> {
  const cloud = await awsCloud(0);
  try {
    cloud.proxy.crashLoop('membrane-api', { reason: REASON, everyMs: CRASH_EVERY_MS, exitCode: 1 });
    const answers = join(work, 'answers.json');
    await writeFile(answers, JSON.stringify(cloud.answers));
    let verdict: ServiceEvent | undefined;
    const cli = startCli(['--config', answers, '--yes', '--json', '--state-dir', join(work, 'state')], { ...cloud.env, ...CANARY_SECRETS }, {
      timeoutMs: 1_800_000,
      onLine(line) {
        const event = JSON.parse(line) as ServiceEvent;
        if (!verdict && event.type === 'service' && event.progress?.service === 'api' && event.progress.phase === 'failed') verdict = event;
      },
    });
    const run = await cli.done;
    if (!verdict) throw new Error(`no failed verdict for the api (exit ${run.exitCode})`);
    const firstCrash = cloud.proxy.firstCrash('membrane-api');
    if (firstCrash === undefined) throw new Error('the api never crashed');
    return { seconds: (Date.parse(verdict.time) - firstCrash) / 1000, cause: verdict.progress!.message?.includes(REASON) ?? false };
  } finally {
    await cloud.stop();
  }
}

export async function crashLoopVerdict(work: string): Promise<Section> {
  const n = runs(1);
  const results = [];
  for (let i = 0; i < n; i++) {
    progress(`crash-looping api ${i + 1}/${n}`);
    const dir = join(work, `crash-${i}`);
    await mkdir(dir, { recursive: true });
    results.push(await verdictOnce(dir));
  }
  const seconds = median(results.map((r) => r.seconds));
  return {
    title: `5. Time to a verdict for a crash-looping service (a task of the api fails every ${CRASH_EVERY_MS / 1000} s; median of ${n})`,
    rows: [
      judged('first failed task -> the table says failed', seconds, `${seconds.toFixed(1)} s`, TARGET_SECONDS, `<= ${TARGET_SECONDS} s`),
      info('with the cause ECS gives', results.every((r) => r.cause) ? `yes ("${REASON}")` : 'no'),
    ],
  };
}
