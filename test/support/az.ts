// Test support: the strict, stateful fake `az` (test/support/fake-az/az) in a throwaway directory.
// There is no usable `az` on our machines and a real `az login` must never run (design.md §6), so the
// installer's Azure adapter is tested against this fake, put first on PATH. Its state is a JSON file the
// tests can read at any time; every call is recorded as {argv, exitCode} so tests can check what was
// (and was not) passed on a command line. Every az process started here is killed by its PID after a
// bounded time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './process.js';

/** The directory to put first on PATH: it holds the `az` script. */
export const FAKE_AZ_DIR = fileURLToPath(new URL('./fake-az', import.meta.url));
const FAKE_AZ = join(FAKE_AZ_DIR, 'az');
const AZ_CALL_TIMEOUT_MS = 30_000;

export interface FakeAzOptions {
  /** Subscription ID (a GUID). */
  subscription?: string;
  subscriptionName?: string;
  tenantId?: string;
  resourceGroup: string;
  /** A Container Apps managed environment that exists in resourceGroup. */
  environment: string;
  /** An RBAC-mode Key Vault that exists in resourceGroup. */
  keyVault: string;
  /** Location of the group, environment and vault; default eastus. */
  location?: string;
  /** AZ_FAKE_READY_AFTER: show/list reads until a new revision settles (default 2; 0 = at once). */
  readyAfter?: number;
  /** AZ_FAKE_ACTIVATE_AFTER: show/list reads after provisioning until a healthy revision is ready (default 0). */
  activateAfter?: number;
  /** AZ_FAKE_VERSION: what `az version` reports as azure-cli (default 2.75.0). */
  version?: string;
  /** Public Azure DNS zones (each with its SOA and NS record sets) and any record sets already in them. */
  dnsZones?: { name: string; resourceGroup: string; recordSets?: FakeRecordSet[] }[];
}

/** A record set as seeded: name relative to the zone; a TXT value is one record. */
export interface FakeRecordSet {
  name: string;
  type: 'A' | 'CNAME' | 'TXT';
  values: string[];
}

export interface FakeAzCall {
  argv: string[];
  exitCode: number;
}

export interface FakeSecretVersion {
  version: string;
  value: string;
  contentType: string | null;
  tags: Record<string, string>;
  enabled: boolean;
  created: string;
}

/** A container app as the fake keeps it: the ARM resource plus its revisions and read counter. */
export interface FakeApp {
  resource: Record<string, any>;
  /** Keyed by lower-case revision name. */
  revisions: Record<string, { name: string; createdTime: string; template: Record<string, any>; settled: boolean; active: boolean; failure: string | null }>;
  latest: string;
  reads: number;
  pending: boolean;
}

/** The fake's state.json. Keys are lower-case: `rg` for groups and vaults, `rg/name` for the rest. */
export interface FakeAzState {
  loggedIn: boolean;
  subscription: { id: string; name: string; tenantId: string; user: { name: string; type: string }; userObjectId: string };
  resourceGroups: Record<string, { name: string; location: string }>;
  environments: Record<string, Record<string, any>>;
  keyVaults: Record<string, {
    resource: Record<string, any>;
    secrets: Record<string, { name: string; versions: FakeSecretVersion[] }>;
    /** Soft-deleted secrets, recoverable until purged; absent until one is deleted. */
    deletedSecrets?: Record<string, { name: string; versions: FakeSecretVersion[]; deletedDate: string; scheduledPurgeDate: string }>;
  }>;
  identities: Record<string, { id: string; name: string; clientId: string; principalId: string; tenantId: string; location: string; resourceGroup: string }>;
  roleAssignments: Record<string, any>[];
  apps: Record<string, FakeApp>;
  /** Keyed by lower-case zone name; record sets by `name/TYPE` (name lower-case, relative to the zone). */
  dnsZones: Record<string, { name: string; resourceGroup: string; id: string; recordSets: Record<string, { name: string; type: string; ttl: number; values: (string | string[])[] }> }>;
  /** Keyed by `environment id/hostname`, lower-case. */
  managedCertificates: Record<string, { id: string; name: string; subjectName: string; provisioningState: 'Pending' | 'Succeeded'; reads: number }>;
}

