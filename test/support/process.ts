// Test support: run one CLI process with a hard, PID-targeted time limit and collect its output.
import { spawn } from 'node:child_process';

export interface ProcessRun {
  exitCode: number | null;
  /** The signal that ended the process, if any (SIGKILL after a timeout). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/**
 * Runs a program with argv (no shell); writes `input` to stdin when given (else stdin is ignored);
 * kills it by PID with SIGKILL after timeoutMs (with `group`, it runs in a process group of its own,
 * and the whole group is killed: a wrapper's children too). Never rejects for a non-zero exit;
 * rejects only when it cannot start.
 */
export function runProcess(file: string, args: string[], options: { env: Record<string, string>; input?: string; timeoutMs: number; group?: boolean }): Promise<ProcessRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Two literal spawns so the types know stdout and stderr are piped.
    const child =
      options.input === undefined
        ? spawn(file, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.group })
        : spawn(file, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: options.group });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (child.stdin) {
      // The program may exit (e.g. on a bad flag) before reading stdin; EPIPE then is not our error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(options.group ? -child.pid : child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ms: Math.round(performance.now() - started),
        timedOut,
      });
    });
  });
}
