// Kill -9 an installer at a chosen point of its audit log, and wait for the CLI processes it
// leaves running (they are in their own process group, as after a real kill -9).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVICES, serviceSpec, type ServiceId } from '../../source/membrane/services.js';
import { CLI, runCli, type CliRun } from './cli.js';

/** Set in the installer's env and inherited by every CLI it starts, so the orphans can be found. */
export const MARKER_VAR = 'MEMBRANE_KILL_MARKER';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function auditLines(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
}

/** The services in the order of their first audit line whose argv has `verb` and names membrane-ID. */
export function servicesInAuditOrder(lines: string[], verb: string): ServiceId[] {
  const order: ServiceId[] = [];
  for (const line of lines) {
    const { argv } = JSON.parse(line) as { argv: string[] };
    if (!argv.includes(verb)) continue;
    const spec = SERVICES.find((s) => argv.includes(`membrane-${s.id}`));
    if (spec && !order.includes(spec.id)) order.push(spec.id);
  }
  return order;
}

/** The guide's tier of each service, in the order given: in wave order it never goes down. */
export const wavesOf = (ids: ServiceId[]) => ids.map((id) => serviceSpec(id).wave);

export interface KillPlan {
  args: string[];
  /** Must carry MARKER_VAR for waitForOrphans. */
  env: Record<string, string>;
  auditLog: string;
  /** Polled every 10 ms with the audit lines so far: true kills the installer with SIGKILL. */
  killWhen(lines: string[]): boolean;
  timeoutMs: number;
}

/**
 * Runs the built CLI and kills it as soon as `killWhen` says so. Resolves when it is gone, with
 * the number of audit lines it wrote, or with its own exit when it finished before the kill point.
 */
export async function runAndKill(plan: KillPlan): Promise<{ written: number; exited: CliRun | undefined }> {
  const child = spawn(process.execPath, [CLI, ...plan.args], { env: { CI: 'true', ...plan.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const closed = new Promise<CliRun>((resolve) => child.once('close', (exitCode) => resolve({ exitCode, stdout, stderr, pid: child.pid! })));
  let finished: CliRun | undefined;
  void closed.then((run) => (finished = run));
  const deadline = Date.now() + plan.timeoutMs;
  try {
    for (;;) {
      const lines = await auditLines(plan.auditLog);
      if (plan.killWhen(lines)) {
        child.kill('SIGKILL');
        break;
      }
      // It finished (or failed) before the kill point: nothing to kill.
      if (finished) return { written: lines.length, exited: finished };
      if (Date.now() > deadline) throw new Error(`the kill point was not reached in ${plan.timeoutMs} ms (${lines.length} audit lines)`);
      await sleep(10);
    }
  } finally {
    if (!finished) child.kill('SIGKILL');
  }
  await closed;
  return { written: (await auditLines(plan.auditLog)).length, exited: undefined };
}

/** PIDs of live processes whose environment carries the marker (the killed CLI's children). */
export async function markedProcesses(marker: string): Promise<number[]> {
  const needle = `${MARKER_VAR}=${marker}\0`;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (environ.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/**
 * kill -9 stops the installer but not the CLI it was running (its own process group), as in real
 * life: wait for those to finish so the resume doesn't race them. Never kills them.
 */
export async function waitForOrphans(marker: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    const pids = await markedProcesses(marker);
    seen = Math.max(seen, pids.length);
    if (pids.length === 0) return seen;
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} of the killed installer still run after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * `upgrade --image-tag TAG` of the default deployment in STATE_DIR, killed with SIGKILL at its
 * first audit line containing `killAt`; once its orphans are done, `resume`. The audit lines the
 * two runs wrote come back with it. An upgrade that ended before the kill point is not resumed:
 * its own run comes back as `resumed`, and `killed.exited` says so.
 */
export async function upgradeKilledThenResumed(plan: { tag: string; args: string[]; stateDir: string; env: Record<string, string>; killAt: string; timeoutMs: number }) {
  const auditLog = join(plan.stateDir, 'default', 'audit.log');
  const before = (await auditLines(auditLog)).length;
  const marker = randomUUID();
  const env = { ...plan.env, [MARKER_VAR]: marker };
  const killed = await runAndKill({
    args: ['upgrade', '--image-tag', plan.tag, ...plan.args],
    env,
    auditLog,
    killWhen: (lines) => lines.slice(before).some((line) => line.includes(plan.killAt)),
    timeoutMs: plan.timeoutMs,
  });
  if (!killed.exited) await waitForOrphans(marker);
  const resumed = killed.exited ?? (await runCli(['resume', '--name', 'default', '--state-dir', plan.stateDir, '--yes'], env, plan.timeoutMs));
  return { killed, resumed, lines: (await auditLines(auditLog)).slice(before) };
}
