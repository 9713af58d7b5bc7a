// The built CLI in a real terminal (tmux), driven as a person would: read the review, answer
// the confirm prompt, watch the live table, press Ctrl-C. What the screen says is backed by
// moto's state and the journal, never by the installer's words alone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { answersFor, createEcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, CLI, leakedCanaries, runCli } from '../support/cli.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';
import { createTmuxServer, type Pane, type TmuxServer } from '../support/tmux.js';

const REPO = join(import.meta.dirname, '..', '..');
const TEST_TIMEOUT_MS = 120_000;
/** Waits end before the test's timeout, so a failure shows the last screen rather than "timed out". */
const WAIT_BUDGET_MS = TEST_TIMEOUT_MS - 10_000;
const GUIDE_ORDER = ['custom-code-runner', 'orchestrator', 'queued-worker', 'instant-worker', 'api', 'ui', 'console'];
const CLUSTER = 'membrane-cluster';
const PROMPT = /Deploy these \d+ steps now\? \(Y\/n\)/;

/** moto whose rollouts complete (2 tasks running): confirm and decline. */
let moto: MotoServer;
/** moto whose rollouts never complete (0 running): Ctrl-C. */
let stuckMoto: MotoServer;
let answersFile: string;
let stuckAnswersFile: string;
let work: string;
let tmux: TmuxServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'membrane-e2e-'));
  tmux = createTmuxServer();
  [moto, stuckMoto] = await Promise.all([startMoto({ ecsServiceRunning: 2 }), startMoto({ ecsServiceRunning: 0 })]);
  const [fixture, stuckFixture] = await Promise.all([createEcsFixture(moto.env), createEcsFixture(stuckMoto.env)]);
  answersFile = join(work, 'answers.json');
  stuckAnswersFile = join(work, 'answers-stuck.json');
  await Promise.all([
    writeFile(answersFile, JSON.stringify(answersFor(fixture))),
    writeFile(stuckAnswersFile, JSON.stringify(answersFor(stuckFixture))),
  ]);
}, 60_000);

