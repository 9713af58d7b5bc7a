// Test support: a moto server on loopback, and a helper that runs the real `aws` CLI against it.
// Every process started here is stopped by its PID; every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { runProcess } from './process.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const AWS_CALL_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;

export interface MotoServer {
  /** Loopback port moto listens on. */
  port: number;
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** PID of the moto server process. */
  pid: number;
  /** Environment for a child `aws` process: points at moto, never at the user's real AWS files. */
  env: Record<string, string>;
  /** Wipes all of moto's state (default VPC, subnets and security groups come back with new ids). */
  reset(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Value of MOTO_ECS_SERVICE_RUNNING: running count moto reports for ECS services (default 2). */
  ecsServiceRunning?: number;
}

/** A failed `aws` call: the exit code (255 service error, 2 argument error) and stderr. */
export class AwsCliError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`aws ${args.join(' ')} failed (${exitCode === null ? `signal ${signal}` : `exit ${exitCode}`}): ${stderr.trim() || stdout.trim()}`);
    this.name = 'AwsCliError';
  }
}

/** Asks the kernel for a free loopback port (listen on 0, read it, close). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a loopback listener'));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}

/** Runs a short helper command (bounded), returning its trimmed stdout, or undefined on any failure. */
function probe(command: string, args: string[], timeoutMs = 20_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 && out.trim() ? out.trim() : undefined);
    });
  });
}

async function firstOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Toolchain {
  /** The real python3 interpreter (not a pyenv shim), so moto's PID is the server itself. */
  python: string;
  /** Directory of the real `aws` when the one on PATH is a pyenv shim (each shim hop costs ~0.3-0.6 s). */
  awsDir: string | undefined;
}

let toolchain: Promise<Toolchain> | undefined;

/** Resolves pyenv shims once per test worker: the same binaries, minus the shim's start-up cost. */
function resolveToolchain(): Promise<Toolchain> {
  toolchain ??= (async () => {
    const [python, awsDir] = await Promise.all([
      probe('python3', ['-c', 'import sys; print(sys.executable)']),
      (async () => {
        const onPath = await firstOnPath('aws');
        if (!onPath) return undefined;
        const head = await readFile(onPath, 'utf8').then((text) => text.slice(0, 2_000), () => '');
        if (!/pyenv["']? exec/.test(head)) return undefined;
        const real = await probe('pyenv', ['which', 'aws']);
        return real ? dirname(real) : undefined;
      })(),
    ]);
    return { python: python ?? 'python3', awsDir };
  })();
  return toolchain;
}

/** The environment of a child `aws`: the parent's minus every AWS_* and proxy variable, plus moto's. */
function awsEnv(endpoint: string, configFile: string, credentialsFile: string, awsDir: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    // AWS_PROFILE, AWS_SESSION_TOKEN, AWS_ROLE_ARN, AWS_CA_BUNDLE ... must not leak in from the host.
    if (key.startsWith('AWS_')) continue;
    // A proxy must never see (or redirect) the loopback traffic.
    if (/^(https?|all|no)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  if (awsDir) env.PATH = env.PATH ? `${awsDir}${delimiter}${env.PATH}` : awsDir;
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    NO_PROXY: `${HOST},localhost`,
    no_proxy: `${HOST},localhost`,
  };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  if (!(await waitForExit(child, STOP_GRACE_MS))) {
    throw new Error(`moto (pid ${child.pid}) did not exit after SIGKILL`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts one moto server on a free loopback port and waits until it answers `GET /moto-api/`. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const ecsServiceRunning = options.ecsServiceRunning ?? 2;
  const { python, awsDir } = await resolveToolchain();
  const dir = await mkdtemp(join(tmpdir(), 'moto-aws-'));
  const configFile = join(dir, 'config');
  const credentialsFile = join(dir, 'credentials');
  await Promise.all([writeFile(configFile, ''), writeFile(credentialsFile, '')]);

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort();
    const endpoint = `http://${HOST}:${port}`;
    const env = awsEnv(endpoint, configFile, credentialsFile, awsDir);
    const child = spawn(python, ['-m', 'moto.server', '-H', HOST, '-p', String(port)], {
      // AWS managed policies (AmazonECSTaskExecutionRolePolicy) exist on every real account.
      env: { ...env, MOTO_ECS_SERVICE_RUNNING: String(ecsServiceRunning), MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Keep draining moto's output (werkzeug logs each request) so it never blocks; keep the tail for errors.
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });

    const ready = await waitUntilReady(endpoint, child, () => spawnError);
    if (ready === 'ready' && child.pid !== undefined) {
      return makeServer(child, child.pid, port, endpoint, env, dir);
    }
    await killAndWait(child).catch(() => undefined);
    lastError = spawnError ?? new Error(`moto on port ${port} ${ready === 'exited' ? `exited (code ${child.exitCode})` : `was not ready within ${READY_TIMEOUT_MS} ms`}:\n${output}`);
    // Another process may have taken the port between our probe and moto's bind: try a new one.
    if (spawnError || ready === 'timeout') break;
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('moto did not start');
}

async function waitUntilReady(endpoint: string, child: ChildProcess, spawnError: () => Error | undefined): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError()) return 'exited';
    if (exited(child)) return 'exited';
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return 'ready';
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return 'timeout';
}

function makeServer(child: ChildProcess, pid: number, port: number, endpoint: string, env: Record<string, string>, dir: string): MotoServer {
  let stopping: Promise<void> | undefined;
  // Safety net: if the test worker exits without calling stop(), still end this one server by its PID.
  const onExit = () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    port,
    endpoint,
    pid,
    env,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status} ${body}`);
    },
    stop() {
      stopping ??= killAndWait(child).finally(() => {
        process.off('exit', onExit);
        return rm(dir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}

/**
 * Runs the real `aws` CLI with `--output json` and returns the parsed JSON (null when it prints nothing).
 * Throws AwsCliError (with stderr) on a non-zero exit; kills the process by PID after 60 s.
 */
export async function aws(env: Record<string, string>, args: string[]): Promise<any> {
  const fullArgs = [...args, '--output', 'json'];
  const run = await runProcess('aws', fullArgs, { env, timeoutMs: AWS_CALL_TIMEOUT_MS });
  const out = run.stdout;
  const err = run.stderr + (run.timedOut ? `\n(killed after ${AWS_CALL_TIMEOUT_MS} ms)` : '');
  if (run.exitCode !== 0) throw new AwsCliError(fullArgs, run.exitCode, run.signal, err, out);
  if (out.trim() === '') return null;
  try {
    return JSON.parse(out);
  } catch (error) {
    throw new Error(`aws ${fullArgs.join(' ')} printed non-JSON output: ${(error as Error).message}\n${out.slice(0, 2_000)}`);
  }
}
