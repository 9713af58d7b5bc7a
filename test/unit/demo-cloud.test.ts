// The demo, in process: the install/resume/troubleshoot commands with the real AWS adapter
// against the simulated account, seen through a recording presenter (the JSON events).
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCli } from '../../source/args.js';
import { settingsFor, deriveSettings } from '../../source/answers/settings.js';
import { validateAnswers } from '../../source/answers/load.js';
import { awsAdapter } from '../../source/clouds/aws/index.js';
import { DEMO_ACCOUNT_FILE } from '../../source/clouds/demo/index.js';
import { simulatedAws } from '../../source/clouds/demo/simulated-aws.js';
import { DEMO_ANSWERS, DEMO_SECRETS } from '../../source/clouds/demo/world.js';
import { deploy, type DeployMode } from '../../source/commands/deploy.js';
import type { CommandContext } from '../../source/commands/context.js';
import { status } from '../../source/commands/status.js';
import { troubleshoot } from '../../source/commands/troubleshoot.js';
import { jsonPresenter } from '../../source/ui/presenter.js';

const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'demo-cloud-'));
  dirs.push(dir);
  return dir;
}

type Event = Record<string, any>;

/** Runs a deploy command in this process; the presenter records every JSON event. */
async function run(mode: DeployMode, args: string[]): Promise<{ code: number; events: Event[]; exits: number[] }> {
  const events: Event[] = [];
  const exits: number[] = [];
  const context: CommandContext = {
    presenter: jsonPresenter((text) => events.push(JSON.parse(text))),
    env: { CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: '0.01' },
    exit(code): never {
      exits.push(code);
      throw new Error(`exit ${code}`);
    },
  };
  const options = parseCli([...(mode === 'install' ? [] : [mode]), '--demo', '--json', '--yes', ...args]);
  const code = await deploy(options, mode, context);
  return { code, events, exits };
}

async function audited(dir: string, name = 'default'): Promise<string[][]> {
  const text = await readFile(join(dir, name, 'audit.log'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line).argv as string[]);
}

const count = (argvs: string[][], service: string, operation: string) => argvs.filter((argv) => argv[1] === service && argv[2] === operation).length;