export interface FakeAz {
  /** The state directory (AZ_FAKE_STATE). */
  dir: string;
  /** The complete environment of a child `az`: PATH with the fake first, AZ_FAKE_STATE, AZURE_CONFIG_DIR. */
  env: Record<string, string>;
  subscription: string;
  tenantId: string;
  state(): FakeAzState;
  calls(): FakeAzCall[];
  /** From the next time a revision of `app` settles, it fails with `message`; null heals later revisions. */
  setFailure(app: string, message: string | null): void;
  /**
   * Readiness by time (ready.json): a new revision settles at the first show/list `ms` or more after
   * it was created, however often it is read before; null goes back to AZ_FAKE_READY_AFTER reads.
   */
  setReadyAfterMs(ms: number | null): void;
  /** Lines `az containerapp logs show` prints for `app`; null restores the canned lines. */
  setLogs(app: string, lines: string[] | null): void;
  /** Removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AzRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** A failed `az` call: 2 for argument errors, 3 for missing resources, 1 for the rest. */
export class AzCliError extends Error {
  constructor(readonly args: string[], readonly run: AzRun) {
    super(`az ${args.join(' ')} failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
    this.name = 'AzCliError';
  }
  get exitCode() {
    return this.run.exitCode;
  }
  get stderr() {
    return this.run.stderr;
  }
}

/** Runs `az` as found on env.PATH (the fake); never throws for a non-zero exit. Killed by PID after 30 s. */
export async function azRun(env: Record<string, string>, args: string[], options: { timeoutMs?: number } = {}): Promise<AzRun> {
  const run = await runProcess('az', args, { env, timeoutMs: options.timeoutMs ?? AZ_CALL_TIMEOUT_MS });
  return { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr };
}

/** Runs `az` and parses its JSON output (null when empty). Throws AzCliError on a non-zero exit. */
export async function az(env: Record<string, string>, args: string[]): Promise<any> {
  const run = await azRun(env, args);
  if (run.exitCode !== 0) throw new AzCliError(args, run);
  return run.stdout.trim() === '' ? null : JSON.parse(run.stdout);
}

/** The parent's environment minus anything that could point a CLI at a real Azure account. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(AZURE_|AZ_|ARM_|MSI_|IDENTITY_|IMDS_)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Writes JSON through a temporary file and a rename, so that a concurrent `az` never reads half of it. */
function writeJsonAtomic(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${path}.tmp`, path);
}

function readJson<T>(path: string, fallback: T): T {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : fallback;
}

/** Makes a temp state directory seeded with the group, environment and vault, ready for `az` calls. */
export async function startFakeAz(options: FakeAzOptions): Promise<FakeAz> {
  const root = await mkdtemp(join(tmpdir(), 'fake-az-'));
  const dir = join(root, 'state');
  const configDir = join(root, 'azure-config');
  await mkdir(dir);
  await mkdir(configDir);
  const location = options.location ?? 'eastus';
  const subscription = options.subscription ?? '0b1f6471-1bf0-4dda-aec3-111122223333';
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  writeJsonAtomic(join(dir, 'seed.json'), {
    subscription: { id: subscription, name: options.subscriptionName ?? 'Fake Subscription', tenantId },
    // A zone's group exists too (it may be another one than the deployment's).
    resourceGroups: [...new Set([options.resourceGroup, ...(options.dnsZones ?? []).map((zone) => zone.resourceGroup)])].map((name) => ({ name, location })),
    environments: [{ name: options.environment, resourceGroup: options.resourceGroup, location }],
    keyVaults: [{ name: options.keyVault, resourceGroup: options.resourceGroup, location }],
    dnsZones: options.dnsZones ?? [],
  });
  const env: Record<string, string> = {
    ...childEnv(),
    PATH: `${FAKE_AZ_DIR}${delimiter}${process.env.PATH ?? ''}`,
    AZ_FAKE_STATE: dir,
    // What a real az would use instead of ~/.azure; the fake keeps nothing there.
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    ...(options.readyAfter !== undefined && { AZ_FAKE_READY_AFTER: String(options.readyAfter) }),
    ...(options.activateAfter !== undefined && { AZ_FAKE_ACTIVATE_AFTER: String(options.activateAfter) }),
    ...(options.version !== undefined && { AZ_FAKE_VERSION: options.version }),
  };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= rm(root, { recursive: true, force: true }));
  // Build state.json from the seed now (not logged as a call), so state() works before the first call.
  const init = spawnSync(process.execPath, [FAKE_AZ], { env: { ...env, AZ_FAKE_INIT_ONLY: '1' }, encoding: 'utf8', timeout: AZ_CALL_TIMEOUT_MS, killSignal: 'SIGKILL' });
  if (init.status !== 0) {
    await stop();
    throw new Error(`fake az failed to initialise (exit ${init.status}): ${init.stderr}`);
  }
  const editJson = <T extends Record<string, unknown>>(name: string, edit: (value: T) => void) => {
    const value = readJson<T>(join(dir, name), {} as T);
    edit(value);
    writeJsonAtomic(join(dir, name), value);
  };
  return {
    dir,
    env,
    subscription,
    tenantId,
    state: () => readJson<FakeAzState>(join(dir, 'state.json'), {} as FakeAzState),
    calls: () =>
      existsSync(join(dir, 'calls.jsonl'))
        ? readFileSync(join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as FakeAzCall)
        : [],
    setFailure: (app, message) =>
      editJson<Record<string, string>>('fail.json', (failures) => {
        if (message === null) delete failures[app];
        else failures[app] = message;
      }),
    setReadyAfterMs: (ms) => {
      if (ms === null) rmSync(join(dir, 'ready.json'), { force: true });
      else writeJsonAtomic(join(dir, 'ready.json'), { afterMs: ms });
    },
    setLogs: (app, lines) =>
      editJson<Record<string, string[]>>('logs.json', (logs) => {
        if (lines === null) delete logs[app];
        else logs[app] = lines;
      }),
    stop,
  };
}

/** The answers an operator would write for a fake subscription: resource group, environment and vault as tests create them. */
export function azureAnswers(subscription: string, { resourceGroup = 'membrane-rg', keyVault = 'membrane-vault' } = {}) {
  return {
    cloud: 'azure',
    domain: 'example.com',
    imageTag: '2025-09-19',
    registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
    azure: { subscription, resourceGroup, environment: 'membrane-env', location: 'eastus', keyVault },
  };
}
