// What every section measures with: runs, medians, wall and CPU time of a process tree, the audit log.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { runProcess } from '../../test/support/process.js';

/** BENCH_RUNS when set (1 or more), else the section's default. */
export function runs(fallback: number): number {
  const asked = Number(process.env.BENCH_RUNS);
  return Number.isInteger(asked) && asked >= 1 ? asked : fallback;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const seconds = (s: number) => (Number.isFinite(s) ? `${s.toFixed(1)} s` : 'n/a');
export const ratio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');

/** Progress goes to stderr, so stdout holds only the table. */
export const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

/**
 * Runs "$@" under bash and has bash's `times` write the CPU time of its children (the program and
 * every descendant it waited for: RUSAGE_CHILDREN) to $BENCH_TIMES_FILE. Prepend to an argv.
 */
export const UNDER_TIMES = ['bash', '-c', '"$@"; rc=$?; times > "$BENCH_TIMES_FILE"; exit $rc', 'bash'];

/** User + system seconds of the children, from the second line of bash's `times` (`0m1.234s 0m0.567s`). */
export function childrenCpuSeconds(timesFile: string): number {
  const children = readFileSync(timesFile, 'utf8').trim().split('\n')[1] ?? '';
  const values = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s));
  return values.length === 2 ? values[0]! + values[1]! : Number.NaN;
}

/** Wall and CPU time (of the whole tree) of a command, run under UNDER_TIMES. */
export async function timedProcess(argv: string[], env: Record<string, string>, timesFile: string, timeoutMs: number) {
  const [file, ...args] = [...UNDER_TIMES, ...argv];
  const run = await runProcess(file!, args, { env: { ...env, BENCH_TIMES_FILE: timesFile }, timeoutMs, group: true });
  return { ...run, wallSeconds: run.ms / 1000, cpuSeconds: run.exitCode === null ? Number.NaN : childrenCpuSeconds(timesFile) };
}

export interface AuditEntry {
  time: string;
  argv: string[];
  exitCode: number | null;
  durationMs: number;
}

export async function auditEntries(path: string): Promise<AuditEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used itself, children excluded: /proc/PID/stat utime + stime. */
export function ownCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}