describe('the demo: the real AWS adapter against a simulated account kept in the state directory', () => {
  it('installs with exactly the real AWS plan, every command answered, all seven healthy, exit 0', async () => {
    const dir = await stateDir();
    const { code, events, exits } = await run('install', ['--state-dir', dir]);
    expect(code).toBe(0);
    expect(exits).toEqual([]);

    const real = awsAdapter(settingsFor(deriveSettings('default', validateAnswers(DEMO_ANSWERS)), 'aws')).plan().map((step) => step.id);
    const finished = events.filter((e) => e.type === 'step-finished').map((e) => e.stepId);
    for (const id of real) expect(finished).toContain(id);
    expect(events.filter((e) => e.type === 'check-finished').every((e) => e.check.ok)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'complete' });

    // Every call was the aws CLI's, made by the real adapter, and answered by the simulation.
    const text = await readFile(join(dir, 'default', 'audit.log'), 'utf8');
    const entries = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(entries.every((entry) => entry.argv[0] === 'aws')).toBe(true);
    // 0, or 254 for what the adapter looks up before creating it (describe-secret of a new secret).
    expect(entries.filter((entry) => entry.exitCode !== 0 && entry.exitCode !== 254)).toEqual([]);
    const argvs = entries.map((entry) => entry.argv as string[]);
    expect(count(argvs, 'ecs', 'create-service')).toBe(7);
    expect(count(argvs, 'ecs', 'register-task-definition')).toBe(7);

    // Demo deployments have their own place: status --demo reads it, without --demo it is not there.
    const home = await stateDir();
    vi.stubEnv('XDG_CONFIG_HOME', home);
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
    expect((await run('install', [])).code).toBe(0);
    await status(parseCli(['status', '--demo', '--json']));
    expect(JSON.parse(printed.splice(0).join(''))).toMatchObject({ installed: true, status: 'done' });
    await status(parseCli(['status', '--json']));
    expect(JSON.parse(printed.splice(0).join(''))).toMatchObject({ installed: false });
    expect(existsSync(join(home, 'create-membrane-deploy', 'demo', 'default', 'journal.json'))).toBe(true);
    vi.unstubAllEnvs();

    // The simulated account keeps what was made, never a secret value.
    const account = JSON.parse(await readFile(join(dir, 'default', DEMO_ACCOUNT_FILE), 'utf8'));
    expect(Object.keys(account.services)).toHaveLength(7);
    for (const file of await readdir(join(dir, 'default'))) {
      const content = await readFile(join(dir, 'default', file), 'utf8');
      for (const value of Object.values(DEMO_SECRETS)) expect(content, file).not.toContain(value!);
    }
  });

  it('after --demo-fail api: names troubleshoot and resume; troubleshoot finds the cause; resume redeploys the api once and creates nothing twice', async () => {
    const dir = await stateDir();
    const failed = await run('install', ['--state-dir', dir, '--demo-fail', 'api']);
    expect(failed.code).toBe(1);
    const done = failed.events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', outcome: 'failed' });
    expect(done.summary).toContain(`Run every check against the cloud: create-membrane-deploy troubleshoot --name default --state-dir ${dir} --demo`);
    expect(done.summary).toContain(`Fix the cause, then continue with: create-membrane-deploy resume --name default --state-dir ${dir} --demo --yes`);

    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
    const diagnosis = await troubleshoot(parseCli(['troubleshoot', '--demo', '--state-dir', dir]), { env: {} });
    vi.mocked(process.stdout.write).mockRestore();
    expect(diagnosis).toBe(1);
    expect(printed.join('')).toMatch(/^Diagnosis: Cannot pull image: api cannot pull its image$/m);

    const resumed = await run('resume', ['--state-dir', dir]);
    expect(resumed.code).toBe(0);
    const argvs = await audited(dir);
    expect(count(argvs, 'ecs', 'update-service')).toBe(1);
    expect(count(argvs, 'ecs', 'create-service')).toBe(7);
    expect(count(argvs, 'ecs', 'register-task-definition')).toBe(7);
    expect(count(argvs, 'secretsmanager', 'create-secret')).toBe(Object.keys(DEMO_SECRETS).length);
    expect(resumed.events.at(-1)).toMatchObject({ type: 'done', outcome: 'complete' });
  });

  it('ends with what the domain needs, read from the account: at a domain its certificate does not cover, the listener to add one to', async () => {
    const dir = await stateDir();
    const covered = await run('install', ['--state-dir', dir]);
    expect(covered.events.at(-1)!.summary).toContain(
      'api.demo.example.com, ui.demo.example.com, console.demo.example.com: on the platform at membrane-alb-1234567890.us-east-1.elb.amazonaws.com; TLS: HTTPS listener with ACM certificate *.demo.example.com, valid until 2027-10-01');
    const other = await run('install', ['--state-dir', dir, '--name', 'acme', '--domain', 'acme.example.org']);
    const summary: string[] = other.events.at(-1)!.summary;
    expect(summary).toContain('  api.acme.example.org             CNAME membrane-alb-1234567890.us-east-1.elb.amazonaws.com');
    expect(summary.find((line) => line.includes('add-listener-certificates'))).toContain(
      "membrane-alb's HTTPS listener: aws elbv2 add-listener-certificates --listener-arn arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/membrane-alb/0de30a11ce5b0b00/0de30a11ce5b0b43");
  });

  it('resume of a finished deployment frees the lock of a run killed after its last step', async () => {
    const dir = await stateDir();
    expect((await run('install', ['--state-dir', dir])).code).toBe(0);
    // What kill -9 between the journal's "done" and the lock's release leaves: a lock of a dead process.
    const lock = join(dir, 'default', 'lock');
    await writeFile(lock, '999999999\nfeedfacefeedface\n');
    const { code, events } = await run('resume', ['--state-dir', dir]);
    expect(code).toBe(0);
    expect(JSON.stringify(events)).toContain('already complete');
    expect(existsSync(lock)).toBe(false);
  });

  it('starts a finished demo over on install, from a fresh simulated account', async () => {
    const dir = await stateDir();
    expect((await run('install', ['--state-dir', dir])).code).toBe(0);
    expect((await run('install', ['--state-dir', dir])).code).toBe(0);
    const argvs = await audited(dir);
    expect(count(argvs, 'ecs', 'create-service')).toBe(7);
    expect(count(argvs, 'ecs', 'describe-clusters')).toBe(1);
  });

  it('leaves nothing behind when it does not start: another cloud, or a failed preflight', async () => {
    const dir = await stateDir();
    await expect(run('install', ['--state-dir', dir, '--cloud', 'gcp'])).rejects.toThrow('The demo simulates AWS ECS only');
    expect(await readdir(dir)).toEqual([]);

    const answers = join(dir, 'answers.json');
    await writeFile(answers, JSON.stringify({ ...DEMO_ANSWERS, aws: { ...(DEMO_ANSWERS.aws as object), cluster: 'prod' } }));
    const refused = await run('install', ['--state-dir', dir, '--config', answers]);
    expect(refused.code).toBe(2);
    const cluster = refused.events.find((e) => e.type === 'check-finished' && e.check.title === 'ECS cluster prod is ACTIVE');
    expect(cluster?.check).toMatchObject({ ok: false, detail: 'no cluster named prod in us-east-1' });
    expect(existsSync(join(dir, 'default'))).toBe(false);
  });
});

