// Test support: the real `gcloud` against the loopback fake of Google's APIs (gcp-fake.ts).
// gcloud reaches the fake as its HTTP proxy; every API endpoint is overridden to a `*.fake` host,
// and the account is a throwaway service account whose token_uri is the fake, activated with
// `gcloud auth activate-service-account` so that `gcloud auth list` shows it as users' machines do.
// Every gcloud process started here is killed by its PID after a bounded time.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGcpFakeServer, type FakeOptions, type GcpFake } from './gcp-fake.js';
import { runProcess } from './process.js';

const GCLOUD_CALL_TIMEOUT_MS = 90_000;

export type { GcpFake } from './gcp-fake.js';

export interface GcpHarness {
  fake: GcpFake;
  /** The complete environment of a child `gcloud`. */
  env: Record<string, string>;
  /** The service account gcloud is authenticated as. */
  account: string;
  /** Stops the fake and removes the throwaway gcloud config. Safe to call twice. */
  stop(): Promise<void>;
}

export interface GcloudRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A failed `gcloud` call: exit 1 for API errors, 2 for argument errors. */
export class GcloudCliError extends Error {
  constructor(readonly args: string[], readonly run: GcloudRun) {
    super(`gcloud ${args.join(' ')} failed (exit ${run.exitCode}): ${run.stderr.trim() || run.stdout.trim()}`);
    this.name = 'GcloudCliError';
  }
  get exitCode() {
    return this.run.exitCode;
  }
  get stderr() {
    return this.run.stderr;
  }
}

// APIs gcloud may call while deploying; each one goes to a `*.fake` host the fake answers.
const OVERRIDDEN_APIS = ['RUN', 'SECRETMANAGER', 'SERVICEUSAGE', 'ARTIFACTREGISTRY', 'CLOUDRESOURCEMANAGER', 'IAM', 'LOGGING', 'COMPUTE', 'DNS'];

/** The environment of a child gcloud: the parent's minus anything Google- or proxy-related, plus the fake's. */
export function gcloudEnv(port: number, configDir: string, project: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    // CLOUDSDK_* properties, GOOGLE_APPLICATION_CREDENTIALS, GCE_METADATA_HOST ... must not leak in.
    if (/^(CLOUDSDK_|GOOGLE_|GCE_|BOTO_)/.test(key)) continue;
    // no_proxy would let gcloud bypass the fake; other proxies must not see the traffic.
    if (/^(https?|all|no)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  for (const api of OVERRIDDEN_APIS) env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api}`] = `http://${api.toLowerCase()}.fake/`;
  return {
    ...env,
    CLOUDSDK_PROXY_TYPE: 'http',
    CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
    CLOUDSDK_PROXY_PORT: String(port),
    CLOUDSDK_CONFIG: configDir,
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    // Never probe the metadata server, check for updates, report usage or ask for a survey.
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_SURVEY_DISABLE_PROMPTS: 'true',
    TERM: 'dumb',
  };
}

/** Runs the real gcloud; never throws for a non-zero exit. Killed by PID after 90 s. */
export async function gcloudRun(env: Record<string, string>, args: string[], options: { input?: string } = {}): Promise<GcloudRun> {
  // stdin stays a pipe even without input (ended empty at once), as gcloud was always run here.
  const run = await runProcess('gcloud', args, { env, input: options.input ?? '', timeoutMs: GCLOUD_CALL_TIMEOUT_MS });
  return {
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr + (run.timedOut ? `\n(killed after ${GCLOUD_CALL_TIMEOUT_MS} ms)` : ''),
    ms: run.ms,
  };
}

/**
 * Runs the real gcloud and returns its stdout parsed as JSON (null when empty; the raw text when it
 * is not JSON, as for `secrets versions access`). Throws GcloudCliError on a non-zero exit.
 */
export async function gcloud(env: Record<string, string>, args: string[], options: { input?: string } = {}): Promise<any> {
  const run = await gcloudRun(env, args, options);
  if (run.exitCode !== 0) throw new GcloudCliError(args, run);
  if (run.stdout.trim() === '') return null;
  try {
    return JSON.parse(run.stdout);
  } catch {
    return run.stdout;
  }
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`openssl ${args.join(' ')} failed (exit ${code}): ${err}`));
    });
  });
}

/** Starts the fake, makes a throwaway gcloud config and activates a service account against the fake. */
export async function startGcpFake(options: Omit<FakeOptions, 'owner'>): Promise<GcpHarness> {
  // The account the tests act as created the project: it owns it, and so may act as its service accounts.
  const account = `membrane-deployer@${options.project}.iam.gserviceaccount.com`;
  const fake = await startGcpFakeServer({ ...options, owner: `serviceAccount:${account}` });
  const dir = await mkdtemp(join(tmpdir(), 'gcloud-fake-'));
  const stop = async () => {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const configDir = join(dir, 'config');
    await mkdir(configDir);
    const env = gcloudEnv(fake.port, configDir, options.project);
    const keyFile = join(dir, 'key.pem');
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
    const saFile = join(dir, 'service-account.json');
    await writeFile(saFile, JSON.stringify({
      type: 'service_account',
      project_id: options.project,
      private_key_id: 'fake-key-1',
      private_key: await readFile(keyFile, 'utf8'),
      client_email: account,
      client_id: '100000000000000000001',
      auth_uri: 'http://token.fake/auth',
      token_uri: 'http://token.fake/token',
    }));
    await gcloud(env, ['auth', 'activate-service-account', `--key-file=${saFile}`]);
    let stopping: Promise<void> | undefined;
    return { fake, env, account, stop: () => (stopping ??= stop()) };
  } catch (error) {
    await stop();
    throw error;
  }
}
