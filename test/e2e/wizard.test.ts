// The wizard of the built CLI in a real terminal (tmux), answered key by key as a person would:
// no --config, no --yes, CI unset, and no secret in the environment unless a test says so. The
// test reads each question and its choices off the screen before it presses a key, so it finds
// the cloud's ids where the person would see them. What the screen says is backed by moto's
// state, the journal and the saved answers file, never by the installer's words alone.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersSchema } from '../../source/answers/schema.js';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, CLI, leakedCanaries, readTree, runCli } from '../support/cli.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';
import { createTmuxServer, type Pane, type TmuxServer } from '../support/tmux.js';

const REPO = join(import.meta.dirname, '..', '..');
// Generous: CI runs two test files at once on two cores, and each aws call costs ~0.7 s of CPU.
const TEST_TIMEOUT_MS = 300_000;
/** Waits end before the test's timeout, so a failure shows the last screen rather than "timed out". */
const WAIT_BUDGET_MS = TEST_TIMEOUT_MS - 10_000;
/** One answer: the question shows, the keys go in, the answer is drawn. */
const STEP_MS = 30_000;
const GUIDE_ORDER = ['custom-code-runner', 'orchestrator', 'queued-worker', 'instant-worker', 'api', 'ui', 'console'];
const PROMPT = 'Deploy these';
const SAVE = 'Save these answers (never the secrets) for next time?';

let work: string;
let tmux: TmuxServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'membrane-wizard-e2e-'));
  // The CLI's HOME: nothing of the person running the tests is read or written.
  await mkdir(join(work, 'home'));
  tmux = createTmuxServer('cmd-wizard');
});

afterAll(async () => {
  // Every step runs even if an earlier one throws; the first error is reported.
  const results = await Promise.allSettled([tmux?.kill()]);
  if (work) await rm(work, { recursive: true, force: true });
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
});

// ---------------------------------------------------------------------------------------------
// The terminal

/**
 * The CLI's whole environment: `base` (moto's, for the real aws CLI) minus what would change
 * how it talks to a person (CI, the runner's terminal and colour settings) and minus every
 * secret variable, so each secret is asked. A private HOME and a UTF-8 locale.
 */
function cliEnv(base: Record<string, string> = {}): Record<string, string> {
  const dropped = new Set(['CI', 'TERM', 'NODE_OPTIONS', 'NODE_ENV', 'FORCE_COLOR', 'NO_COLOR', 'COLUMNS', 'LINES']);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [key, value] of Object.entries(base)) {
    if (dropped.has(key) || key.startsWith('TMUX') || key.startsWith('VITEST') || key.startsWith('MEMBRANE_')) continue;
    env[key] = value;
  }
  // The demo at a quarter of its believable pace: the same frames, in a quarter of the time.
  return { ...env, HOME: join(work, 'home'), LANG: 'C.UTF-8', CREATE_MEMBRANE_DEPLOY_POLL_MS: '200', CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: '0.25' };
}

/** Starts `node dist/cli.js ARGS` in a new 120×50 terminal of the private tmux server. */
function startInTerminal(name: string, env: Record<string, string>, args: string[]): Promise<Pane> {
  return tmux.run(name, { argv: [process.execPath, CLI, ...args], env, cwd: REPO }, join(work, `${name}.sh`));
}

/** Milliseconds left of a test's wait budget. */
function budget(): () => number {
  const deadline = Date.now() + WAIT_BUDGET_MS;
  return () => Math.max(1_000, deadline - Date.now());
}

const secondsSince = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Prints a captured screen for the test report. */
function show(title: string, screen: string): void {
  console.info(`----- ${title} -----\n${screen}\n----- end of ${title} -----`);
}

// ---------------------------------------------------------------------------------------------
// Reading the prompts off the screen

/** Index of the last line `test` accepts, -1 if none. */
function lastIndex(lines: string[], test: (line: string) => boolean): number {
  for (let index = lines.length - 1; index >= 0; index--) if (test(lines[index]!)) return index;
  return -1;
}

interface Choice {
  text: string;
  /** The cursor (❯) is on it. */
  active: boolean;
  /** Checkbox prompts only: ◉ (true) or ◯ (false). */
  checked?: boolean;
}

interface Question {
  /** The question line without "? " (with the default or what has been typed so far). */
  message: string;
  choices: Choice[];
}