describe('the simulated aws', () => {
  it('answers a command it does not know as a bug of the demo, and an unknown resource as AWS does', async () => {
    const dir = await stateDir();
    const { spawn } = simulatedAws({ file: join(dir, 'account.json'), speed: 0, now: Date.now, placeholders: [] });
    const ask = (...args: string[]) => spawn({ file: 'aws', args, timeoutMs: 1000, env: {} });
    expect(await ask('ec2', 'run-instances')).toMatchObject({ exitCode: 252, stderr: expect.stringContaining('does not answer "aws ec2 run-instances"') });
    expect(await ask('ecs', 'describe-clusters', '--clusters', 'prod')).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('"reason": "MISSING"') });
    expect(await ask('secretsmanager', 'describe-secret', '--secret-id', 'nope')).toMatchObject({ exitCode: 254, stderr: expect.stringContaining('(ResourceNotFoundException)') });
    expect(await ask('ec2', 'describe-subnets', '--subnet-ids', 'subnet-1')).toMatchObject({ exitCode: 254, stderr: expect.stringContaining('InvalidSubnetID.NotFound') });
    expect(existsSync(join(dir, 'account.json'))).toBe(false);
  });

  it('a later run recognises the demo\'s own placeholder values by their hash, and only those; no value is written down', async () => {
    const dir = await stateDir();
    const file = join(dir, 'account.json');
    const secretFile = join(dir, 'value');
    const account = () => simulatedAws({ file, speed: 0, now: Date.now, placeholders: ['demo-placeholder', JSON.stringify({ username: 'u', password: 'demo-placeholder' })] }).spawn;
    const query = ['--query', '{value:SecretString,version:VersionId}'];
    const first = account();
    for (const [name, value] of [['given', 'canary-given-K2p8'], ['played', 'demo-placeholder'], ['registry', JSON.stringify({ username: 'u', password: 'demo-placeholder' })]]) {
      await writeFile(secretFile, value!);
      expect((await first({ file: 'aws', args: ['secretsmanager', 'create-secret', '--name', name!, '--secret-string', `file://${secretFile}`], timeoutMs: 1000, env: {} })).exitCode).toBe(0);
    }
    const later = account();
    const read = async (name: string) => JSON.parse((await later({ file: 'aws', args: ['secretsmanager', 'get-secret-value', '--secret-id', name, ...query], timeoutMs: 1000, env: {} })).stdout).value;
    expect(await read('played')).toBe('demo-placeholder');
    expect(await read('registry')).toBe(JSON.stringify({ username: 'u', password: 'demo-placeholder' }));
    expect(await read('given')).toMatch(/^\(simulated: a value with hash /);
    for (const value of ['canary-given-K2p8', 'demo-placeholder']) expect(await readFile(file, 'utf8')).not.toContain(value);
  });
});
