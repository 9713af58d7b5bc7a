// npm run bench: one table of the figures issue #15 asks for, each the median of several runs
// (BENCH_RUNS; by default 10 for start-up, 3 for the AWS installs and the npx runs, 1 for the long
// installs with slow rollouts), each beside its target. A measurement, not a test. Progress goes
// to stderr, the table to stdout. BENCH_ROLLOUT_MS sets T of section 3 (default 60000);
// BENCH_SECTIONS=2,6 measures only those (3 and 4 come from the same runs); BENCH_KEEP=1 keeps
// the work directory (state dirs and audit logs of every run).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsInstall } from './bench/aws-install.js';
import { CLOUDS } from './bench/clouds.js';
import { crashLoopVerdict } from './bench/crash-loop.js';
import { progress } from './bench/measure.js';
import { packageFigures } from './bench/package.js';
import { rollouts } from './bench/rollout.js';
import { startup } from './bench/startup.js';
import { failed, renderTable, type Section } from './bench/table.js';

// 60 s: an ALB target is healthy after 2 passing checks 30 s apart (the guide's health check), so a real rollout takes at least that.
const rolloutMs = Number(process.env.BENCH_ROLLOUT_MS) || 60_000;
const poll = process.env.CREATE_MEMBRANE_DEPLOY_POLL_MS;
const began = performance.now();
const work = await mkdtemp(join(tmpdir(), 'membrane-bench-'));

const only = process.env.BENCH_SECTIONS?.split(',').map((n) => n.trim());

/** A section that could not be measured still gets its row, saying why. */
async function section(title: string, measure: () => Promise<Section | Section[]>): Promise<Section[]> {
  if (only && !only.includes(title.split('.')[0]!)) return [];
  try {
    const result = await measure();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [{ title, rows: [failed('could not be measured', error)] }];
  }
}

const sections: Section[] = [];
try {
  sections.push(...(await section('1. Start-up', async () => startup())));
  sections.push(...(await section('2. Full AWS install against moto', () => awsInstall(work))));
  sections.push(...(await section('3. Rollout overlap', () => rollouts(work, CLOUDS, rolloutMs))));
  sections.push(...(await section('5. Time to a verdict', () => crashLoopVerdict(work))));
  sections.push(...(await section('6. Package', () => packageFigures(work))));
} finally {
  if (process.env.BENCH_KEEP) progress(`kept ${work} (state dirs, audit logs)`);
  else await rm(work, { recursive: true, force: true });
}

const minutes = (performance.now() - began) / 60_000;
const notes = [
  `Poll interval: ${poll ? `CREATE_MEMBRANE_DEPLOY_POLL_MS=${poll} from the environment` : "the product's default (CREATE_MEMBRANE_DEPLOY_POLL_MS not set)"} in every section; no figure sets it.`,
  '2: the CLI and the guide each against a fresh moto of the same shape, both through the fault proxy with no rule (it keeps what moto drops, as ECS does); CPU is user+sys of the process tree (bash `times`), moto\'s own CPU is the cloud\'s and not counted. The guide: scripts/guide-by-hand.sh.',
  `3: moto behind the fault proxy (rolloutTakes), the fake Google APIs (setReadyAfterMs), the fake az (ready.json); span: first service step started -> last service healthy, from the --json events. Each wave waits for its first poll at or after T, so the poll interval is part of the figure (BENCH_ROLLOUT_MS=${rolloutMs} sets T).`,
  '4: calls of the observe kind (describe-services / run services list / containerapp list + revision show) inside the rollout waits of the section 3 runs, polls told apart by the quiet between them; the waits are per wave, so fewer than 7 services wait at a time, though every poll observes all 7. CPU: the node process alone (/proc/PID/stat utime+stime) over all rollout waits.',
  '5: moto behind the fault proxy (crashLoop): the api\'s deployment stays in progress, one more of its tasks stopping every 15 s with the reason ECS gives; from the first stop to the --json event that says the api failed.',
  `Bench took ${minutes.toFixed(1)} min.`,
];
process.stdout.write(`${renderTable(sections, notes, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)}\n`);