/**
 * The question being asked: the last "? " line, when no answered line ("✔ ") follows it.
 * Choices are the lines below it: "❯ x" / "  x" (select), "❯◉ x" / " ◯ x" (checkbox).
 */
function activeQuestion(screen: string): Question | undefined {
  const lines = screen.split('\n');
  const at = lastIndex(lines, (line) => line.startsWith('? '));
  if (at < 0) return undefined;
  const below = lines.slice(at + 1);
  if (below.some((line) => line.startsWith('✔ '))) return undefined;
  const choices: Choice[] = [];
  for (const line of below) {
    if (line.startsWith('↑↓')) break;
    const match = /^([❯ ])([ ◉◯]) ?(\S.*)$/.exec(line);
    if (!match) continue;
    choices.push({ text: match[3]!, active: match[1] === '❯', ...(match[2] === ' ' ? {} : { checked: match[2] === '◉' }) });
  }
  return { message: lines[at]!.slice(2), choices };
}

/** How many answered lines ("✔ PREFIX…") the whole scrollback holds. */
function answeredCount(history: string, prefix: string): number {
  return history.split('\n').filter((line) => line.startsWith(`✔ ${prefix}`)).length;
}

/** The person at the keyboard: every key is sent only once its question is on the screen. */
class Person {
  constructor(
    readonly pane: Pane,
    private readonly left: () => number,
  ) {}

  private wait(ms = STEP_MS) {
    return Math.min(ms, this.left());
  }

  /** Waits for the question that starts with `prefix` (and, when given, for `ready` to hold). */
  async question(prefix: string, ready: (question: Question) => boolean = () => true): Promise<Question> {
    const screen = await this.pane.waitFor(
      (text) => {
        const question = activeQuestion(text);
        return Boolean(question && question.message.startsWith(prefix) && ready(question));
      },
      { what: `the question "${prefix}"`, timeoutMs: this.wait() },
    );
    return activeQuestion(screen)!;
  }

  /** Runs `keys` on the question `prefix` and waits until its answer is drawn ("✔ prefix …"). */
  private async answer(prefix: string, keys: () => Promise<void>): Promise<void> {
    const before = answeredCount(await this.pane.history(), prefix);
    await keys();
    await this.pane.waitFor((history) => answeredCount(history, prefix) > before, {
      history: true,
      what: `the answer to "${prefix}"`,
      timeoutMs: this.wait(),
    });
  }

  /** Enter: the suggested value, the pre-selected choice or the default of a yes/no question. */
  enter(prefix: string): Promise<void> {
    return this.answer(prefix, async () => {
      await this.question(prefix);
      await this.pane.sendKeys(['Enter']);
    });
  }

  /** Types `text` (checking that it shows, or only its mask for a secret), then Enter. */
  type(prefix: string, text: string, options: { secret?: boolean } = {}): Promise<void> {
    return this.answer(prefix, async () => {
      await this.question(prefix);
      await this.pane.sendKeys([text], { literal: true });
      const shown = options.secret ? '•'.repeat(text.length) : text;
      await this.question(prefix, (question) => question.message.endsWith(shown));
      await this.pane.sendKeys(['Enter']);
    });
  }

  /** Moves the cursor of the current list question with ↑/↓ to the first choice `wanted` accepts. */
  private async moveTo(prefix: string, wanted: (text: string) => boolean): Promise<Question> {
    for (let moves = 0; moves < 60; moves++) {
      const question = await this.question(prefix, (q) => q.choices.length > 0);
      const active = question.choices.findIndex((choice) => choice.active);
      const target = question.choices.findIndex((choice) => wanted(choice.text));
      if (target >= 0 && target === active) return question;
      // Not on this page: one step down and look again (the list scrolls and wraps).
      const delta = target >= 0 ? target - active : 1;
      await this.pane.sendKeys(Array<string>(Math.abs(delta)).fill(delta < 0 ? 'Up' : 'Down'));
      await this.question(prefix, (q) => {
        const now = q.choices.find((choice) => choice.active)?.text;
        return target >= 0 ? Boolean(now && wanted(now)) : now !== question.choices[active]?.text;
      });
    }
    throw new Error(`no choice of "${prefix}" could be reached with the arrow keys`);
  }

  /** A list question: arrows to the choice, then Enter. */
  pick(prefix: string, wanted: (text: string) => boolean): Promise<void> {
    return this.answer(prefix, async () => {
      await this.moveTo(prefix, wanted);
      await this.pane.sendKeys(['Enter']);
    });
  }

