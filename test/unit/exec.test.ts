import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditedRunner } from '../../source/commands/context.js';
import { Journal } from '../../source/engine/journal.js';
import { fileAuditSink, type AuditEntry } from '../../source/exec/audit.js';
import { displayArgv, shellQuote, type Command, type FileArg } from '../../source/exec/command.js';
import { CliError, classifyFailure, cliMessage } from '../../source/exec/errors.js';
import { createRedactor } from '../../source/exec/redact.js';
import { createRunner, NOT_REPEATABLE, removeLeftoverTempDirs, SHARED_READ, type RunOptions, type SharedReads } from '../../source/exec/runner.js';
import { CANARY } from './fixtures.js';

describe('classifyFailure', () => {
  it.each([
    ['An error occurred (ThrottlingException) when calling the DescribeServices operation: Rate exceeded', 'throttled'],
    ['ERROR: (gcloud.run.services.list) RESOURCE_EXHAUSTED: Quota exceeded for quota metric', 'throttled'],
    ['An error occurred (InternalFailure) when calling the CreateService operation (reached max retries: 0): Internal error', 'transient'],
    ['An error occurred (ServiceUnavailableException) when calling the CreateService operation: Service Unavailable', 'transient'],
    ['Could not connect to the endpoint URL: "https://ecs.us-east-1.amazonaws.com/"', 'transient'],
    ['Read timeout on endpoint URL: "https://ecs.us-east-1.amazonaws.com/"', 'transient'],
    [
      'An error occurred (AccessDeniedException) when calling the DescribeSecret operation: User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: secretsmanager:DescribeSecret',
      'access-denied',
    ],
    ['An error occurred (ExpiredTokenException) when calling the GetCallerIdentity operation: The security token included in the request is expired', 'access-denied'],
    ['An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid.', 'access-denied'],
    ['Unable to locate credentials. You can configure credentials by running "aws configure".', 'access-denied'],
    ["An error occurred (ResourceNotFoundException) when calling the DescribeSecret operation: Secrets Manager can't find the specified secret.", 'not-found'],
    ['An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.', 'not-found'],
    ['An error occurred (NoSuchEntity) when calling the GetRolePolicy operation: The role policy with name membrane-read-secrets cannot be found.', 'not-found'],
    ['An error occurred (ClusterNotFoundException) when calling the DescribeServices operation: Cluster not found.', 'not-found'],
    ['An error occurred (InvalidParameterException) when calling the CreateService operation: subnets can not be empty.', 'invalid'],
    ['An error occurred (ClientException) when calling the RegisterTaskDefinition operation: Invalid setting for container', 'invalid'],
    ['An error occurred (ResourceExistsException) when calling the CreateSecret operation: The operation failed because the secret membrane/jwt-secret already exists.', 'conflict'],
    ['An error occurred (ResourceAlreadyExistsException) when calling the CreateLogGroup operation: The specified log group already exists', 'conflict'],
    ['ERROR: (gcloud.secrets.create) Resource in projects [p] is the subject of a conflict: Secret [projects/1/secrets/x] already exists.', 'conflict'],
  ])('%s -> %s', (stderr, kind) => {
    expect(classifyFailure(`\n${stderr}\n`, 254)).toBe(kind);
    expect(classifyFailure(stderr, 255)).toBe(kind);
  });

  it('calls an exit code 2 usage error invalid', () => {
    expect(classifyFailure('usage: aws [options] <command> <subcommand>\naws: error: the following arguments are required: --services', 2)).toBe('invalid');
    expect(classifyFailure("Invalid choice: 'describe-servicez', maybe you meant:\n  * describe-services", 2)).toBe('invalid');
  });

  it('calls anything unrecognised failed, whatever the exit code', () => {
    expect(classifyFailure('something odd happened', 1)).toBe('failed');
    expect(classifyFailure('something odd happened', 255)).toBe('failed');
    expect(classifyFailure('', undefined)).toBe('failed');
  });
});

describe('cliMessage', () => {
  it('keeps the error and drops the usage banner and blank lines', () => {
    const stderr = [
      '',
      'usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]',
      'To see help text, you can run:',
      '',
      '  aws help',
      '  aws <command> help',
      'aws: error: the following arguments are required: --services',
      '',
    ].join('\n');
    expect(cliMessage(stderr)).toBe('aws: error: the following arguments are required: --services');
  });

  it('keeps the last three lines, joined', () => {
    expect(cliMessage('one\ntwo\nthree\nfour\n')).toBe('two three four');
  });

  it('says so when there is no message', () => {
    expect(cliMessage('\n  \n')).toBe('no error message');
  });
});

