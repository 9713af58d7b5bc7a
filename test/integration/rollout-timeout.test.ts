// A rollout that never converges stops the install with exit 1, the cloud's counts in the
// message, and a journal that status and resume can read.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { answersFor, createEcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, runCli } from '../support/cli.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let work: string;

beforeAll(async () => {
  // With no tasks ever running, moto keeps every rollout IN_PROGRESS.
  moto = await startMoto({ ecsServiceRunning: 0 });
  const fixture = await createEcsFixture(moto.env);
  work = await mkdtemp(join(tmpdir(), 'membrane-timeout-'));
  await writeFile(join(work, 'answers.json'), JSON.stringify(answersFor(fixture)));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

it('fails the wave after --rollout-timeout with exit 1 and keeps the journal', async () => {
  const env = { ...moto.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '500' };
  const stateDir = join(work, 'state');
  const run = await runCli(['--config', join(work, 'answers.json'), '--yes', '--state-dir', stateDir, '--rollout-timeout', '0.05'], env);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain('custom-code-runner (0/2 running)');
  expect(run.stdout).toContain(`resume --name default --state-dir ${stateDir}`);

  // Only the first wave was started: nothing after the runner was created.
  const { serviceArns } = await aws(moto.env, ['ecs', 'list-services', '--cluster', 'membrane-cluster']);
  expect(serviceArns.map((arn: string) => arn.split('/').pop())).toEqual(['membrane-custom-code-runner']);

  const status = JSON.parse((await runCli(['status', '--json', '--state-dir', stateDir], env)).stdout);
  expect(status.status).toBe('failed');
  expect(status.services['custom-code-runner'].state).toBe('deploying');
  expect(status.services.api.state).toBe('pending');
});