  /** A list question answered by typing the start of a choice (the list jumps to it), then Enter. */
  typeToPick(prefix: string, typed: string, wanted: (text: string) => boolean): Promise<void> {
    return this.answer(prefix, async () => {
      await this.question(prefix, (q) => q.choices.length > 0);
      await this.pane.sendKeys([typed], { literal: true });
      await this.question(prefix, (q) => wanted(q.choices.find((choice) => choice.active)?.text ?? ''));
      await this.pane.sendKeys(['Enter']);
    });
  }

  /**
   * A checkbox question: exactly the choices `wanted` accepts end up checked (arrows to each
   * one that is wrong, Space), then Enter. Calls `before` with the screen just before Enter.
   */
  checkOnly(prefix: string, wanted: (text: string) => boolean, before?: (screen: string) => void): Promise<void> {
    return this.answer(prefix, async () => {
      for (let round = 0; ; round++) {
        const question = await this.question(prefix, (q) => q.choices.length > 0);
        const wrong = question.choices.find((choice) => choice.checked !== wanted(choice.text));
        if (!wrong) break;
        if (round >= 20) throw new Error(`the choices of "${prefix}" did not end up as wanted:\n${JSON.stringify(question.choices)}`);
        await this.moveTo(prefix, (text) => text === wrong.text);
        await this.pane.sendKeys(['Space']);
        await this.question(prefix, (q) => q.choices.find((choice) => choice.text === wrong.text)?.checked === !wrong.checked);
      }
      before?.(await this.pane.screen());
      await this.pane.sendKeys(['Enter']);
    });
  }
}

const startsWith = (start: string) => (text: string) => text.startsWith(start);
const includesAny = (ids: string[]) => (text: string) => ids.some((id) => text.includes(id));

/** The checklist as drawn: from "Checking … prerequisites…" through its summary line. */
function preflightBlock(history: string): string {
  const lines = history.split('\n');
  const from = lines.findIndex((line) => /^Checking .* prerequisites…$/.test(line));
  const to = lines.findIndex((line, index) => index > from && /^(All \d+ checks passed\.|\d+ of \d+ checks failed)/.test(line));
  return from < 0 || to < 0 ? '' : lines.slice(from, to + 1).join('\n');
}

/** The rows under the last table header on the screen. */
function tableRows(screen: string): string[] {
  const lines = screen.split('\n');
  const header = lastIndex(lines, (line) => /^SERVICE\s+STATE\s+TASKS\s+ELAPSED/.test(line));
  return header < 0 ? [] : lines.slice(header + 1, header + 1 + SERVICE_IDS.length);
}

/** From the answered confirm prompt down: what a person sees once the deployment has started. */
function fromAnswer(screen: string): string {
  const lines = screen.split('\n');
  const answered = lines.findIndex((line) => /Deploy these \d+ steps now\? (Yes|No)/.test(line));
  return lines.slice(Math.max(0, answered)).join('\n');
}

