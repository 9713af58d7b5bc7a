// The engine runs a step again after a transient error or a conflict (the step looks before it
// creates, so a lost answer is adopted), and never after a permanent one. An exit 0 without the
// answer the step needs is such a lost answer: never journaled done.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionStep, CloudAdapter, StepResult } from '../../source/clouds/types.js';
import { runJson } from '../../source/clouds/cli-json.js';
import { runSteps } from '../../source/engine/engine.js';
import type { DeployEvent } from '../../source/engine/events.js';
import { Journal } from '../../source/engine/journal.js';
import { StepFailedError } from '../../source/errors.js';
import { CliError, type CliErrorKind } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { CANARY, awsAnswersRaw } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A step that fails with the given kinds, in order, then reports `created`. */
function flakyStep(failures: CliErrorKind[]): ActionStep & { applied: number } {
  const step = {
    kind: 'action' as const,
    id: 'secret:jwtSecret',
    title: 'Secret membrane/jwt-secret',
    applied: 0,
    preview: () => [],
    async apply(): Promise<StepResult> {
      const kind = failures[step.applied++];
      if (kind) throw new CliError(kind, ['aws', 'secretsmanager', 'create-secret'], 255, `a ${kind} failure`);
      return { outcome: 'created' };
    },
  };
  return step;
}

/** `answers`: what the CLI prints, in order, each with exit 0 (for steps that run commands). */
async function run(step: ActionStep, emit: (event: DeployEvent) => void = () => undefined, answers: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'engine-retry-'));
  dirs.push(dir);
  const journal = new Journal(dir);
  journal.begin({ name: 'default', cloud: 'aws', command: 'install', answers: awsAnswersRaw() }, false);
  const pauses: number[] = [];
  const runner: Runner = {
    run: () => (answers.length ? Promise.resolve({ stdout: answers.shift()!, stderr: '', exitCode: 0 }) : Promise.reject(new Error('no more answers'))),
    backoff: async (attempt) => void pauses.push(attempt),
  };
  const adapter = { observe: () => Promise.reject(new Error('no rollouts here')) } as unknown as CloudAdapter;
  const outcome = await runSteps({
    adapter,
    steps: [step],
    runner,
    journal,
    secrets: CANARY,
    emit,
    skipDone: false,
    desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, 1])) as Record<ServiceId, number>,
    pollIntervalMs: 10,
    rolloutTimeoutMs: 1000,
    stop: new AbortController().signal,
  }).then(() => 'ok', (error: unknown) => error);
  return { outcome, pauses, journal };
}

describe('engine step retries', () => {
  it('runs a step again after a transient failure and after a conflict, with a backoff between', async () => {
    const step = flakyStep(['throttled', 'transient', 'conflict']);
    const { outcome, pauses, journal } = await run(step);
    expect(outcome).toBe('ok');
    expect(step.applied).toBe(4);
    expect(pauses).toEqual([1, 2, 3]);
    expect(journal.state!.steps[step.id]).toMatchObject({ status: 'done', outcome: 'created' });
  });

  it('gives a step a way to say what it waits for: a step-progress event with its service', async () => {
    const events: DeployEvent[] = [];
    const step: ActionStep = {
      kind: 'action', id: 'app:api', title: 'Container App api', deploys: 'api', preview: () => [],
      async apply(context) {
        context.progress('waiting for Key Vault access to propagate');
        return { outcome: 'created' };
      },
    };
    const { outcome } = await run(step, (event) => events.push(event));
    expect(outcome).toBe('ok');
    expect(events).toContainEqual({ type: 'step-progress', stepId: 'app:api', title: 'Container App api', service: 'api', message: 'waiting for Key Vault access to propagate' });
  });

  it('gives up after five tries', async () => {
    const step = flakyStep(['transient', 'transient', 'transient', 'transient', 'transient']);
    const { outcome } = await run(step);
    expect(outcome).toBeInstanceOf(StepFailedError);
    expect(step.applied).toBe(5);
  });

  it.each(['access-denied', 'invalid', 'not-found', 'failed'] as const)('fails at once on %s', async (kind) => {
    const step = flakyStep([kind]);
    const { outcome, pauses } = await run(step);
    expect(outcome).toBeInstanceOf(StepFailedError);
    expect((outcome as Error).message).toContain(`a ${kind} failure`);
    expect(step.applied).toBe(1);
    expect(pauses).toEqual([]);
  });
});

