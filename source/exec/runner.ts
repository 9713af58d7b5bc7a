// The only place that spawns processes: argv arrays (never a shell), secrets and documents in
// 0600 temp files removed afterwards (or, after a killed run, by the next one), timeouts,
// retries with backoff for transient failures, and one audit line per attempt.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { AuditSink } from './audit.js';
import { isRunning } from './process.js';
import { displayArgv, displayStdin, isFileArg, type Command } from './command.js';
import { CliError, classifyFailure, cliMessage } from './errors.js';
import type { Redactor } from './redact.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Attempts for transient failures (throttling, 5xx, resets); 1 disables retrying. */
  attempts?: number;
  /** False for a command that must not be sent twice blindly; see NOT_REPEATABLE. */
  repeatable?: boolean;
  /** A read of what the installer never changes; see SHARED_READ. */
  shared?: boolean;
}

export interface Runner {
  run(command: Command, options?: RunOptions): Promise<RunResult>;
  /** Waits the backoff before attempt n+1 (full jitter), for callers that retry a larger unit. */
  backoff(attempt: number): Promise<void>;
}

/**
 * For commands that create something: retried only after throttling (refused before the cloud
 * acted). After a 500 or a timeout the cloud may have acted, and a blind retry would make a
 * second copy or fail with "already exists": the engine retries the step, which looks first.
 */
export const NOT_REPEATABLE: RunOptions = { repeatable: false };

/**
 * For reads of what the user owns and the installer never changes (subnets, load balancers,
 * listeners): asked once per run, the answer shared by every later identical read (preflight's
 * lookups serve the steps and the closing endpoint check).
 */
export const SHARED_READ: RunOptions = { shared: true };

/** Answers of SHARED_READ commands for one run, by argv. */
export type SharedReads = Map<string, Promise<RunResult>>;

/** One execution of a CLI, as the runner hands it over: argv with file paths filled in. */
export interface SpawnRequest {
  file: string;
  args: string[];
  /** Standard input, when the command has a secret to pass there. */
  input?: string;
  timeoutMs: number;
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface SpawnResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The executable is not installed. */
  missing?: boolean;
  timedOut?: boolean;
  canceled?: boolean;
}

/** What runs a command: a real process, or the demo's simulated cloud (which spawns nothing). */
export type Spawn = (request: SpawnRequest) => Promise<SpawnResult>;