async function statusOf(name: string, stateDir: string): Promise<{ status: string; installed: boolean; stateFile: string }> {
  const run = await runCli(['status', '--json', '--name', name, '--state-dir', stateDir], { PATH: process.env.PATH, HOME: join(work, 'home') });
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

// ---------------------------------------------------------------------------------------------

describe('the wizard of the built CLI in a real terminal (tmux, 120×50)', () => {
  describe('--demo (a simulated cloud: nothing is spawned, nothing is created)', () => {
    it(
      'every question answered by keys, the live checklist, review, confirm, no save, the live table until 7/7 healthy, exit 0',
      async () => {
        const left = budget();
        const name = 'wizard-demo';
        const stateDir = join(work, 'state-demo');
        const defaultAnswersFile = join(REPO, 'membrane-answers.json');
        const hadAnswersFile = existsSync(defaultAnswersFile);
        const started = Date.now();
        const pane = await startInTerminal('demo', cliEnv(), ['--demo', '--name', name, '--state-dir', stateDir]);
        const person = new Person(pane, left);

        // 1. Where (the demo's one cloud, not asked); 2. images; 3. where users reach it (two typed values, the rest suggested).
        await person.enter('Registry server');
        await person.type('Registry robot username', 'robot$core+acme');
        await person.enter('Registry robot password (Enter keeps the demo value)');
        await person.type('Domain', 'acme.example.org');
        await person.enter('Membrane image tag');
        // 4. Secrets: generated, and the demo's placeholders kept with Enter.
        await person.pick('SECRET (signs JWT tokens)', startsWith('Generate a strong random value'));
        await person.pick('ENCRYPTION_SECRET', startsWith('Generate a strong random value'));
        await person.enter('MongoDB connection string');
        await person.enter('Redis connection string');
        // 5. Storage and sign-in: the defaults.
        await person.enter('Use the default buckets');
        await person.pick('How do people sign in to the console?', startsWith('Username and password'));
        await person.enter('Send email (invitations, password resets) through SMTP?');
        // 6. The (simulated) cloud's choices.
        await person.pick('AWS region', (text) => text === 'us-east-1');
        await person.pick('ECS cluster', (text) => text === 'membrane-cluster');
        let midway = '';
        await person.checkOnly('Subnets for the tasks', includesAny(['subnet-0de30a11ce5b0b001', 'subnet-0de30a11ce5b0b002']), (screen) => (midway = screen));
        await person.checkOnly('Security groups', includesAny(['sg-0de30a11ce5b0b001']));
        await person.pick('Task execution role', (text) => text === 'ecsTaskExecutionRole');
        await person.pick('Task role', (text) => text === 'membrane-task-role');
        await person.pick('Target group for api', startsWith('membrane-api '));
        await person.pick('Target group for ui', startsWith('membrane-ui '));
        await person.pick('Target group for console', startsWith('membrane-console '));
        const wizardDone = secondsSince(started);
        show('demo wizard mid-way (subnets, before Enter)', midway);

        // The live checklist, then the review and the confirm prompt.
        await person.question(PROMPT);
        const promptAfter = secondsSince(started);
        const review = await pane.history();
        const checklist = preflightBlock(review);
        show('demo preflight checklist', checklist);
        expect(checklist, review).toContain('All 8 checks passed.');
        // Ink drew the checklist in place: one block of 8 passed rows, no stale "checking…" frame.
        const rows = checklist.split('\n').filter((line) => /^[✔✖◐○] /.test(line));
        expect(rows, checklist).toHaveLength(8);
        for (const row of rows) expect(row).toMatch(/^✔ /);
        expect(review.match(/^Checking AWS ECS \(Fargate\) prerequisites…$/gm)).toHaveLength(1);
        // The review shows the typed answers.
        expect(review).toMatch(/^✔ Registry robot username \(e\.g\. robot\$core\+yourcompany\) robot\$core\+acme$/m);
        expect(review).toMatch(/^\s+api\s+core\/api\s.*public https:\/\/api\.acme\.example\.org$/m);
        expect(review).toContain('This is a demo: the real AWS steps against a simulated AWS account.');

        await person.enter(PROMPT);
        // Decline saving the answers: "n", seen on the line, then Enter.
        await person.question(SAVE);
        await pane.sendKeys(['n'], { literal: true });
        await person.question(SAVE, (question) => question.message.endsWith('(Y/n) n'));
        await pane.sendKeys(['Enter']);

        const { code, screen } = await pane.waitForExit(left());
        const history = await pane.history();
        show('demo live table at the end (from the answered prompt down)', fromAnswer(screen));
        console.info(`demo: wizard answered after ${wizardDone}, confirm prompt after ${promptAfter}, exit after ${secondsSince(started)}`);

        expect(code, screen).toBe(0);
        expect(history).toMatch(/^✔ Deploy these 31 steps now\? Yes$/m);
        expect(history).toMatch(/^✔ Save these answers \(never the secrets\) for next time\? No$/m);
        expect(history).not.toContain('? Answers file');
        expect(history).not.toMatch(/^Saved /m);
        expect(existsSync(defaultAnswersFile)).toBe(hadAnswersFile);
        const table = tableRows(screen);
        expect(table.map((row) => row.split(/\s+/)[0]), screen).toEqual(GUIDE_ORDER);
        for (const row of table) expect(row).toMatch(/^\S+\s+✔ healthy\s+2\/2\s+\d+:\d{2}\s/);
        expect(screen).toContain('7/7 healthy · 0 deploying · 0 failed');
        expect(screen).toContain('✔ Deployment complete');
        expect(screen).toMatch(/^API: https:\/\/api\.acme\.example\.org$/m);
        expect(screen).toMatch(/^Console: https:\/\/console\.acme\.example\.org$/m);
        // Ink redrew the table in place: one table and one summary line, no stale frame.
        expect(history.match(/^SERVICE\s+STATE/gm)).toHaveLength(1);
        expect(history.match(/healthy · \d+ deploying/g)).toHaveLength(1);

        // The journal recorded what was typed, and the deployment as done.
        const status = await statusOf(name, stateDir);
        expect(status.status).toBe('done');
        const journal = JSON.parse(await readFile(status.stateFile, 'utf8'));
        expect(journal.state.answers.domain).toBe('acme.example.org');
        expect(journal.state.answers.registry.username).toBe('robot$core+acme');
      },
      TEST_TIMEOUT_MS,
    );

    it(
      '--demo-fail api --yes on a TTY: no question, the views drawn, api ✖ failed with the hints; troubleshoot --demo finds the cause; resume --demo completes it',
      async () => {
        const left = budget();
        const name = 'wizard-fail';
        const stateDir = join(work, 'state-fail');
        const started = Date.now();
        const pane = await startInTerminal('demo-fail', cliEnv(), ['--demo', '--demo-fail', 'api', '--yes', '--name', name, '--state-dir', stateDir]);
        const { code, screen } = await pane.waitForExit(left());
        const history = await pane.history();
        show('demo-fail at the end (from the table down)', screen.slice(screen.lastIndexOf('SERVICE ')));
        console.info(`demo-fail: exit after ${secondsSince(started)}`);

        expect(code, screen).toBe(1);
        // --yes: nothing was asked, and still the Ink views were shown (a TTY).
        expect(history).not.toMatch(/^\? /m);
        expect(history).not.toContain('Deploy these');
        const checklist = preflightBlock(history);
        // The demo's answers name a task role (checked) and leave the execution role to the installer.
        expect(checklist, history).toContain('All 7 checks passed.');
        expect(checklist.split('\n').filter((line) => /^✔ /.test(line))).toHaveLength(7);
        expect(history.match(/^SERVICE\s+STATE/gm)).toHaveLength(1);

        const rows = tableRows(screen);
        expect(rows.map((row) => row.split(/\s+/)[0]), screen).toEqual(GUIDE_ORDER);
        const row = (id: string) => rows.find((line) => line.startsWith(`${id} `)) ?? '';
        for (const id of ['custom-code-runner', 'orchestrator', 'queued-worker', 'instant-worker']) expect(row(id)).toMatch(/^\S+\s+✔ healthy\s+2\/2\s/);
        expect(row('api')).toMatch(/^api\s+✖ failed\s+0\/2\s+\d+:\d{2}\s+ECS deployment circuit breaker/);
        // ui and console roll out beside the api (the last wave): the failure stops the wait wherever they were.
        for (const id of ['ui', 'console']) expect(row(id)).toMatch(/^\S+\s+(◐ deploying|✔ healthy)\s+\d\/2\s/);
        expect(screen).toMatch(/^[4-6]\/7 healthy · [0-2] deploying · 1 failed$/m);
        expect(screen).toContain('✖ Deployment failed');

        // The troubleshooting lines below the table.
        const below = screen.slice(screen.indexOf('✖ Deployment failed'));
        expect(below).toMatch(/^Looks like: Cannot pull image\. Check:$/m);
        expect(below).toMatch(/^ {2}- Verify the registry credentials: registry\.username and MEMBRANE_REGISTRY_PASSWORD/m);
        expect(below).toMatch(/CannotPullContainerError: pull access denied for harbor\.integration\.app\/core\/api/);
        const which = `--name ${name} --state-dir ${stateDir} --demo`;
        expect(below).toContain(`Run every check against the cloud: create-membrane-deploy troubleshoot ${which}`);
        expect(below).toContain(`Fix the cause, then continue with: create-membrane-deploy resume ${which}`);
        expect((await statusOf(name, stateDir)).status).toBe('failed');

        // troubleshoot --demo: the real checklist against the simulated account the failed demo left.
        const troubleshooting = await startInTerminal('demo-troubleshoot', cliEnv(), ['troubleshoot', ...which.split(' ')]);
        const diagnosed = await troubleshooting.waitFor(/^Diagnosis: /m, { timeoutMs: left(), what: 'the diagnosis' });
        show('troubleshoot --demo', diagnosed);
        expect(diagnosed).toMatch(/^Diagnosis: Cannot pull image: api cannot pull its image/m);
        expect(diagnosed).toContain('✖ api: what the cloud says: the image could not be pulled');
        await troubleshooting.sendKeys(['q'], { literal: true });
        expect((await troubleshooting.waitForExit(left())).code).toBe(1);

        // resume --demo (the failure was the demo's only): the api gets a new deployment, ui and console follow.
        const resumed = await startInTerminal('demo-resume', cliEnv(), ['resume', ...which.split(' '), '--yes']);
        const end = await resumed.waitForExit(left());
        show('resume --demo at the end', end.screen.slice(end.screen.lastIndexOf('SERVICE ')));
        expect(end.code, end.screen).toBe(0);
        expect(end.screen).toContain('7/7 healthy · 0 deploying · 0 failed');
        const audit = await readFile(join(stateDir, name, 'audit.log'), 'utf8');
        expect(audit.match(/"ecs","update-service"/g)).toHaveLength(1);
        expect(audit.match(/"ecs","create-service"/g)).toHaveLength(7);
        expect((await statusOf(name, stateDir)).status).toBe('done');
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe('the real aws CLI against moto (no answers file, no secret in the environment)', () => {
    let moto: MotoServer;
    let fixture: EcsFixture;

    beforeAll(async () => {
      moto = await startMoto({ ecsServiceRunning: 2 });
      fixture = await createEcsFixture(moto.env);
    }, 90_000);

    afterAll(async () => {
      await moto?.stop();
    });

    const listSecrets = async () => ((await aws(moto.env, ['secretsmanager', 'list-secrets'])).SecretList as { Name: string }[]).map((s) => s.Name).sort();
    const listServices = async () =>
      ((await aws(moto.env, ['ecs', 'list-services', '--cluster', fixture.cluster])).serviceArns as string[]).map((arn) => arn.split('/').pop()!).sort();

    /** Cloud through SMTP: what every AWS session asks before the cloud's own questions. */
    async function answerUpToTheCloud(person: Person): Promise<void> {
      await person.pick('Which cloud?', startsWith('AWS ECS (Fargate)'));
      await person.type('Registry server', 'harbor.integration.app');
      await person.type('Registry robot username', 'robot$core+acme');
      await person.type('Registry robot password', CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD, { secret: true });
      await person.type('Domain', 'example.com');
      await person.type('Membrane image tag', '2025-09-19');
      await person.pick('SECRET (signs JWT tokens)', startsWith('Type or paste my own'));
      await person.type('SECRET (signs JWT tokens)', CANARY_SECRETS.MEMBRANE_SECRET, { secret: true });
      await person.pick('ENCRYPTION_SECRET', startsWith('Type or paste my own'));
      await person.type('ENCRYPTION_SECRET', CANARY_SECRETS.MEMBRANE_ENCRYPTION_SECRET, { secret: true });
      await person.type('MongoDB connection string', CANARY_SECRETS.MEMBRANE_MONGO_URI, { secret: true });
      await person.type('Redis connection string', CANARY_SECRETS.MEMBRANE_REDIS_URI, { secret: true });
      await person.enter('Use the default buckets');
      await person.enter('How do people sign in to the console?');
      await person.enter('Send email (invitations, password resets) through SMTP?');
    }

    it(
      'every question answered by keys from the cloud\'s own lists, secrets typed, answers saved, 7/7 healthy, exit 0',
      async () => {
        const left = budget();
        const name = 'wizard';
        const stateDir = join(work, 'state-aws');
        const answersFile = join(work, 'saved', 'answers.json');
        await mkdir(join(work, 'saved'));
        const started = Date.now();
        const pane = await startInTerminal('aws', cliEnv(moto.env), ['--name', name, '--state-dir', stateDir]);
        const person = new Person(pane, left);

        await answerUpToTheCloud(person);
        // Regions from ec2 describe-regions: the cursor is moved away, then typing jumps back.
        const regions = await person.question('AWS region', (q) => q.choices.length > 0);
        expect(regions.choices.length, JSON.stringify(regions.choices)).toBeGreaterThan(5);
        await pane.sendKeys(['Up', 'Up']);
        await person.question('AWS region', (q) => q.choices.some((c) => c.active) && !q.choices.find((c) => c.active)!.text.startsWith('us-east-1'));
        await person.typeToPick('AWS region', 'us-east-1', (text) => text === 'us-east-1');
        // The cluster from ecs list-clusters.
        await person.pick('ECS cluster', (text) => text === fixture.cluster);
        // Subnets and security groups from describe-subnets / describe-security-groups: the
        // fixture's ids are found on the screen and checked with arrows and Space.
        let midway = '';
        const subnets = await person.question('Subnets for the tasks', (q) => q.choices.length > 0);
        for (const id of fixture.subnets) expect(subnets.choices.some((choice) => choice.text.startsWith(`${id} `)), JSON.stringify(subnets.choices)).toBe(true);
        await person.checkOnly('Subnets for the tasks', includesAny(fixture.subnets), (screen) => (midway = screen));
        await person.checkOnly('Security groups', includesAny(fixture.securityGroups));
        // Roles from iam list-roles (those ECS tasks may assume), target groups from elbv2.
        await person.pick('Task execution role', (text) => text === 'ecsTaskExecutionRole');
        await person.pick('Task role', (text) => text === 'membrane-task-role');
        await person.pick('Target group for api', startsWith('membrane-api '));
        await person.pick('Target group for ui', startsWith('membrane-ui '));
        await person.pick('Target group for console', startsWith('membrane-console '));
        const wizardDone = secondsSince(started);
        show('aws wizard mid-way (subnets from describe-subnets, before Enter)', midway);

        await person.question(PROMPT);
        const promptAfter = secondsSince(started);
        const review = await pane.history();
        const checklist = preflightBlock(review);
        show('aws preflight checklist (real aws CLI against moto)', checklist);
        expect(checklist, review).toContain('All 8 checks passed.');
        expect(checklist.split('\n').filter((line) => /^[✔✖◐○] /.test(line)).every((line) => line.startsWith('✔ '))).toBe(true);
        // The live checklist cuts a line at the terminal's width (120): the gateway's id may be cut short.
        expect(checklist).toMatch(new RegExp(`^✔ Subnets subnet-\\S+, subnet-\\S+ — in ${fixture.vpcId}: all public \\(igw-[0-9a-f]`, 'm'));
        for (const id of fixture.subnets) expect(checklist).toContain(id);
        // Nothing exists in the cloud before the answer.
        expect((await listServices()).filter((service) => service.startsWith(`membrane-${name}-`))).toEqual([]);

        await person.enter(PROMPT);
        await person.enter(SAVE);
        await person.type('Answers file', answersFile);
        const { code, screen } = await pane.waitForExit(left());
        const history = await pane.history();
        show('aws live table at the end (from the answered prompt down)', fromAnswer(screen));
        console.info(`aws: wizard answered after ${wizardDone}, confirm prompt after ${promptAfter}, exit after ${secondsSince(started)}`);

        expect(code, screen).toBe(0);
        expect(history).toContain(`Saved ${answersFile}. Next time: create-membrane-deploy --config ${answersFile}`);
        const table = tableRows(screen);
        expect(table.map((row) => row.split(/\s+/)[0]), screen).toEqual(GUIDE_ORDER);
        for (const row of table) expect(row).toMatch(/^\S+\s+✔ healthy\s+2\/2\s/);
        expect(screen).toContain('7/7 healthy · 0 deploying · 0 failed');
        expect(screen).toContain('✔ Deployment complete');

        // moto: the 7 services, and the 5 secrets holding exactly what was typed.
        expect((await listServices()).filter((service) => service.startsWith(`membrane-${name}-`))).toEqual(GUIDE_ORDER.map((id) => `membrane-${name}-${id}`).sort());
        const secretValue = async (suffix: string) =>
          (await aws(moto.env, ['secretsmanager', 'get-secret-value', '--secret-id', `membrane-${name}/${suffix}`])).SecretString as string;
        expect(await secretValue('jwt-secret')).toBe(CANARY_SECRETS.MEMBRANE_SECRET);
        expect(await secretValue('encryption-secret')).toBe(CANARY_SECRETS.MEMBRANE_ENCRYPTION_SECRET);
        expect(await secretValue('mongo-uri')).toBe(CANARY_SECRETS.MEMBRANE_MONGO_URI);
        expect(await secretValue('redis-uri')).toBe(CANARY_SECRETS.MEMBRANE_REDIS_URI);
        expect(JSON.parse(await secretValue('registry-credentials'))).toEqual({ username: 'robot$core+acme', password: CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD });

        // The saved answers: a valid answers file with the chosen ids and no secret.
        const saved = await readFile(answersFile, 'utf8');
        expect(leakedCanaries(saved)).toEqual([]);
        expect((await stat(answersFile)).mode & 0o777).toBe(0o600);
        const parsed = answersSchema.safeParse(JSON.parse(saved));
        expect(parsed.success, parsed.error?.message).toBe(true);
        expect(parsed.data).toMatchObject({
          cloud: 'aws',
          domain: 'example.com',
          imageTag: '2025-09-19',
          registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
          aws: {
            region: 'us-east-1',
            cluster: fixture.cluster,
            securityGroups: fixture.securityGroups,
            executionRoleArn: fixture.executionRoleArn,
            taskRoleArn: fixture.taskRoleArn,
            targetGroups: fixture.targetGroups,
          },
        });

        expect([...parsed.data!.aws!.subnets].sort()).toEqual([...fixture.subnets].sort());

        // No secret anywhere on the screen or in the state directory (journal, audit log).
        expect(leakedCanaries(history)).toEqual([]);
        const files = await readTree(stateDir);
        expect([...files.keys()].map((path) => path.slice(stateDir.length + 1)).sort()).toEqual(expect.arrayContaining([`${name}/audit.log`, `${name}/journal.json`]));
        for (const [path, text] of files) expect(leakedCanaries(text), path).toEqual([]);
        expect((await statusOf(name, stateDir)).status).toBe('done');
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'Ctrl-C at a question: exit 130, "Cancelled. Nothing was changed.", no journal, only read-only lookups',
      async () => {
        const left = budget();
        const name = 'wizard-cancelled';
        const stateDir = join(work, 'state-cancelled');
        const [secretsBefore, servicesBefore] = await Promise.all([listSecrets(), listServices()]);
        const pane = await startInTerminal('cancel', cliEnv(moto.env), ['--name', name, '--state-dir', stateDir]);
        const person = new Person(pane, left);

        await answerUpToTheCloud(person);
        await person.pick('AWS region', (text) => text === 'us-east-1');
        await person.question('ECS cluster', (q) => q.choices.length > 0);
        // The lookups for the later questions run while this one is asked; let them finish, so
        // that no aws process outlives the CLI (they are read-only either way).
        const auditLog = join(stateDir, name, 'audit.log');
        const lookups = async () => (await readFile(auditLog, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
        await expect.poll(async () => (await lookups()).length, { timeout: Math.min(30_000, left()), interval: 200 }).toBeGreaterThanOrEqual(6);
        const before = await pane.screen();
        const pressed = Date.now();
        await pane.sendKeys(['C-c']);
        const { code, screen } = await pane.waitForExit(Math.min(left(), 20_000));
        const exitAfter = secondsSince(pressed);
        show('Ctrl-C at "ECS cluster" (before and after)', `${before.split('\n').slice(-6).join('\n')}\n  ~~~ Ctrl-C ~~~\n${screen.split('\n').slice(-6).join('\n')}`);
        console.info(`cancel: exit ${exitAfter} after Ctrl-C`);

        expect(code, screen).toBe(130);
        expect(screen).toMatch(/^Cancelled\. Nothing was changed\.$/m);
        expect(screen).not.toContain('Checking AWS');

        // No journal (and no lock left behind); status knows of no deployment.
        expect(existsSync(join(stateDir, name, 'journal.json'))).toBe(false);
        expect(existsSync(join(stateDir, name, 'lock'))).toBe(false);
        const status = await statusOf(name, stateDir);
        expect(status.status).toBe('not-installed');
        expect(status.installed).toBe(false);
        // Only lookups ran: every audited command describes, lists or gets.
        const commands = (await lookups()).map((entry) => (JSON.parse(entry) as { argv: string[] }).argv.slice(0, 3).join(' '));
        for (const command of commands) expect(command).toMatch(/^aws [a-z0-9]+ (describe|list|get)-[a-z-]+$/);
        // Nothing in the cloud, and no secret on the screen or on disk.
        const [secretsAfter, servicesAfter] = await Promise.all([listSecrets(), listServices()]);
        expect(secretsAfter).toEqual(secretsBefore);
        expect(servicesAfter).toEqual(servicesBefore);
        expect(leakedCanaries(await pane.history())).toEqual([]);
        for (const [path, text] of await readTree(stateDir)) expect(leakedCanaries(text), path).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