describe('a step is done only when its outputs are known', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:membrane/jwt-secret-AbCdEf';
  const createSecret = { argv: ['aws', 'secretsmanager', 'create-secret', '--name', 'membrane/jwt-secret'] };

  /** Like the AWS secret step: creates, and reports the ARN from the CLI's answer. */
  function secretStep(): ActionStep & { applied: number } {
    const step = {
      kind: 'action' as const,
      id: 'secret:jwtSecret',
      title: 'Secret membrane/jwt-secret',
      applied: 0,
      preview: () => [],
      async apply({ runner }: Parameters<ActionStep['apply']>[0]): Promise<StepResult> {
        step.applied++;
        const created = await runJson(runner, createSecret);
        return { outcome: 'created', outputs: { 'secret:jwtSecret:arn': created.ARN } };
      },
    };
    return step;
  }

  it.each([
    ['no output', ''],
    ['output cut off', `{\n  "ARN": "${ARN.slice(0, 20)}`],
    ['an HTML page', '<!DOCTYPE html><html><body>Bad gateway</body></html>'],
    ['JSON without the ARN', '{"Name": "membrane/jwt-secret"}'],
    ['an empty ARN', '{"ARN": ""}'],
  ])('looks again after exit 0 with %s, and journals the ARN of the next answer', async (_, first) => {
    const step = secretStep();
    const { outcome, pauses, journal } = await run(step, undefined, [first, JSON.stringify({ ARN, Name: 'membrane/jwt-secret' })]);
    expect(outcome).toBe('ok');
    expect(step.applied).toBe(2);
    expect(pauses).toEqual([1]);
    expect(journal.state!.steps[step.id]).toMatchObject({ status: 'done', outputs: { 'secret:jwtSecret:arn': ARN } });
  });

  it('fails the step, never journaled done, when the answer never comes', async () => {
    const step = secretStep();
    const { outcome, journal } = await run(step, undefined, Array(5).fill(''));
    expect(outcome).toBeInstanceOf(StepFailedError);
    expect((outcome as Error).message).toBe('Secret membrane/jwt-secret: aws secretsmanager create-secret: answered with no output where JSON was expected');
    expect(step.applied).toBe(5);
    expect(journal.state!.steps[step.id]).toMatchObject({ status: 'failed' });
    expect(journal.outputs()).toEqual({});
  });

  it('names the missing output when the answer lacks it every time', async () => {
    const step = secretStep();
    const { outcome, journal } = await run(step, undefined, Array(5).fill('{}'));
    expect((outcome as Error).message).toBe("Secret membrane/jwt-secret: the cloud's answer did not say secret:jwtSecret:arn; resume looks again");
    expect(journal.isDone(step.id)).toBe(false);
  });
});

describe('runJson', () => {
  const runner = (stdout: string): Runner => ({ run: async () => ({ stdout, stderr: '', exitCode: 0 }), backoff: async () => undefined });
  const get = { argv: ['aws', 'secretsmanager', 'get-secret-value', '--secret-id', 'membrane/jwt-secret'] };

  it('parses the answer', async () => {
    await expect(runJson(runner('{"value": "x"}\n'), get)).resolves.toEqual({ value: 'x' });
  });

  it('calls a cut-off answer a transient failure of the command, without showing what came back', async () => {
    const error = await runJson(runner(`{\n  "value": "${CANARY.secret}`), get).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).kind).toBe('transient');
    expect((error as CliError).message).toMatch(/^aws secretsmanager get-secret-value failed \(exit 0\): answered with \d+ characters that are not JSON \(starting with "\{"\)$/);
    expect((error as CliError).message).not.toContain(CANARY.secret);
  });
});
