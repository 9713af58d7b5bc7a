// --json through the built CLI and the real aws CLI against one moto: a CI job reads the install
// as one JSON event a line on stdout, and a run that cannot start says why in JSON too.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, leakedCanaries, runCli, type CliRun } from '../support/cli.js';
import { startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let fixture: EcsFixture;
let work: string;
let env: Record<string, string>;
let install: CliRun;

interface Line {
  type: string;
  time: string;
  [field: string]: any;
}

/** Every stdout line, parsed: JSON.parse throws on the first one that is not JSON. */
function events(run: CliRun): Line[] {
  const lines = run.stdout.split('\n');
  expect(lines.pop(), 'stdout ends with a newline').toBe('');
  return lines.map((line) => {
    try {
      return JSON.parse(line) as Line;
    } catch {
      throw new Error(`not a JSON line on stdout: ${line}`);
    }
  });
}

async function answersFile(name: string, answers: Record<string, unknown>): Promise<string> {
  const file = join(work, `${name}.json`);
  await writeFile(file, JSON.stringify(answers));
  return file;
}

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
  fixture = await createEcsFixture(moto.env);
  work = await mkdtemp(join(tmpdir(), 'membrane-json-'));
  env = { ...moto.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200' };
  install = await runCli(['install', '--json', '--yes', '--config', await answersFile('answers', answersFor(fixture)), '--state-dir', join(work, 'state')], env);
}, 300_000);

afterAll(async () => {
  await moto?.stop();
});

describe('install --json --yes on AWS (moto)', () => {
  it('exits 0 with nothing but JSON events on stdout, each with its type and time, and no prose anywhere', () => {
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stderr).toBe('');
    for (const event of events(install)) {
      expect(typeof event.type).toBe('string');
      expect(Number.isNaN(Date.parse(event.time)), event.time).toBe(false);
    }
  });

  it('streams the preflight checks, then the steps, then every service to healthy, and ends with done complete', () => {
    const stream = events(install);
    const types = stream.map((event) => event.type);
    const finishedChecks = stream.filter((event) => event.type === 'check-finished');
    expect(finishedChecks.length).toBeGreaterThan(3);
    for (const { check } of finishedChecks) expect(check.ok, check.title).toBe(true);
    expect(types.lastIndexOf('check-finished')).toBeLessThan(types.indexOf('step-started'));
    expect(types.filter((type) => type === 'step-finished').length).toBeGreaterThan(20);

    const last = new Map<string, string>();
    for (const event of stream) if (event.type === 'service') last.set(event.progress.service, event.progress.phase);
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(SERVICE_IDS.map((id) => [id, 'healthy'])));

    expect(types.filter((type) => type === 'done')).toHaveLength(1);
    expect(stream.at(-1)).toMatchObject({ type: 'done', outcome: 'complete' });
    expect(stream.at(-1)!.summary).toContain('API: https://api.example.com');
  });

  it('never shows a secret', () => {
    expect(leakedCanaries(install.stdout + install.stderr)).toEqual([]);
  });

  it('resume of the finished deployment: a single done line, exit 0', async () => {
    const run = await runCli(['resume', '--json', '--yes', '--state-dir', join(work, 'state')], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(events(run)).toEqual([{ type: 'done', time: expect.any(String), outcome: 'complete', summary: [expect.stringContaining('already complete')] }]);
  });
});

describe('a --json run that cannot start: exit 2, one JSON error line, nothing run', () => {
  /** The whole stdout is one error line; stderr keeps the words for a person. */
  function errorLine(run: CliRun): Line {
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    const stream = events(run);
    expect(stream).toHaveLength(1);
    expect(stream[0]).toMatchObject({ type: 'error', exitCode: 2 });
    expect(leakedCanaries(run.stdout + run.stderr)).toEqual([]);
    return stream[0]!;
  }

  it('invalid answers: the problems as data, no aws command run', async () => {
    const stateDir = join(work, 'bad');
    const file = await answersFile('bad', { ...answersFor(fixture), domain: 'https://example.com/' });
    const error = errorLine(await runCli(['--json', '--yes', '--config', file, '--state-dir', stateDir], { ...env, MEMBRANE_MONGO_URI: 'postgres://canary-mongo-T4n6@db' }));
    expect(error.message).toContain('Nothing was changed');
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^domain: /), expect.stringMatching(/^MEMBRANE_MONGO_URI: /)]));
    expect(existsSync(join(stateDir, 'default', 'audit.log'))).toBe(false);
  });

  it('an option install does not take', async () => {
    const error = errorLine(await runCli(['install', '--json', '--yes', '--out', join(work, 'plan')], env));
    expect(error.message).toBe('--out is not an option of install; it goes with plan.');
  });

  it('without --yes: --json asks nothing, so it changes nothing', async () => {
    const stateDir = join(work, 'no-yes');
    const error = errorLine(await runCli(['--json', '--config', await answersFile('no-yes', answersFor(fixture)), '--state-dir', stateDir], env));
    expect(error.message).toMatch(/^With --json nothing is asked, so install changes nothing without --yes\./);
    expect(existsSync(join(stateDir, 'default', 'audit.log'))).toBe(false);
  });

  it('a failed preflight check: the checks as events, then the error naming the check', async () => {
    const answers = answersFor(fixture);
    const file = await answersFile('no-cluster', { ...answers, aws: { ...answers.aws, cluster: 'no-such-cluster' } });
    const run = await runCli(['--json', '--yes', '--config', file, '--state-dir', join(work, 'no-cluster')], env);
    expect(run.exitCode, run.stderr).toBe(2);
    const stream = events(run);
    expect(stream.filter((event) => event.type === 'check-finished').some((event) => !event.check.ok)).toBe(true);
    expect(stream.some((event) => event.type.startsWith('step-'))).toBe(false);
    expect(stream.at(-1)).toMatchObject({ type: 'error', exitCode: 2, problems: [expect.stringMatching(/^ECS cluster no-such-cluster is ACTIVE: no cluster named no-such-cluster/)] });
  });
});