export interface RunnerOptions {
  audit?: AuditSink;
  redact: Redactor;
  /** Added to this process's environment for every child. */
  env?: NodeJS.ProcessEnv;
  /** Variables of this process that no child gets (the secrets: a CLI has no use for them). */
  withheld?: readonly string[];
  /** Every command's own limits, unless it names others (troubleshoot keeps them short). */
  defaults?: Pick<RunOptions, 'timeoutMs' | 'attempts'>;
  /** Base delay of the exponential backoff; tests shorten it. */
  backoffMs?: number;
  /** Aborts running commands (second Ctrl-C). */
  signal?: AbortSignal;
  /** Defaults to spawning the real CLI. */
  spawn?: Spawn;
  /** Where SHARED_READ answers are kept; without it every read runs. */
  sharedReads?: SharedReads;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_ATTEMPTS = 4;
/** How long a CLI's process group has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** Signals every process of a CLI's group; one that is already gone needs nothing. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group has exited.
  }
}

/** Runs the real CLI: argv arrays, never a shell. */
export const spawnCli: Spawn = async ({ file, args, input, timeoutMs, env, signal }) => {
  const subprocess = execa(file, args, {
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
    reject: false,
    env,
    extendEnv: false,
    // Its own process group: a Ctrl-C in the terminal reaches us, not the running CLI,
    // so the first press can let the command finish.
    detached: true,
    stripFinalNewline: true,
  });
  // Not execa's timeout and cancelSignal: they signal the CLI alone, then wait for its pipes,
  // which a child it started (wrappers do) keeps open forever. Stop the whole group instead,
  // and after the grace stop reading the pipes, in case a child left the group.
  let stopped: 'timeout' | 'cancel' | undefined;
  const stop = (reason: 'timeout' | 'cancel') => {
    if (stopped) return;
    stopped = reason;
    signalGroup(subprocess.pid, 'SIGTERM');
    setTimeout(() => {
      signalGroup(subprocess.pid, 'SIGKILL');
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
    }, KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = () => stop('cancel');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const result = await subprocess;
    const exitCode = result.exitCode ?? undefined;
    const missing = (result as { code?: string }).code === 'ENOENT' || (result.failed && exitCode === undefined && /ENOENT/.test(String(result.message)));
    return { exitCode, stdout: String(result.stdout), stderr: String(result.stderr), missing, timedOut: stopped === 'timeout', canceled: stopped === 'cancel' };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
};

/** Temp dirs are named after the process that made them, so a later run can tell they are stale. */
const TEMP_DIR = /^membrane-deploy-(\d+)-/;
const tempDirPrefix = () => join(tmpdir(), `membrane-deploy-${process.pid}-`);


/**
 * Removes the temp dirs (which may hold secrets) of runs killed before their `finally`: only
 * this user's, and only when the process that made them is gone.
 */
export function removeLeftoverTempDirs(root = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(TEMP_DIR.exec(name)?.[1]);
    if (!pid || isRunning(pid)) continue;
    const path = join(root, name);
    try {
      const stats = lstatSync(path);
      if (stats.isDirectory() && stats.uid === process.getuid?.()) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another run, or not ours to remove.
    }
  }
}

let leftoversRemoved = false;

export function createRunner(options: RunnerOptions): Runner {
  const backoffMs = options.backoffMs ?? 1000;
  const spawn = options.spawn ?? spawnCli;
  const withheld = new Set(options.withheld);
  const childEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !withheld.has(name))), ...options.env };
  if (!leftoversRemoved) {
    leftoversRemoved = true;
    removeLeftoverTempDirs();
  }

  async function attempt(command: Command, timeoutMs: number): Promise<RunResult> {
    const shown = displayArgv(command).map(options.redact);
    const files = command.argv.filter(isFileArg);
    const dir = files.length ? await mkdtemp(tempDirPrefix()) : undefined;
    try {
      const argv: string[] = [];
      for (const arg of command.argv) {
        if (!isFileArg(arg)) {
          argv.push(arg);
          continue;
        }
        const path = join(dir!, arg.name.replaceAll('/', '_'));
        const content = arg.secret ? arg.secret.value : arg.content;
        if (content === undefined) throw new Error(`internal: no value for ${arg.name}`);
        await writeFile(path, content, { mode: 0o600 });
        argv.push(`${arg.prefix}${path}`);
      }
      const started = Date.now();
      const [file, ...args] = argv;
      const input = command.stdin?.secret.value;
      if (command.stdin && input === undefined) throw new Error(`internal: no value for ${command.stdin.name}`);
      const result = await spawn({ file: file!, args, input, timeoutMs, env: childEnv, signal: options.signal });
      const { exitCode } = result;
      options.audit?.({
        time: new Date(started).toISOString(),
        argv: shown,
        ...(command.stdin ? { stdin: displayStdin(command) } : {}),
        exitCode: exitCode ?? null,
        durationMs: Date.now() - started,
      });
      if (result.missing) throw new CliError('missing-cli', shown, undefined, `${file} is not installed or not on PATH`);
      if (result.timedOut) throw new CliError('transient', shown, undefined, `timed out after ${timeoutMs / 1000} s`);
      if (result.canceled) throw new CliError('failed', shown, undefined, 'cancelled');
      if (exitCode !== 0) {
        const stderr = options.redact(result.stderr);
        throw new CliError(classifyFailure(stderr, exitCode), shown, exitCode, cliMessage(stderr));
      }
      return { stdout: result.stdout, stderr: result.stderr, exitCode: 0 };
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  // Full jitter: spread retries so parallel calls don't throttle again together.
  const backoff = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * backoffMs * 2 ** (attempt - 1)));

  async function run(command: Command, runOptions: RunOptions = {}): Promise<RunResult> {
    const attempts = runOptions.attempts ?? options.defaults?.attempts ?? DEFAULT_ATTEMPTS;
    for (let n = 1; ; n++) {
      try {
        return await attempt(command, runOptions.timeoutMs ?? options.defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      } catch (error) {
        const kinds = runOptions.repeatable === false ? ['throttled'] : ['throttled', 'transient'];
        const retry = error instanceof CliError && kinds.includes(error.kind) && n < attempts && !options.signal?.aborted;
        if (!retry) throw error;
        await backoff(n);
      }
    }
  }

  return {
    backoff,
    run(command, runOptions = {}) {
      const shared = runOptions.shared ? options.sharedReads : undefined;
      if (!shared) return run(command, runOptions);
      const key = JSON.stringify(displayArgv(command));
      const known = shared.get(key);
      if (known) return known;
      const answer = run(command, runOptions);
      shared.set(key, answer);
      // A failed read is not an answer: the next one asks again.
      answer.catch(() => shared.delete(key));
      return answer;
    },
  };
}
