// Test support: a private tmux server (its own socket, no user config) in which the built CLI
// runs in a real terminal, read with capture-pane and driven with send-keys, as a person would.
// Every tmux call and every wait is bounded; the server and every process it started are
// stopped by PID when the test file ends.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';

const TMUX = '/usr/bin/tmux';
const CALL_TIMEOUT_MS = 10_000;
const DEFAULT_WAIT_MS = 90_000;
const DEFAULT_POLL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Quotes one word for a POSIX shell (single quotes; `$`, spaces and quotes stay literal). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface PaneCommand {
  /** argv of the program to run in the terminal (argv[0] is looked up on the pane's PATH). */
  argv: string[];
  /**
   * The program's whole environment (the pane's TERM is added): it starts from `env -i`, so
   * nothing leaks in from the tmux server, which inherits the test runner's environment (CI among it).
   */
  env: Record<string, string>;
  cwd: string;
}

export interface Pane {
  /** tmux target (session name). */
  target: string;
  /** PID of the pane's shell (the wrapper script). */
  pid: number;
  /** The visible screen (wrapped lines joined), trailing blank lines removed. */
  screen(): Promise<string>;
  /** The whole scrollback plus the visible screen (wrapped lines joined). */
  history(): Promise<string>;
  /** tmux send-keys: key names (`Enter`, `C-c`) or literal text with `{ literal: true }`. */
  sendKeys(keys: string[], options?: { literal?: boolean }): Promise<void>;
  /** Polls the visible screen until `test` passes; throws with the last screen on timeout. */
  waitFor(test: string | RegExp | ((screen: string) => boolean), options?: { timeoutMs?: number; intervalMs?: number; what?: string; history?: boolean }): Promise<string>;
  /** Waits for the `EXIT=<code>` line the wrapper prints when the program ends. */
  waitForExit(timeoutMs?: number): Promise<{ code: number; screen: string }>;
}

export interface TmuxServer {
  socket: string;
  /** Runs `command` in a new session of width × height, wrapped so the exit code is shown and the pane stays. */
  run(name: string, command: PaneCommand, scriptPath: string, size?: { width: number; height: number }): Promise<Pane>;
  /** kill-server, then makes sure every process the panes started is gone (SIGKILL by PID if not). */
  kill(): Promise<void>;
}

function tmux(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      TMUX,
      ['-L', socket, '-f', '/dev/null', ...args],
      // A UTF-8 locale, so capture-pane returns the table's glyphs instead of `_`.
      { timeout: CALL_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C.UTF-8' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`tmux ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Trailing spaces of each line and trailing blank lines removed: what a person reads. */
function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/** PIDs of every live descendant of `root` (from /proc), deepest last. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent PID; the command name (field 2) may contain spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill 0; it is gone for our purposes.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A new, private tmux server; nothing runs until the first `run`. */
export function createTmuxServer(prefix = 'cmd-e2e'): TmuxServer {
  const socket = `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
  let serverPid: number | undefined;
  const panePids: number[] = [];

  return {
    socket,
    async run(name, command, scriptPath, size = { width: 120, height: 50 }) {
      const assignments = Object.entries(command.env)
        .filter(([key]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
        .map(([key, value]) => `${key}=${shellQuote(value)}`);
      // bash traps INT with a no-op so that Ctrl-C reaches the program (its process group gets
      // SIGINT, as in a person's shell) while the wrapper itself survives to print the exit code.
      // A trap, unlike ignoring the signal, is reset in the program, so it sees SIGINT normally.
      const script = [
        '#!/bin/bash',
        "trap ':' INT",
        `cd ${shellQuote(command.cwd)} || exit 99`,
        `env -i TERM="$TERM" ${assignments.join(' ')} ${command.argv.map(shellQuote).join(' ')}`,
        'echo "EXIT=$?"',
        'sleep 600',
        '',
      ].join('\n');
      await writeFile(scriptPath, script, { mode: 0o700 });
      await chmod(scriptPath, 0o700);
      await tmux(socket, ['new-session', '-d', '-s', name, '-x', String(size.width), '-y', String(size.height), '/bin/bash', scriptPath]);
      if (serverPid === undefined) serverPid = Number((await tmux(socket, ['display-message', '-p', '-t', name, '#{pid}'])).trim());
      const pid = Number((await tmux(socket, ['display-message', '-p', '-t', name, '#{pane_pid}'])).trim());
      panePids.push(pid);

      const pane: Pane = {
        target: name,
        pid,
        async screen() {
          return tidy(await tmux(socket, ['capture-pane', '-p', '-J', '-t', name]));
        },
        async history() {
          return tidy(await tmux(socket, ['capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', name]));
        },
        async sendKeys(keys, options = {}) {
          await tmux(socket, ['send-keys', '-t', name, ...(options.literal ? ['-l'] : []), ...keys]);
        },
        async waitFor(test, options = {}) {
          const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
          const intervalMs = options.intervalMs ?? DEFAULT_POLL_MS;
          const matches = typeof test === 'string' ? (s: string) => s.includes(test) : test instanceof RegExp ? (s: string) => test.test(s) : test;
          const deadline = Date.now() + timeoutMs;
          let last = '';
          for (;;) {
            last = options.history ? await pane.history() : await pane.screen();
            if (matches(last)) return last;
            if (Date.now() >= deadline) break;
            await sleep(intervalMs);
          }
          const what = options.what ?? (typeof test === 'function' ? 'the expected screen' : String(test));
          throw new Error(`${what} did not appear within ${timeoutMs / 1000} s. Last screen of ${name}:\n${last}`);
        },
        async waitForExit(timeoutMs = DEFAULT_WAIT_MS) {
          const screen = await pane.waitFor(/^EXIT=\d+$/m, { timeoutMs, what: 'EXIT=<code>' });
          const code = Number(/^EXIT=(\d+)$/m.exec(screen)![1]);
          return { code, screen };
        },
      };
      return pane;
    },

    async kill() {
      // Everything the panes started, found before the server goes (the tree is lost after).
      const pids = [...panePids, ...panePids.flatMap(descendants)];
      await tmux(socket, ['kill-server']).catch(() => undefined);
      const deadline = Date.now() + 5_000;
      const all = serverPid === undefined ? pids : [serverPid, ...pids];
      while (all.some(alive) && Date.now() < deadline) await sleep(100);
      for (const pid of all.filter(alive)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const left = all.filter(alive);
      if (left.length) throw new Error(`processes still running after tmux kill-server: ${left.join(', ')}`);
    },
  };
}