describe('displayArgv', () => {
  const secret: FileArg = { prefix: 'file://', name: 'MEMBRANE_SECRET', secret: { value: CANARY.secret, shell: `printf '%s' "$MEMBRANE_SECRET"` } };
  const document: FileArg = { prefix: 'file://', name: 'task-definitions/api.json', content: '{"family":"membrane-api","x":"DOCUMENT-BODY"}' };

  it('shows a secret file by name and never its value', () => {
    const shown = displayArgv({ argv: ['aws', 'secretsmanager', 'create-secret', '--secret-string', secret] });
    expect(shown).toEqual(['aws', 'secretsmanager', 'create-secret', '--secret-string', 'file://<secret MEMBRANE_SECRET>']);
    expect(shown.join(' ')).not.toContain(CANARY.secret);
  });

  it('shows a document by its file name, not its content', () => {
    const shown = displayArgv({ argv: ['aws', 'ecs', 'register-task-definition', '--cli-input-json', document] });
    expect(shown.at(-1)).toBe('file://task-definitions/api.json');
    expect(shown.join(' ')).not.toContain('DOCUMENT-BODY');
  });

  it('uses the prefix of the CLI', () => {
    expect(displayArgv({ argv: ['gcloud', { ...document, prefix: '--flags-file=' }] })).toEqual(['gcloud', '--flags-file=task-definitions/api.json']);
  });
});

describe('shellQuote', () => {
  it('quotes robot$core+acme so the shell keeps the $ literal', () => {
    expect(shellQuote('robot$core+acme')).toBe("'robot$core+acme'");
  });

  it('leaves plain words alone', () => {
    for (const word of ['aws', 'us-east-1', '--cli-input-json', 'file://task-definitions/api.json', 'Key=membrane:deployment,Value=default', 'a@b%c+d=e']) {
      expect(shellQuote(word)).toBe(word);
    }
  });

  it('round-trips awkward words through a real bash unchanged', () => {
    const words = ['robot$core+acme', "it's", '$(touch /tmp/pwned)', '`id`', 'a b', '"q"', '*', ';rm -rf', '<namespace:id>', '', 'line\nbreak', '\\', "''", '!event'];
    const script = `printf '%s\\0' ${words.map(shellQuote).join(' ')}`;
    const output = execFileSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(output.split('\0').slice(0, -1)).toEqual(words);
  });
});