afterAll(async () => {
  // Every step runs even if an earlier one throws; the first error is reported.
  const results = await Promise.allSettled([tmux?.kill(), moto?.stop(), stuckMoto?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
});

/**
 * The CLI's whole environment in the terminal: moto's (no host AWS_* variable), the canary
 * secrets and a short poll interval. Never CI (the CLI would print plain lines and not prompt),
 * nor variables of the test runner that change how Node, colours or the terminal size behave.
 */
function cliEnv(server: MotoServer): Record<string, string> {
  const dropped = new Set(['CI', 'TERM', 'NODE_OPTIONS', 'NODE_ENV', 'FORCE_COLOR', 'NO_COLOR', 'COLUMNS', 'LINES']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(server.env)) {
    if (dropped.has(key) || key.startsWith('TMUX') || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, LANG: 'C.UTF-8', ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200' };
}

/** Starts `node dist/cli.js ARGS` in a new 120×50 terminal of the private tmux server. */
function startInTerminal(name: string, server: MotoServer, args: string[]): Promise<Pane> {
  return tmux.run(name, { argv: [process.execPath, CLI, ...args], env: cliEnv(server), cwd: REPO }, join(work, `${name}.sh`));
}

/** Milliseconds left of a test's wait budget. */
function budget(): () => number {
  const deadline = Date.now() + WAIT_BUDGET_MS;
  return () => Math.max(1_000, deadline - Date.now());
}

/** The rows under the last table header on the screen. */
function tableRows(screen: string): string[] {
  const lines = screen.split('\n');
  let header = -1;
  lines.forEach((line, index) => {
    if (/^SERVICE\s+STATE\s+TASKS\s+ELAPSED/.test(line)) header = index;
  });
  return header < 0 ? [] : lines.slice(header + 1, header + 1 + SERVICE_IDS.length);
}

/** From the answered prompt down: what a person sees once the deployment has started. */
function fromAnswer(screen: string): string {
  const lines = screen.split('\n');
  const answered = lines.findIndex((line) => /Deploy these \d+ steps now\? (Yes|No)/.test(line));
  return lines.slice(Math.max(0, answered)).join('\n');
}

const secondsSince = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Prints a captured screen for the test report (the lead copies them into README). */
function show(title: string, screen: string): void {
  console.info(`----- ${title} -----\n${screen}\n----- end of ${title} -----`);
}

describe('the built CLI in a real terminal (tmux, 120×50)', () => {
  it(
    'confirm with Enter: review, prompt, live table until 7/7 healthy, exit 0',
    async () => {
      const left = budget();
      const stateDir = join(work, 'state-confirm');
      const started = Date.now();
      const pane = await startInTerminal('confirm', moto, ['--config', answersFile, '--state-dir', stateDir]);

      await pane.waitFor(PROMPT, { what: 'the confirm prompt', timeoutMs: left() });
      const promptAfter = secondsSince(started);
      const review = await pane.history();
      show('review and confirm prompt (whole terminal)', review);
      expect(review).toContain('Services (in deployment order):');
      expect(review).toMatch(/^\s+api\s+core\/api\s.*public https:\/\/api\.example\.com$/m);
      // Nothing exists in the cloud before the answer.
      expect((await aws(moto.env, ['ecs', 'list-services', '--cluster', CLUSTER])).serviceArns).toEqual([]);

      await pane.sendKeys(['Enter']);
      const { code, screen } = await pane.waitForExit(left());
      show('live table at the end (screen from the answered prompt down)', fromAnswer(screen));
      console.info(`confirm: prompt after ${promptAfter}, exit after ${secondsSince(started)}`);

      expect(screen).toMatch(/✔ Deploy these \d+ steps now\? Yes/);
      expect(code, screen).toBe(0);
      const rows = tableRows(screen);
      expect(rows.map((row) => row.split(/\s+/)[0]), screen).toEqual(GUIDE_ORDER);
      for (const row of rows) expect(row).toMatch(/^\S+\s+✔ healthy\s+2\/2\s+\d+:\d{2}\s/);
      expect(screen).toContain('7/7 healthy · 0 deploying · 0 failed');
      expect(screen).toContain('✔ Deployment complete');
      expect(screen).toMatch(/^API: https:\/\/api\.example\.com$/m);
      expect(screen).toMatch(/^UI: https:\/\/ui\.example\.com$/m);
      expect(screen).toMatch(/^Console: https:\/\/console\.example\.com$/m);
      // Ink redrew in place: one table and one summary line on the screen, no stale frame.
      expect(screen.match(/^SERVICE\s+STATE/gm)).toHaveLength(1);
      expect(screen.match(/healthy · \d+ deploying/g)).toHaveLength(1);
      expect(leakedCanaries(await pane.history())).toEqual([]);

      const { serviceArns } = await aws(moto.env, ['ecs', 'list-services', '--cluster', CLUSTER]);
      expect((serviceArns as string[]).map((arn) => arn.split('/').pop()).sort()).toEqual(GUIDE_ORDER.map((id) => `membrane-${id}`).sort());
      const status = await runCli(['status', '--json', '--state-dir', stateDir], cliEnv(moto));
      expect(JSON.parse(status.stdout).status).toBe('done');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'decline with n: "Nothing was changed", exit 0, no secret and no service created',
    async () => {
      const left = budget();
      const stateDir = join(work, 'state-decline');
      const name = 'declined';
      const listSecrets = async () => ((await aws(moto.env, ['secretsmanager', 'list-secrets'])).SecretList as { Name: string }[]).map((s) => s.Name).sort();
      const listServices = async () => ((await aws(moto.env, ['ecs', 'list-services', '--cluster', CLUSTER])).serviceArns as string[]).sort();
      const [secretsBefore, servicesBefore] = await Promise.all([listSecrets(), listServices()]);

      const started = Date.now();
      const pane = await startInTerminal('decline', moto, ['--config', answersFile, '--name', name, '--state-dir', stateDir]);
      await pane.waitFor(PROMPT, { what: 'the confirm prompt', timeoutMs: left() });
      await pane.sendKeys(['n'], { literal: true });
      await pane.waitFor(/Deploy these \d+ steps now\? \(Y\/n\) n$/m, { what: 'the typed "n"', timeoutMs: 10_000 });
      await pane.sendKeys(['Enter']);
      const { code, screen } = await pane.waitForExit(left());
      show('declined (screen from the answered prompt down)', fromAnswer(screen));
      console.info(`decline: exit after ${secondsSince(started)}`);

      expect(code, screen).toBe(0);
      expect(screen).toMatch(/Deploy these \d+ steps now\? No/);
      expect(screen).toContain('Nothing was changed.');
      expect(screen).not.toMatch(/^SERVICE\s+STATE/m);
      expect(leakedCanaries(await pane.history())).toEqual([]);

      const [secretsAfter, servicesAfter] = await Promise.all([listSecrets(), listServices()]);
      expect(secretsAfter.filter((secret) => secret.startsWith(`membrane-${name}/`))).toEqual([]);
      expect(servicesAfter.filter((arn) => arn.includes(`/membrane-${name}-`))).toEqual([]);
      expect(secretsAfter).toEqual(secretsBefore);
      expect(servicesAfter).toEqual(servicesBefore);
      const status = await runCli(['status', '--json', '--name', name, '--state-dir', stateDir], cliEnv(moto));
      expect(JSON.parse(status.stdout).status).toBe('not-installed');
    },
    TEST_TIMEOUT_MS,
  );

  describe('Ctrl-C while custom-code-runner rolls out (rollouts never complete)', () => {
    const stateDir = () => join(work, 'state-interrupt');
    let interrupted: { code: number; screen: string; before: string; history: string } | undefined;

    it(
      'exits 130, says how to resume, and the journal says interrupted',
      async () => {
        const left = budget();
        const started = Date.now();
        const pane = await startInTerminal('interrupt', stuckMoto, ['--config', stuckAnswersFile, '--state-dir', stateDir()]);
        await pane.waitFor(PROMPT, { what: 'the confirm prompt', timeoutMs: left() });
        await pane.sendKeys(['Enter']);

        // The table's current-step line (the review lists the same title without "▸").
        const before = await pane.waitFor(
          (screen) => screen.includes('▸ Wait until custom-code-runner is healthy') || /^custom-code-runner\s+◐ deploying/m.test(screen),
          { what: 'custom-code-runner deploying', timeoutMs: left() },
        );
        show('runner deploying, before Ctrl-C', fromAnswer(before));
        const pressed = Date.now();
        await pane.sendKeys(['C-c']);
        const { code, screen } = await pane.waitForExit(Math.min(left(), 60_000));
        interrupted = { code, screen, before, history: await pane.history() };
        show('after one Ctrl-C', fromAnswer(screen));
        console.info(`interrupt: Ctrl-C ${((pressed - started) / 1000).toFixed(1)} s after start, exit ${secondsSince(pressed)} after Ctrl-C`);

        expect(code, screen).toBe(130);
        expect(screen).toMatch(new RegExp(`resume --name default --state-dir ${stateDir().replaceAll('/', '\\/')}$`, 'm'));
        expect(leakedCanaries(interrupted.history)).toEqual([]);

        const status = await runCli(['status', '--json', '--state-dir', stateDir()], cliEnv(stuckMoto));
        expect(status.exitCode, status.stderr).toBe(0);
        const report = JSON.parse(status.stdout);
        expect(report.status).toBe('interrupted');
        expect(report.services['custom-code-runner'].state).toBe('deploying');
        expect(report.services.api.state).toBe('pending');
      },
      TEST_TIMEOUT_MS,
    );

    it('one Ctrl-C stops gracefully: the table draws its last frame with the resume line (not the "stop at once" path)', () => {
      if (!interrupted) throw new Error('the Ctrl-C run above did not get to an exit');
      const screen = fromAnswer(interrupted.screen);
      // First Ctrl-C: the note, then the engine stops after the running command and the live
      // table ends with the summary. "Stopped. Continue with" is the SECOND Ctrl-C's message.
      expect(screen).toContain('Stopping after the running command… (Ctrl-C again to stop at once)');
      expect(screen).not.toContain('Stopped. Continue with');
      expect(screen).toMatch(/^Interrupted\. Continue with: create-membrane-deploy resume --name default --state-dir \S+$/m);
      expect(screen).not.toMatch(/Fix the cause/);
    });
  });
});
