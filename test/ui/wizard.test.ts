// The wizard driven with real keystrokes through a fake terminal: the prompts read keys from a
// PassThrough (not a TTY, so @inquirer/core starts each prompt at once and needs no raw mode)
// and draw on a Writable that records every render. Each prompt pipes its own MuteStream into
// that Writable (emitting 'pipe'), so the drawing is kept per prompt, one render per write.
// The cloud is a fake AwsDiscovery: no CLI runs.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { RawAnswers } from '../../source/answers/load.js';
import { answersSchema, secretsSchema, type SecretKey } from '../../source/answers/schema.js';
import { awsDiscovery, type AwsDiscovery } from '../../source/clouds/aws/discovery.js';
import { demoCloud } from '../../source/clouds/demo/index.js';
import { DEMO_ANSWERS, DEMO_SECRETS } from '../../source/clouds/demo/world.js';
import { createRunner } from '../../source/exec/runner.js';
import type { Choice } from '../../source/clouds/discovery.js';
import { runWizard, type WizardInput, type WizardResult } from '../../source/wizard/wizard.js';

const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', space: ' ', backspace: '\u007f' } as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** What one prompt drew: every render (ANSI stripped), the last one is its final state. */
interface PromptRecord {
  raw: string;
  renders: string[];
}

class FakeTerminal {
  readonly input = new PassThrough();
  readonly output: Writable & { columns: number };
  readonly prompts: PromptRecord[] = [];
  readonly said: string[] = [];
  /** Everything written, escapes included (for "never drawn" checks). */
  raw = '';
  private asked = 0;
  private session?: { promise: Promise<WizardResult>; settled: boolean; error?: unknown };