/** True while the process runs; a zombie (killed, not yet reaped by init) counts as gone. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

describe('createRunner with real processes', () => {
  const NODE = process.execPath;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runner-test-'));
  });
  afterAll(async () => {
    // After a regression the children of holdsStdout would outlive the tests: end them by pid.
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.pid')) continue;
      const pid = Number(await readFile(join(dir, name), 'utf8'));
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Prints the path, mode and content of the file named by its first argument (file://PATH). */
  const SHOW_FILE = `
    const fs = require('fs');
    const path = process.argv[1].replace(/^file:\\/\\//, '');
    const content = fs.readFileSync(path, 'utf8');
    const out = JSON.stringify({ path, mode: fs.statSync(path).mode & 0o777, content });
    if (process.argv[2] === 'fail') { process.stderr.write('error: could not use ' + content + ' in ' + path + '\\n'); process.exit(1); }
    process.stdout.write(out);`;

  /** Fails with MESSAGE (exit 255) the first N times, counting in COUNTER; then prints "ok N". */
  const FLAKY = `
    const fs = require('fs');
    const [counter, failures, message] = process.argv.slice(1);
    const n = (fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0) + 1;
    fs.writeFileSync(counter, String(n));
    if (n <= Number(failures)) { process.stderr.write('\\n' + message + '\\n'); process.exit(255); }
    process.stdout.write('ok ' + n);`;

  const THROTTLED = 'An error occurred (ThrottlingException) when calling the DescribeServices operation: Rate exceeded';
  const INTERNAL = 'An error occurred (InternalFailure) when calling the CreateSecret operation (reached max retries: 0): Internal error';
  const DENIED = 'An error occurred (AccessDeniedException) when calling the DescribeServices operation: User is not authorized';

  function setup(secrets: string[] = []) {
    const entries: AuditEntry[] = [];
    const runner = createRunner({ audit: (entry) => entries.push(entry), redact: createRedactor(secrets), backoffMs: 1 });
    return { entries, runner };
  }

  async function failure(promise: Promise<unknown>): Promise<CliError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }

  let counters = 0;
  const flaky = (failures: number, message: string): Command => ({ argv: [NODE, '-e', FLAKY, join(dir, `counter-${++counters}`), String(failures), message] });
  const attemptsMade = async (command: Command) => Number(await readFile(command.argv[3] as string, 'utf8'));

  it('runs argv without a shell and returns stdout, with one audit entry', async () => {
    const { entries, runner } = setup();
    const result = await runner.run({ argv: [NODE, '-e', 'process.stdout.write(process.argv.slice(1).join("|"))', 'robot$core+acme', '$(echo no)', 'a b'] });
    expect(result).toMatchObject({ stdout: 'robot$core+acme|$(echo no)|a b', exitCode: 0 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ exitCode: 0, argv: [NODE, '-e', expect.any(String), 'robot$core+acme', '$(echo no)', 'a b'] });
    expect(Number.isNaN(Date.parse(entries[0]!.time))).toBe(false);
    expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes the given environment on top of its own', async () => {
    const runner = createRunner({ redact: createRedactor([]), env: { MEMBRANE_RUNNER_TEST: 'from-options' } });
    const result = await runner.run({ argv: [NODE, '-e', 'process.stdout.write(process.env.MEMBRANE_RUNNER_TEST + " " + (process.env.PATH ? "path" : "nopath"))'] });
    expect(result.stdout).toBe('from-options path');
  });

  it('gives no child the variables it withholds (the secrets), and every other one', async () => {
    vi.stubEnv('MEMBRANE_RUNNER_SECRET', 'canary-withheld');
    vi.stubEnv('MEMBRANE_RUNNER_PLAIN', 'kept');
    try {
      const runner = createRunner({ redact: createRedactor([]), withheld: ['MEMBRANE_RUNNER_SECRET'] });
      const result = await runner.run({ argv: [NODE, '-e', 'process.stdout.write(JSON.stringify([process.env.MEMBRANE_RUNNER_SECRET ?? null, process.env.MEMBRANE_RUNNER_PLAIN]))'] });
      expect(JSON.parse(result.stdout)).toEqual([null, 'kept']);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('runs a shared read once per run, for every runner of the run, concurrent callers included; a failed one is asked again', async () => {
    const entries: AuditEntry[] = [];
    const sharedReads: SharedReads = new Map();
    const runnerOf = () => createRunner({ audit: (entry) => entries.push(entry), redact: createRedactor([]), sharedReads, backoffMs: 1 });
    const read: Command = { argv: [NODE, '-e', 'process.stdout.write(String(process.pid))'] };
    const [a, b] = await Promise.all([runnerOf().run(read, SHARED_READ), runnerOf().run(read, SHARED_READ)]);
    expect(b.stdout).toBe(a.stdout);
    expect((await runnerOf().run(read, SHARED_READ)).stdout).toBe(a.stdout);
    expect(entries).toHaveLength(1);
    // Not marked shared: it runs.
    expect((await runnerOf().run(read)).stdout).not.toBe(a.stdout);
    const failing: Command = { argv: [NODE, '-e', 'process.exit(3)'] };
    await expect(runnerOf().run(failing, { ...SHARED_READ, attempts: 1 })).rejects.toThrow();
    await expect(runnerOf().run(failing, { ...SHARED_READ, attempts: 1 })).rejects.toThrow();
    expect(entries).toHaveLength(4);
  });

  it("the installer's runner withholds every secret variable from the CLIs it runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-withheld-'));
    vi.stubEnv('MEMBRANE_MONGO_URI', 'mongodb+srv://membrane:canary-withheld@cluster0.example.net/membrane');
    vi.stubEnv('MEMBRANE_REGISTRY_PASSWORD', 'canary-withheld-registry');
    try {
      const runner = createAuditedRunner({ journal: new Journal(dir), sharedReads: new Map() }, undefined);
      const result = await runner.run({ argv: [NODE, '-e', 'process.stdout.write(Object.keys(process.env).filter((name) => name.startsWith("MEMBRANE_")).join(","))'] });
      expect(result.stdout).toBe('');
    } finally {
      vi.unstubAllEnvs();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes a document to a 0600 temp file for the run and removes it afterwards', async () => {
    const { entries, runner } = setup();
    const content = '{"family":"membrane-api"}\n';
    const result = await runner.run({ argv: [NODE, '-e', SHOW_FILE, { prefix: 'file://', name: 'task-definitions/api.json', content }] });
    const seen = JSON.parse(result.stdout) as { path: string; mode: number; content: string };
    expect(seen.content).toBe(content);
    expect(seen.mode).toBe(0o600);
    expect(existsSync(seen.path)).toBe(false);
    expect(existsSync(dirname(seen.path))).toBe(false);
    expect(basename(dirname(seen.path))).toMatch(new RegExp(`^membrane-deploy-${process.pid}-`));
    expect(entries[0]!.argv.at(-1)).toBe('file://task-definitions/api.json');
  });

  it('hands a secret file to the process but keeps its value out of the audit log', async () => {
    const { entries, runner } = setup([CANARY.secret]);
    const secret: FileArg = { prefix: 'file://', name: 'MEMBRANE_SECRET', secret: { value: CANARY.secret, shell: 'printf' } };
    const result = await runner.run({ argv: [NODE, '-e', SHOW_FILE, secret] });
    const seen = JSON.parse(result.stdout) as { path: string; mode: number; content: string };
    expect(seen.content).toBe(CANARY.secret);
    expect(seen.mode).toBe(0o600);
    expect(existsSync(seen.path)).toBe(false);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.argv.at(-1)).toBe('file://<secret MEMBRANE_SECRET>');
    expect(JSON.stringify(entries)).not.toContain(CANARY.secret);
    expect(JSON.stringify(entries)).not.toContain(seen.path);
  });

  it('keeps a secret out of the error when the CLI echoes it, and still removes the file', async () => {
    const { entries, runner } = setup([CANARY.secret]);
    const secret: FileArg = { prefix: 'file://', name: 'MEMBRANE_SECRET', secret: { value: CANARY.secret, shell: 'printf' } };
    const error = await failure(runner.run({ argv: [NODE, '-e', SHOW_FILE, secret, 'fail'] }));
    expect(error.kind).toBe('failed');
    expect(error.exitCode).toBe(1);
    const [, path] = /^error: could not use \*\*\* in (\S+)$/.exec(error.cliMessage) ?? [];
    expect(path).toMatch(/MEMBRANE_SECRET$/);
    expect(existsSync(path!)).toBe(false);
    for (const text of [error.message, error.cliMessage, error.argv.join(' '), JSON.stringify(entries)]) expect(text).not.toContain(CANARY.secret);
  });

  it('hands a secret to the process on stdin, naming only its variable in the audit log', async () => {
    const { entries, runner } = setup([CANARY.secret]);
    const read = 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.stringify({ s, args: process.argv.slice(1) })))';
    const result = await runner.run({ argv: [NODE, '-e', read, '--', '--data-file=-'], stdin: { name: 'MEMBRANE_SECRET', secret: { value: CANARY.secret, shell: 'printf' } } });
    expect(JSON.parse(result.stdout)).toEqual({ s: CANARY.secret, args: ['--data-file=-'] });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.stdin).toBe('<secret MEMBRANE_SECRET>');
    expect(JSON.stringify(entries)).not.toContain(CANARY.secret);
  });

  it('refuses a stdin secret without a value before running anything', async () => {
    const { entries, runner } = setup();
    await expect(runner.run({ argv: [NODE, '-e', '0'], stdin: { name: 'MEMBRANE_SECRET', secret: { shell: 'printf' } } })).rejects.toThrow(/no value for MEMBRANE_SECRET/);
    expect(entries).toEqual([]);
  });

  it('masks a known secret passed as a plain argument in the audit entry', async () => {
    const { entries, runner } = setup([CANARY.registryPassword]);
    await runner.run({ argv: [NODE, '-e', '0', '--', '--password', CANARY.registryPassword] });
    expect(entries[0]!.argv.slice(-2)).toEqual(['--password', '***']);
  });

  it('refuses a secret file without a value before running anything', async () => {
    const { entries, runner } = setup();
    const planned: FileArg = { prefix: 'file://', name: 'MEMBRANE_SECRET', secret: { shell: 'printf' } };
    await expect(runner.run({ argv: [NODE, '-e', SHOW_FILE, planned] })).rejects.toThrow(/no value for MEMBRANE_SECRET/);
    expect(entries).toEqual([]);
  });

  it('retries a throttled command until it succeeds, one audit entry per attempt', async () => {
    const { entries, runner } = setup();
    const command = flaky(2, THROTTLED);
    const result = await runner.run(command);
    expect(result.stdout).toBe('ok 3');
    expect(await attemptsMade(command)).toBe(3);
    expect(entries.map((entry) => entry.exitCode)).toEqual([255, 255, 0]);
  });

  it('gives up after the allowed attempts with a transient error carrying the CLI message', async () => {
    const { runner } = setup();
    const command = flaky(10, THROTTLED);
    const error = await failure(runner.run(command, { attempts: 3 }));
    expect(error.kind).toBe('throttled');
    expect(error.exitCode).toBe(255);
    expect(error.cliMessage).toBe(THROTTLED);
    expect(await attemptsMade(command)).toBe(3);
  });

  it('does not retry when attempts is 1', async () => {
    const { runner } = setup();
    const command = flaky(1, THROTTLED);
    await failure(runner.run(command, { attempts: 1 }));
    expect(await attemptsMade(command)).toBe(1);
  });

  it('retries a command that is not repeatable only after throttling, never after a 500', async () => {
    const { runner } = setup();
    const throttled = flaky(2, THROTTLED);
    expect((await runner.run(throttled, NOT_REPEATABLE)).stdout).toBe('ok 3');
    const lost = flaky(1, INTERNAL);
    const error = await failure(runner.run(lost, NOT_REPEATABLE));
    expect(error.kind).toBe('transient');
    expect(await attemptsMade(lost)).toBe(1);
    // A repeatable command is retried after the same 500.
    expect((await runner.run(flaky(1, INTERNAL))).stdout).toBe('ok 2');
  });

  it('does not retry a permanent failure', async () => {
    const { entries, runner } = setup();
    const command = flaky(1, DENIED);
    const error = await failure(runner.run(command));
    expect(error.kind).toBe('access-denied');
    expect(error.message).toContain('failed (exit 255)');
    expect(error.message).toContain('AccessDeniedException');
    expect(await attemptsMade(command)).toBe(1);
    expect(entries).toHaveLength(1);
  });

  it('reports a missing executable as missing-cli, without retrying', async () => {
    const { entries, runner } = setup();
    const error = await failure(runner.run({ argv: ['membrane-no-such-cli-4f1c', 'ecs', 'list-clusters'] }));
    expect(error.kind).toBe('missing-cli');
    expect(error.exitCode).toBeUndefined();
    expect(error.message).toContain('membrane-no-such-cli-4f1c');
    expect(entries).toHaveLength(1);
  });

  it('reports a timeout as transient and retries it', async () => {
    const { entries, runner } = setup();
    const options: RunOptions = { timeoutMs: 300, attempts: 2 };
    const started = Date.now();
    const error = await failure(runner.run({ argv: [NODE, '-e', 'setTimeout(() => {}, 20000)'] }, options));
    expect(error.kind).toBe('transient');
    expect(error.cliMessage).toMatch(/timed out/);
    expect(entries).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  /**
   * A CLI wrapper that starts a child holding its stdout (one that ignores SIGTERM, too), and
   * either exits at once or waits for it. The child's pid is in PATH.pid.
   */
  async function holdsStdout(end: '' | 'wait'): Promise<string> {
    const script = join(dir, `holds-stdout-${++counters}.sh`);
    await writeFile(script, `#!/bin/sh\ntrap '' TERM\nsleep 60 &\necho "$!" > "$0.pid"\n${end}\n`, { mode: 0o700 });
    return script;
  }
  const childOf = async (script: string) => Number(await readFile(`${script}.pid`, 'utf8'));

  it.each([
    ['exits', ''],
    ['waits for it', 'wait'],
  ] as const)('times out a CLI whose child keeps stdout open (the wrapper %s): kills the group, transient', async (_, end) => {
    const script = await holdsStdout(end);
    const { entries, runner } = setup();
    const started = Date.now();
    const error = await failure(runner.run({ argv: [script] }, { timeoutMs: 500, attempts: 1 }));
    expect(Date.now() - started).toBeLessThan(500 + 5000);
    expect(error.kind).toBe('transient');
    expect(error.cliMessage).toMatch(/timed out/);
    expect(entries).toHaveLength(1);
    const child = await childOf(script);
    await vi.waitFor(() => expect(running(child)).toBe(false), { timeout: 1000 });
  });

  it('cancels a CLI whose child keeps stdout open: kills the group, without retrying', async () => {
    const script = await holdsStdout('wait');
    const stop = new AbortController();
    const entries: AuditEntry[] = [];
    const runner = createRunner({ audit: (entry) => entries.push(entry), redact: createRedactor([]), signal: stop.signal, backoffMs: 1 });
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    const error = await failure(runner.run({ argv: [script] }));
    expect(Date.now() - started).toBeLessThan(300 + 5000);
    expect(error.cliMessage).toBe('cancelled');
    expect(entries).toHaveLength(1);
    const child = await childOf(script);
    await vi.waitFor(() => expect(running(child)).toBe(false), { timeout: 1000 });
  });
});

