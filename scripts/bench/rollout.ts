// 3. Rollout overlap and 4. observation cost, from one --json install per cloud whose services each
// take T to become healthy after every change: how long the install and its rollouts take in T,
// how many CLI calls each poll makes, and the installer's own CPU while it waits.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CANARY_SECRETS, startCli } from '../../test/support/cli.js';
import type { Cloud } from './clouds.js';
import { auditEntries, median, ownCpuSeconds, progress, runs, type AuditEntry } from './measure.js';
import { failed, judged, type Row, type Section } from './table.js';

const SPAN_TARGET = 3.3;
const CPU_TARGET_PERCENT = 2;
const RUN_TIMEOUT_MS = 1_800_000;
/** Calls of one poll follow each other within this; polls are at least a second apart. */
const SAME_CYCLE_GAP_MS = 1_000;

interface JsonEvent {
  type: string;
  time: string;
  stepId?: string;
  service?: string;
  progress?: { phase: string };
}

interface RolloutFigures {
  wallSeconds: number;
  spanSeconds: number;
  observeCalls: number;
  otherCallsWhileWaiting: number;
  cycles: number;
  cpuSeconds: number;
  sampledSeconds: number;
}

const at = (event: JsonEvent) => Date.parse(event.time);
const isRollout = (event: JsonEvent) => event.stepId?.startsWith('rollout:') ?? false;

/** Rollout waits as [start, end] epoch ms, from the step events. */
function waits(events: JsonEvent[]): [number, number][] {
  const result: [number, number][] = [];
  for (const event of events.filter(isRollout)) {
    if (event.type === 'step-started') result.push([at(event), Number.POSITIVE_INFINITY]);
    else if (event.type === 'step-finished' || event.type === 'step-failed') result[result.length - 1]![1] = at(event);
  }
  return result;
}

/** Poll cycles among calls (sorted by start): a new one starts after a quiet gap. */
function countCycles(calls: AuditEntry[]): number {
  let cycles = 0;
  let quietFrom = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    const start = Date.parse(call.time);
    if (start - quietFrom > SAME_CYCLE_GAP_MS) cycles++;
    quietFrom = Math.max(quietFrom, start + call.durationMs);
  }
  return cycles;
}

async function installOnce(cloud: Cloud, work: string): Promise<RolloutFigures> {
  const answers = join(work, 'answers.json');
  await writeFile(answers, JSON.stringify(cloud.answers));
  const stateDir = join(work, 'state');
  const events: JsonEvent[] = [];
  let cpu = 0;
  let sampled = 0;
  let window: { cpu: number; at: number } | undefined;
  let pid = 0;
  const onLine = (line: string) => {
    let event: JsonEvent;
    try {
      event = JSON.parse(line) as JsonEvent;
    } catch {
      return;
    }
    events.push(event);
    if (!isRollout(event)) return;
    // The installer's own CPU (not its children's) across every rollout wait.
    const now = { cpu: ownCpuSeconds(pid), at: performance.now() };
    if (event.type === 'step-started' && now.cpu !== undefined) window = { cpu: now.cpu, at: now.at };
    else if (window && now.cpu !== undefined) {
      cpu += now.cpu - window.cpu;
      sampled += (now.at - window.at) / 1000;
      window = undefined;
    }
  };
  const started = performance.now();
  const cli = startCli(['--config', answers, '--yes', '--json', '--state-dir', stateDir], { ...cloud.env, ...CANARY_SECRETS }, { timeoutMs: RUN_TIMEOUT_MS, onLine });
  pid = cli.pid;
  const run = await cli.done;
  const wallSeconds = (performance.now() - started) / 1000;
  await writeFile(join(work, 'events.jsonl'), run.stdout);
  if (run.exitCode !== 0) throw new Error(`install exited ${run.exitCode}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`);

  const firstServiceStep = Math.min(...events.filter((e) => e.type === 'step-started' && e.service).map(at));
  const lastHealthy = Math.max(...events.filter((e) => e.type === 'service' && e.progress?.phase === 'healthy').map(at));
  const audit = (await auditEntries(join(stateDir, 'default', 'audit.log'))).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  // Calls made during each rollout wait; a wait's first poll is never the last one's.
  const perWait = waits(events).map(([from, to]) => audit.filter((entry) => Date.parse(entry.time) >= from && Date.parse(entry.time) <= to));
  const observing = perWait.map((calls) => calls.filter((entry) => cloud.observes(entry.argv)));
  const count = (lists: AuditEntry[][]) => lists.reduce((sum, list) => sum + list.length, 0);
  return {
    wallSeconds,
    spanSeconds: (lastHealthy - firstServiceStep) / 1000,
    observeCalls: count(observing),
    otherCallsWhileWaiting: count(perWait) - count(observing),
    cycles: observing.reduce((sum, calls) => sum + countCycles(calls), 0),
    cpuSeconds: cpu,
    sampledSeconds: sampled,
  };
}

export async function rollouts(work: string, clouds: ((rolloutMs: number) => Promise<Cloud>)[], rolloutMs: number): Promise<Section[]> {
  const n = runs(1);
  const T = rolloutMs / 1000;
  const overlap: Row[] = [];
  const cost: Row[] = [];
  for (const [c, makeCloud] of clouds.entries()) {
    const results: RolloutFigures[] = [];
    let name = `cloud ${c + 1}`;
    try {
      for (let i = 0; i < n; i++) {
        const cloud = await makeCloud(rolloutMs);
        name = cloud.name;
        try {
          progress(`${name}: install with ${T} s rollouts ${i + 1}/${n}`);
          const dir = join(work, `rollout-${c}-${i}`);
          await mkdir(dir, { recursive: true });
          results.push(await installOnce(cloud, dir));
        } finally {
          await cloud.stop();
        }
      }
    } catch (error) {
      overlap.push(failed(`${name}: install / T`, error));
      cost.push(failed(`${name}: CLI calls per poll cycle`, error));
      continue;
    }
    const of = (pick: (r: RolloutFigures) => number) => median(results.map(pick));
    const whole = of((r) => r.wallSeconds / T);
    const span = of((r) => r.spanSeconds / T);
    overlap.push(
      judged(`${name}: whole install / T`, whole, `${whole.toFixed(2)} T (${of((r) => r.wallSeconds).toFixed(0)} s)`, SPAN_TARGET, `<= ${SPAN_TARGET} T`),
      judged(`${name}: rollout span / T`, span, `${span.toFixed(2)} T (${of((r) => r.spanSeconds).toFixed(0)} s)`, SPAN_TARGET, `<= ${SPAN_TARGET} T`),
    );
    const perCycle = of((r) => r.observeCalls / r.cycles);
    const others = of((r) => r.otherCallsWhileWaiting);
    const percent = of((r) => (100 * r.cpuSeconds) / r.sampledSeconds);
    cost.push(
      judged(`${name}: CLI calls per poll cycle`, perCycle,
        `${perCycle.toFixed(2)} (${of((r) => r.observeCalls)} calls / ${of((r) => r.cycles)} polls${others ? `, +${others} others` : ''})`, 1, '1'),
      judged(`${name}: installer CPU while waiting`, percent, `${percent.toFixed(2)} % (${of((r) => r.sampledSeconds).toFixed(0)} s sampled)`, CPU_TARGET_PERCENT, `< ${CPU_TARGET_PERCENT} % of a core`, true),
    );
  }
  return [
    { title: `3. Rollout overlap: each service healthy T = ${T} s after each change to it (median of ${n})`, rows: overlap },
    { title: `4. Observation cost while rollouts wait (same runs)`, rows: cost },
  ];
}