  constructor() {
    const prompts = this.prompts;
    const self = this;
    const output = new (class extends Writable {
      columns = 300;
      override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void) {
        const text = chunk.toString();
        self.raw += text;
        const current = prompts.at(-1);
        if (current) {
          current.raw += text;
          const visible = stripVTControlCharacters(text).trim();
          if (visible) current.renders.push(visible);
        }
        callback();
      }
      // Every prompt ends the MuteStream it pipes here, and legacy pipe() then ends the
      // destination: a real terminal stays open, so this one does too.
      override end(): this {
        return this;
      }
    })({ decodeStrings: false });
    output.on('pipe', () => prompts.push({ raw: '', renders: [] }));
    this.output = output;
  }

  /** All that was drawn, without escapes. */
  get text(): string {
    return stripVTControlCharacters(this.raw);
  }

  /** Starts the wizard on this terminal; nothing is stored in the cloud unless `stored` says so. */
  start(options: Omit<WizardInput, 'context' | 'say' | 'stored'> & Partial<Pick<WizardInput, 'stored'>>): Promise<WizardResult> {
    const promise = runWizard({
      stored: [],
      ...options,
      context: { input: this.input, output: this.output },
      say: (line) => {
        this.said.push(line);
        this.raw += `${line}\n`;
      },
    });
    const session: { promise: Promise<WizardResult>; settled: boolean; error?: unknown } = { promise, settled: false };
    promise.then(
      () => (session.settled = true),
      (error: unknown) => {
        session.settled = true;
        session.error = error;
      },
    );
    this.session = session;
    return promise;
  }

  get settled(): boolean {
    return this.session?.settled ?? false;
  }

  /** Waits for the next prompt to be drawn and checks it is the expected question. */
  async ask(message: string): Promise<PromptRecord> {
    const index = this.asked;
    await this.until(() => (this.prompts[index]?.renders.length ?? 0) > 0, `the prompt "${message}" (prompt #${index + 1})`);
    const record = this.prompts[index]!;
    expect(record.renders[0], `prompt #${index + 1}`).toContain(message);
    this.asked += 1;
    return record;
  }

  /** Waits until the prompt has drawn the text (e.g. a validation message). */
  async sees(record: PromptRecord, text: string): Promise<void> {
    await this.until(() => record.renders.some((render) => render.includes(text)), `"${text}" to be drawn`);
  }

  async type(text: string): Promise<void> {
    for (const char of text) {
      this.input.write(char);
      await tick();
    }
    await sleep(5);
  }

  async press(key: string, times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      this.input.write(key);
      await sleep(20);
    }
  }

  /** Types and submits. */
  async answer(text: string): Promise<void> {
    await this.type(text);
    await this.press(KEY.enter);
  }

  /** The wizard's result, after checking no prompt was drawn that the test did not expect. */
  async finish(): Promise<WizardResult> {
    const result = await this.session!.promise;
    expect(this.prompts.length, `prompts drawn: ${this.prompts.map((p) => p.renders[0]?.split('\n')[0]).join(' | ')}`).toBe(this.asked);
    return result;
  }

  private async until(condition: () => boolean, what: string, timeout = 4000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!condition()) {
      if (this.session?.settled) {
        if (condition()) return;
        throw new Error(`The wizard ${this.session.error ? `failed (${(this.session.error as Error).stack})` : 'finished'} before ${what}.\n--- drawn ---\n${this.text}`);
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.\n--- drawn ---\n${this.text}`);
      await sleep(5);
    }
  }
}

// A believable account with two VPCs, so the wizard's VPC filtering shows.
const ACCOUNT = '210987654321';
const VPC_A = 'vpc-0aaa0000000000001';
const VPC_B = 'vpc-0bbb0000000000002';
const SUBNET = { a1: 'subnet-0aa0000000000a001', a2: 'subnet-0aa0000000000a002', b1: 'subnet-0bb0000000000b001' };
const SG = { a: 'sg-0aa0000000000a001', a2: 'sg-0aa0000000000a002', b: 'sg-0bb0000000000b001' };
const ROLE = {
  execution: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
  task: `arn:aws:iam::${ACCOUNT}:role/membrane-task-role`,
};
const tg = (name: string, id: string) => `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/${name}/${id}`;
const TG = { api: tg('acme-api', '0a01'), ui: tg('acme-ui', '0a02'), console: tg('acme-console', '0a03'), other: tg('other-vpc', '0b01') };

/** Every lookup a vi.fn, so the test sees which ran; `overrides` replace the behaviour of some. */
function fakeAws(overrides: Partial<AwsDiscovery> = {}) {
  const choice = (value: string, name = value): Choice => ({ value, name });
  const aws = {
    defaultRegion: vi.fn(async (): Promise<string | undefined> => 'eu-west-1'),
    regions: vi.fn(async () => ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2'].map((region) => choice(region))),
    clusters: vi.fn(async (_region: string) => [choice('staging-cluster'), choice('membrane-prod')]),
    subnets: vi.fn(async (_region: string) => [
      { value: SUBNET.a1, vpc: VPC_A, public: false, name: `${SUBNET.a1} private-a (${VPC_A})` },
      { value: SUBNET.a2, vpc: VPC_A, public: false, name: `${SUBNET.a2} private-b (${VPC_A})` },
      { value: SUBNET.b1, vpc: VPC_B, public: true, name: `${SUBNET.b1} public-a (${VPC_B})` },
    ]),
    securityGroups: vi.fn(async (_region: string) => [
      { value: SG.a, vpc: VPC_A, name: `${SG.a} membrane-tasks (${VPC_A})` },
      { value: SG.a2, vpc: VPC_A, name: `${SG.a2} default (${VPC_A})` },
      { value: SG.b, vpc: VPC_B, name: `${SG.b} other-tasks (${VPC_B})` },
    ]),
    taskRoles: vi.fn(async () => [
      { value: ROLE.execution, name: 'ecsTaskExecutionRole', description: ROLE.execution },
      { value: ROLE.task, name: 'membrane-task-role', description: ROLE.task },
    ]),
    targetGroups: vi.fn(async (_region: string) => [
      { value: TG.api, vpc: VPC_A, name: `acme-api :5000 (${VPC_A})` },
      { value: TG.ui, vpc: VPC_A, name: `acme-ui :5000 (${VPC_A})` },
      { value: TG.console, vpc: VPC_A, name: `acme-console :5000 (${VPC_A})` },
      { value: TG.other, vpc: VPC_B, name: `other-vpc :5000 (${VPC_B})` },
    ]),
  } satisfies AwsDiscovery;
  for (const [name, lookup] of Object.entries(overrides)) {
    (aws[name as keyof AwsDiscovery] as unknown) = vi.fn(lookup as (...args: unknown[]) => unknown);
  }
  return aws;
}

/** Complete, valid answers (for the sessions that ask only what is missing). */
function completeAnswers(): RawAnswers {
  return {
    cloud: 'aws',
    domain: 'membrane.acme.com',
    imageTag: '2025-10-01',
    registry: { server: 'harbor.getmembrane.com', username: 'robot$core+acme' },
    aws: {
      region: 'us-east-1',
      cluster: 'membrane-prod',
      subnets: [SUBNET.a1, SUBNET.a2],
      securityGroups: [SG.a],
      executionRoleArn: ROLE.execution,
      taskRoleArn: ROLE.task,
      targetGroups: { api: TG.api, ui: TG.ui, console: TG.console },
    },
  };
}

const SECRETS: Record<'secret' | 'encryptionSecret' | 'mongoUri' | 'redisUri' | 'registryPassword', string> = {
  secret: 'given-jwt-secret-0123456789',
  encryptionSecret: 'given-encryption-secret-0123',
  mongoUri: 'mongodb+srv://acme:given@cluster0.acme.mongodb.net/membrane',
  redisUri: 'rediss://:given@redis.acme.internal:6379',
  registryPassword: 'given-registry-password',
};

function without<T extends Record<string, unknown>>(object: T, key: keyof T): T {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

describe('runWizard through a fake terminal', () => {
  it('runs a full session: every question answered with keys, lookups used once each', { timeout: 10_000 }, async () => {
    const term = new FakeTerminal();
    const aws = fakeAws();
    const registryPassword = 'Hb0r-r0b0t-pw!';
    const encryptionSecret = 'my-own-encryption-secret-42';
    const mongoUri = 'mongodb+srv://membrane:m0ng0pw@cluster0.acme.mongodb.net/membrane';
    const redisUri = 'rediss://:r3d1spw@redis.acme.internal:6379';
    term.start({ given: {}, defaults: {}, secrets: {}, full: true, aws });

    const cloud = await term.ask('Which cloud?');
    expect(cloud.renders[0]).toMatch(/\S AWS ECS \(Fargate\)/);
    expect(cloud.renders[0]).toContain('Azure Container Apps');
    expect(cloud.renders[0]).toContain('Google Cloud Run');
    expect(cloud.renders[0]).not.toContain('not in this version yet');
    await term.press(KEY.enter);
    expect(cloud.renders.at(-1)).toBe('✔ Which cloud? AWS ECS (Fargate)');

    await term.ask('Registry server');
    await term.answer('harbor.getmembrane.com');
    const username = await term.ask('Registry robot username');
    await term.answer('robot$core+acme');
    expect(username.renders.at(-1)).toContain('robot$core+acme');

    const password = await term.ask('Registry robot password');
    await term.answer(registryPassword);
    expect(password.renders.at(-1)).toBe(`✔ Registry robot password ${'•'.repeat(registryPassword.length)}`);

    const domain = await term.ask('Domain (services get api., ui., console. and static. under it)');
    await term.type('membrane.acme.cmo');
    await term.sees(domain, 'membrane.acme.cmo');
    await term.press(KEY.backspace, 2);
    await term.answer('om');
    expect(domain.renders.at(-1)).toContain('membrane.acme.com');

    await term.ask('Membrane image tag');
    expect(term.said).toContain('  → https://api.membrane.acme.com  https://ui.membrane.acme.com  https://console.membrane.acme.com  https://static.membrane.acme.com');
    await term.answer('2025-10-01');

    const secret = await term.ask('SECRET (signs JWT tokens)');
    expect(secret.renders[0]).toContain('Generate a strong random value');
    await term.press(KEY.enter);

    const how = await term.ask('ENCRYPTION_SECRET (encrypts stored credentials)');
    await term.press(KEY.down);
    await term.press(KEY.enter);
    expect(how.renders.at(-1)).toBe('✔ ENCRYPTION_SECRET (encrypts stored credentials) Type or paste my own');
    await term.ask('ENCRYPTION_SECRET (encrypts stored credentials)');
    await term.answer(encryptionSecret);

    await term.ask('MongoDB connection string');
    await term.answer(mongoUri);
    await term.ask('Redis connection string');
    await term.answer(redisUri);

    const buckets = await term.ask('Use the default buckets (membrane-membrane-acme-com-tmp, -connectors, -static) and https://static.membrane.acme.com?');
    await term.press(KEY.enter);
    expect(buckets.renders.at(-1)).toContain('Yes');

    await term.ask('How do people sign in to the console?');
    await term.press(KEY.enter);
    const smtp = await term.ask('Send email (invitations, password resets) through SMTP?');
    await term.press(KEY.enter);
    expect(smtp.renders.at(-1)).toContain('No');

    // The configured region is highlighted first; the arrows move from there.
    const region = await term.ask('AWS region');
    expect(region.renders[0]).toMatch(/\S eu-west-1/);
    await term.press(KEY.down, 2);
    await term.press(KEY.up);
    await term.press(KEY.enter);
    expect(region.renders.at(-1)).toBe('✔ AWS region us-east-1');

    await term.ask('ECS cluster');
    await term.press(KEY.down);
    await term.press(KEY.enter);

    const subnets = await term.ask('Subnets for the tasks');
    await term.press(KEY.space);
    await term.press(KEY.down);
    await term.press(KEY.space);
    await term.press(KEY.enter);
    expect(subnets.renders.join('\n')).not.toContain('Select subnets of one VPC.');

    // Only the groups of the subnets' VPC are offered.
    const groups = await term.ask('Security groups');
    expect(groups.renders[0]).toContain(SG.a);
    expect(groups.renders[0]).toContain(SG.a2);
    expect(groups.renders[0]).not.toContain(SG.b);
    await term.press(KEY.space);
    await term.press(KEY.enter);

    // Making one for the deployment comes first; an existing role is one key down.
    const execution = await term.ask('Task execution role');
    expect(execution.renders[0]).toContain('Create one for this deployment alone (recommended)');
    await term.press(KEY.down);
    expect(execution.renders.at(-1)).toContain(ROLE.execution); // the active role's ARN, as its description
    await term.press(KEY.enter);
    // The role named for tasks is highlighted, not ecsTaskExecutionRole above it.
    const taskRole = await term.ask('Task role');
    expect(taskRole.renders[0]).toMatch(/❯ membrane-task-role/);
    await term.press(KEY.enter);

    const api = await term.ask('Target group for api (type ip, port 5000)');
    expect(api.renders[0]).not.toContain('other-vpc');
    await term.press(KEY.enter);
    // A group already chosen is not offered again: each public service needs its own.
    const ui = await term.ask('Target group for ui');
    expect(ui.renders[0]).not.toContain('acme-api');
    await term.press(KEY.enter);
    const consoleGroups = await term.ask('Target group for console');
    expect(consoleGroups.renders[0]).not.toMatch(/acme-api|acme-ui/);
    await term.press(KEY.enter);

    const { answers, secrets } = await term.finish();
    expect(answers).toEqual({ ...completeAnswers(), auth: { mode: 'password' } });
    expect(answersSchema.safeParse(answers).success).toBe(true);

    expect(secrets.secret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secrets.secret!, 'base64')).toHaveLength(32);
    expect(secrets).toEqual({ registryPassword, secret: secrets.secret, encryptionSecret, mongoUri, redisUri });
    expect(secretsSchema.safeParse(secrets).success).toBe(true);

    // No secret was ever drawn, escapes included; the password showed only mask characters.
    for (const value of [registryPassword, secrets.secret!, encryptionSecret, mongoUri, redisUri]) {
      expect(term.raw).not.toContain(value);
    }
    expect(password.raw).not.toContain('Hb0r');
    expect(term.said.join('\n')).toContain('Generated.');
    expect(term.said.join('\n')).toContain('MEMBRANE_SECRET');

    expect(aws.defaultRegion).toHaveBeenCalledTimes(1);
    expect(aws.regions).toHaveBeenCalledTimes(1);
    for (const lookup of [aws.clusters, aws.subnets, aws.securityGroups, aws.targetGroups]) {
      expect(lookup).toHaveBeenCalledExactlyOnceWith('us-east-1');
    }
    expect(aws.taskRoles).toHaveBeenCalledTimes(1);
  });

  describe('validation as typed', () => {
    it('shows the schema message for a domain with a scheme and does not advance until it is corrected', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete given.domain;
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: fakeAws() });

      const domain = await term.ask('Domain');
      await term.answer('https://example.com');
      await term.sees(domain, 'It must be a bare DNS name like example.com (no scheme, no path, no port).');
      await sleep(150);
      expect(term.settled).toBe(false);
      expect(term.prompts).toHaveLength(1);
      expect(term.said).toEqual([]);
      // The typed value stays for fixing: remove it and type the bare name.
      expect(domain.renders.at(-1)).toContain('https://example.com');
      await term.press(KEY.backspace, 'https://example.com'.length);
      await term.answer('example.com');

      const { answers, secrets } = await term.finish();
      expect(answers).toEqual({ ...completeAnswers(), domain: 'example.com' });
      expect(secrets).toEqual(SECRETS);
      expect(term.said).toEqual(['  → https://api.example.com  https://ui.example.com  https://console.example.com  https://static.example.com']);
    });

    it('shows the Mongo URI message without echoing the value', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const wrong = 'mysql://membrane:s3cretpw@db.acme.internal/membrane';
      term.start({ given: completeAnswers(), defaults: {}, secrets: without(SECRETS, 'mongoUri'), full: false, aws: fakeAws() });

      const mongo = await term.ask('MongoDB connection string');
      await term.answer(wrong);
      await term.sees(mongo, 'It must be a MongoDB connection string starting with mongodb:// or mongodb+srv://.');
      await sleep(100);
      expect(term.settled).toBe(false);
      expect(mongo.renders.at(-1)).toContain('•'.repeat(wrong.length));
      expect(term.raw).not.toContain('s3cretpw');
      expect(term.raw).not.toContain('mysql');

      await term.press(KEY.backspace, wrong.length);
      await term.answer(SECRETS.mongoUri);
      const { secrets } = await term.finish();
      expect(secrets).toEqual(SECRETS);
      expect(term.raw).not.toContain(SECRETS.mongoUri);
    });

    it('refuses subnets of two VPCs with "Select subnets of one VPC."', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).subnets;
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: fakeAws() });

      const subnets = await term.ask('Subnets for the tasks');
      await term.press(KEY.space); // a1 (VPC A)
      await term.press(KEY.down, 2);
      await term.press(KEY.space); // b1 (VPC B)
      await term.press(KEY.enter);
      await term.sees(subnets, 'Select subnets of one VPC.');
      await sleep(100);
      expect(term.settled).toBe(false);
      expect(term.prompts).toHaveLength(1);

      await term.press(KEY.space); // b1 off
      await term.press(KEY.up);
      await term.press(KEY.space); // a2 on
      await term.press(KEY.enter);
      const { answers } = await term.finish();
      expect((answers.aws as RawAnswers).subnets).toEqual([SUBNET.a1, SUBNET.a2]);
      expect(answersSchema.safeParse(answers).success).toBe(true);
    });

    it('gives the tasks a public IP when every chosen subnet is public, and says so; private subnets keep the default', { timeout: 10_000 }, async () => {
      const pick = async (keys: string[]) => {
        const term = new FakeTerminal();
        const given = completeAnswers();
        delete (given.aws as RawAnswers).subnets;
        term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: fakeAws() });
        await term.ask('Subnets for the tasks');
        for (const key of keys) await term.press(key);
        await term.press(KEY.enter);
        return { ...(await term.finish()), said: term.said };
      };
      // b1, the public one, is third in the list.
      const publicPick = await pick([KEY.down, KEY.down, KEY.space]);
      expect((publicPick.answers.aws as RawAnswers).subnets).toEqual([SUBNET.b1]);
      expect((publicPick.answers.aws as RawAnswers).assignPublicIp).toBe(true);
      expect(publicPick.said).toContain('  These subnets are public: the tasks get a public IP to reach the registry (aws.assignPublicIp).');
      const privatePick = await pick([KEY.space]);
      expect((privatePick.answers.aws as RawAnswers).subnets).toEqual([SUBNET.a1]);
      expect((privatePick.answers.aws as RawAnswers).assignPublicIp).toBeUndefined();
    });

    it('refuses a target group another public service already has, typed when the lookup fails', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete ((given.aws as RawAnswers).targetGroups as RawAnswers).console;
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: fakeAws({ targetGroups: () => Promise.reject(new Error('AccessDenied')) }) });

      const consoleGroup = await term.ask('Target group for console');
      await term.answer(TG.api);
      await term.sees(consoleGroup, 'is already the target group of api');
      await sleep(100);
      expect(term.settled).toBe(false);
      await term.press(KEY.backspace, TG.api.length);
      await term.answer(TG.console);
      const { answers } = await term.finish();
      expect(((answers.aws as RawAnswers).targetGroups as RawAnswers).console).toBe(TG.console);
    });

    it('refuses an empty subnet selection with "Select at least one subnet."', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).subnets;
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: fakeAws() });

      const subnets = await term.ask('Subnets for the tasks');
      await term.press(KEY.enter);
      await term.sees(subnets, 'Select at least one subnet.');
      await term.press(KEY.space);
      await term.press(KEY.enter);
      const { answers } = await term.finish();
      expect((answers.aws as RawAnswers).subnets).toEqual([SUBNET.a1]);
    });
  });

  describe('Enter takes the resource named for the question, wherever the cloud lists it', () => {
    // Listed so that the first item is always wrong: a role for a CI deployer, then ecsTaskExecutionRole, whose name
    // has "Task" in it too; "ui" inside legacy-guide and "api" inside rapid-tg, and console before ui and api.
    const unhelpful = () => {
      const role = (name: string) => ({ value: `arn:aws:iam::${ACCOUNT}:role/${name}`, name, description: `arn:aws:iam::${ACCOUNT}:role/${name}` });
      const group = (value: string) => ({ value, vpc: VPC_A, name: `${value.split('/')[1]} :5000 (${VPC_A})` });
      return fakeAws({
        taskRoles: async () => [role('github-deployer'), role('ecsTaskExecutionRole'), role('membrane-task-role')],
        targetGroups: async () => [tg('legacy-guide', '0a04'), TG.console, tg('rapid-tg', '0a05'), TG.ui, TG.api].map(group),
      });
    };
    const rolesAndGroupsMissing = () => {
      const given = completeAnswers();
      const aws = given.aws as RawAnswers;
      delete aws.executionRoleArn;
      delete aws.taskRoleArn;
      delete aws.targetGroups;
      return given;
    };

    it('gives the api, ui and console groups and the task role; the execution role is made for the deployment', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      term.start({ given: rolesAndGroupsMissing(), defaults: {}, secrets: SECRETS, full: false, aws: unhelpful() });

      const execution = await term.ask('Task execution role');
      expect(execution.renders[0]).toMatch(/❯ Create one for this deployment alone/);
      await term.press(KEY.enter);
      for (const question of ['Task role', 'Target group for api', 'Target group for ui', 'Target group for console']) {
        await term.ask(question);
        await term.press(KEY.enter);
      }

      const { answers } = await term.finish();
      expect(answers).toEqual({ ...completeAnswers(), aws: without(completeAnswers().aws as RawAnswers, 'executionRoleArn') });
    });

    it('offers a role named for execution one key below "Create one", and then does not default the task role to it', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      term.start({ given: rolesAndGroupsMissing(), defaults: {}, secrets: SECRETS, full: false, aws: unhelpful() });

      await term.ask('Task execution role');
      await term.press(KEY.down);
      await term.press(KEY.enter);
      for (const question of ['Task role', 'Target group for api', 'Target group for ui', 'Target group for console']) {
        await term.ask(question);
        await term.press(KEY.enter);
      }

      const { answers } = await term.finish();
      expect(answers).toEqual(completeAnswers());
    });

    it('refuses a group another service already has: asked again, not offered, the named one highlighted', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      // An answers file with the bug the wizard used to make: ui given the api's group.
      ((given.aws as RawAnswers).targetGroups as RawAnswers).ui = TG.api;
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws: unhelpful() });

      const ui = await term.ask('Target group for ui');
      expect(ui.renders[0]).not.toContain('acme-api');
      expect(ui.renders[0]).toMatch(/❯ acme-ui/);
      await term.press(KEY.enter);

      const { answers } = await term.finish();
      expect(answers).toEqual(completeAnswers());
    });
  });

  describe('only what is missing is asked', () => {
    it('asks exactly the cluster and the Mongo URI when only those are missing', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).cluster;
      const aws = fakeAws();
      term.start({ given, defaults: {}, secrets: without(SECRETS, 'mongoUri'), full: false, aws });

      await term.ask('MongoDB connection string');
      await term.answer(SECRETS.mongoUri);
      const cluster = await term.ask('ECS cluster');
      expect(cluster.renders[0]).toContain('staging-cluster');
      await term.press(KEY.down);
      await term.press(KEY.enter);

      const { answers, secrets } = await term.finish();
      expect(term.prompts.map((prompt) => prompt.renders.at(-1))).toEqual([
        `✔ MongoDB connection string (mongodb+srv://…) ${'•'.repeat(SECRETS.mongoUri.length)}`,
        '✔ ECS cluster membrane-prod',
      ]);
      expect(answers).toEqual(completeAnswers());
      expect(secrets).toEqual(SECRETS);
      // The domain was not asked, so no URLs line; only the note that the cloud is being looked up.
      expect(term.said).toEqual(['  Looking up clusters, subnets, security groups, roles and target groups in us-east-1…']);
      expect(aws.clusters).toHaveBeenCalledExactlyOnceWith('us-east-1');
      expect(aws.defaultRegion).not.toHaveBeenCalled();
    });

    // Each lookup is an `aws` CLI call (audited, ~1 s): one whose answer is given is wasted,
    // and the subnets one is even awaited before the wizard returns.
    it('looks up only what it asks', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).cluster;
      const aws = fakeAws();
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws });

      await term.ask('ECS cluster');
      await term.press(KEY.enter);
      await term.finish();
      expect(aws.clusters).toHaveBeenCalledExactlyOnceWith('us-east-1');
      const calls = Object.fromEntries(Object.entries(aws).map(([name, lookup]) => [name, lookup.mock.calls.length]));
      expect(calls).toEqual({ defaultRegion: 0, regions: 0, clusters: 1, subnets: 0, securityGroups: 0, taskRoles: 0, targetGroups: 0 });
    });

    it('does not ask for a secret the cloud already stores', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).cluster;
      term.start({ given, defaults: {}, secrets: without(SECRETS, 'mongoUri'), stored: ['mongoUri'], full: false, aws: fakeAws() });

      await term.ask('ECS cluster');
      await term.press(KEY.enter);
      const { answers, secrets } = await term.finish();
      expect((answers.aws as RawAnswers).cluster).toBe('staging-cluster');
      expect(secrets).toEqual(without(SECRETS, 'mongoUri'));
    });

    it('asks the Google Cloud project and region, validated, with us-central1 as the default region', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      const given = { ...without(completeAnswers(), 'aws'), cloud: 'gcp' };
      const aws = fakeAws();
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws });

      const project = await term.ask('Google Cloud project id');
      await term.answer('Acme');
      await term.sees(project, 'It must be a project id like my-project');
      await term.press(KEY.backspace, 4);
      await term.answer('acme-membrane');
      const region = await term.ask('Cloud Run region');
      expect(region.renders[0]).toContain('us-central1');
      await term.press(KEY.enter);

      const { answers } = await term.finish();
      expect(answers.gcp).toEqual({ project: 'acme-membrane', region: 'us-central1' });
      expect(Object.values(aws).every((lookup) => lookup.mock.calls.length === 0)).toBe(true);
    });

    it('asks nothing when everything is given and valid', { timeout: 10_000 }, async () => {
      const term = new FakeTerminal();
      term.start({ given: completeAnswers(), defaults: {}, secrets: SECRETS, full: false, aws: fakeAws() });
      const { answers, secrets } = await term.finish();
      expect(term.prompts).toEqual([]);
      expect(answers).toEqual(completeAnswers());
      expect(secrets).toEqual(SECRETS);
    });
  });

  describe('discovery failure falls back to typed input', () => {
    it.each([
      ['rejects', () => Promise.reject(new Error('aws: command not found'))],
      ['finds nothing', () => Promise.resolve([])],
    ])('when clusters() %s, the cluster is typed and validated by the schema', { timeout: 10_000 }, async (_, clusters: () => Promise<Choice[]>) => {
      const term = new FakeTerminal();
      const given = completeAnswers();
      delete (given.aws as RawAnswers).cluster;
      const aws = fakeAws({ clusters });
      term.start({ given, defaults: {}, secrets: SECRETS, full: false, aws });

      const cluster = await term.ask('ECS cluster');
      expect(cluster.renders[0]).not.toContain('❯'); // a text question, not a list
      await term.answer('prod cluster');
      await term.sees(cluster, 'It must be an ECS cluster name (letters, digits, - and _).');
      await sleep(100);
      expect(term.settled).toBe(false);
      await term.press(KEY.backspace, ' cluster'.length);
      await term.answer('-cluster');

      const { answers } = await term.finish();
      expect(answers).toEqual({ ...completeAnswers(), aws: { ...(completeAnswers().aws as RawAnswers), cluster: 'prod-cluster' } });
      expect(aws.clusters).toHaveBeenCalledExactlyOnceWith('us-east-1');
    });
  });

  it('keeps the demo suggestions when Enter is pressed at every question, the lists from the simulated account', { timeout: 10_000 }, async () => {
    const term = new FakeTerminal();
    const demo = demoCloud(await mkdtemp(join(tmpdir(), 'wizard-demo-')), { speed: 0 });
    const discovery = awsDiscovery(createRunner({ redact: (text) => text, spawn: demo.spawn }));
    const regions = vi.spyOn(discovery, 'regions');
    const defaultRegion = vi.spyOn(discovery, 'defaultRegion');
    term.start({ given: {}, defaults: DEMO_ANSWERS, secrets: {}, secretDefaults: DEMO_SECRETS, full: true, aws: discovery, clouds: demo.clouds });

    // The demo simulates AWS alone: the cloud is not asked, and the person is told why.
    const questions = [
      'Registry server',
      'Registry robot username',
      'Registry robot password (Enter keeps the demo value)',
      'Domain',
      'Membrane image tag',
      'SECRET (signs JWT tokens)',
      'ENCRYPTION_SECRET (encrypts stored credentials)',
      'MongoDB connection string (mongodb+srv://…) (Enter keeps the demo value)',
      'Redis connection string (redis:// or rediss://…) (Enter keeps the demo value)',
      'Use the default buckets',
      'How do people sign in to the console?',
      'Send email',
      'AWS region',
      'ECS cluster',
      'Subnets for the tasks',
      'Security groups',
      'Task execution role',
      'Task role',
      'Target group for api',
      'Target group for ui',
      'Target group for console',
    ];
    for (const question of questions) {
      await term.ask(question);
      await term.press(KEY.enter);
    }

    const { answers, secrets } = await term.finish();
    expect(answers).toEqual({ ...DEMO_ANSWERS, auth: { mode: 'password' } });
    expect(answersSchema.safeParse(answers).success).toBe(true);
    // SECRET and ENCRYPTION_SECRET were generated (the first choice); the rest kept the demo values.
    const generated: SecretKey[] = ['secret', 'encryptionSecret'];
    for (const key of generated) {
      expect(secrets[key]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(secrets[key]).not.toBe(DEMO_SECRETS[key]);
    }
    expect(without(without(secrets, 'secret'), 'encryptionSecret')).toEqual(without(without(DEMO_SECRETS, 'secret'), 'encryptionSecret'));
    expect(secretsSchema.safeParse(secrets).success).toBe(true);
    for (const value of Object.values(DEMO_SECRETS)) expect(term.raw).not.toContain(value);
    expect(defaultRegion).not.toHaveBeenCalled(); // the demo suggests its region
    expect(regions).toHaveBeenCalledTimes(1);
    expect(term.said).toContain('  Cloud: AWS ECS (Fargate) (the demo simulates AWS alone)');
    expect(term.text).not.toContain('Which cloud?');
  });
});