describe('temp dirs left by a killed run', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'leftovers-test-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The pid of a process that has come and gone. */
  const deadPid = () => spawnSync('true').pid!;

  function leftover(name: string, uid?: number): string {
    const path = join(root, name);
    mkdirSync(path, { mode: 0o700 });
    writeFileSync(join(path, 'MEMBRANE_SECRET'), CANARY.secret, { mode: 0o600 });
    if (uid !== undefined) chownSync(path, uid, uid);
    return path;
  }

  it('removes those of dead processes, and keeps those of live ones and other files', () => {
    const dead = leftover(`membrane-deploy-${deadPid()}-AbC123`);
    const ours = leftover(`membrane-deploy-${process.pid}-XyZ789`);
    const parents = leftover(`membrane-deploy-${process.ppid}-QwE456`);
    const unnamed = leftover('membrane-deploy-k3Jd8s');
    const other = leftover(`other-${deadPid()}-AbC123`);
    removeLeftoverTempDirs(root);
    expect(existsSync(dead)).toBe(false);
    for (const kept of [ours, parents, unnamed, other]) expect(existsSync(join(kept, 'MEMBRANE_SECRET'))).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)("keeps another user's, even when its process is gone", () => {
    const theirs = leftover(`membrane-deploy-${deadPid()}-NoB0dy`, 65534);
    removeLeftoverTempDirs(root);
    expect(existsSync(theirs)).toBe(true);
  });

  it('are removed when the first runner of a process is created', async () => {
    const dead = leftover(`membrane-deploy-${deadPid()}-FiRsT1`);
    vi.stubEnv('TMPDIR', root);
    try {
      // A fresh copy of the module: this process made runners already.
      vi.resetModules();
      const runner = await import('../../source/exec/runner.js');
      runner.createRunner({ redact: createRedactor([]) });
      expect(existsSync(dead)).toBe(false);
      const later = leftover(`membrane-deploy-${deadPid()}-LaTeR2`);
      runner.createRunner({ redact: createRedactor([]) });
      expect(existsSync(later)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('fileAuditSink', () => {
  it('appends one JSON line per entry to a 0600 file in a 0700 directory it creates', async () => {
    const root = await mkdtemp(join(tmpdir(), 'audit-test-'));
    try {
      const path = join(root, 'state', 'default', 'audit.log');
      const sink = fileAuditSink(path);
      const first: AuditEntry = { time: '2025-09-19T10:00:00.000Z', argv: ['aws', 'sts', 'get-caller-identity'], exitCode: 0, durationMs: 812 };
      const second: AuditEntry = { time: '2025-09-19T10:00:01.000Z', argv: ['aws', 'secretsmanager', 'create-secret', '--secret-string', 'file://<secret MEMBRANE_SECRET>'], exitCode: null, durationMs: 5 };
      sink(first);
      sink(second);
      const lines = (await readFile(path, 'utf8')).split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe('');
      expect(lines.slice(0, 2).map((line) => JSON.parse(line))).toEqual([first, second]);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
