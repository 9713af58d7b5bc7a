// rollback against the demo's simulated AWS account (the real AWS adapter and engine, no moto):
// each completed run is a release in the journal, and rollback deploys the one before again.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, type CliRun } from '../support/cli.js';
import { auditLines, runAndKill } from '../support/kill.js';
import { SERVICE_IDS } from '../../source/membrane/services.js';

let dir: string;
const demo = (args: string[], speed = '0.01') => runCli([...args, '--demo', '--yes', '--state-dir', dir], { CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: speed }, 120_000);
/** The image each service runs now: its service's task definition in the simulated account (the one before, after its circuit breaker went back). */
async function runningImages(): Promise<string[]> {
  const account = JSON.parse(await readFile(join(dir, 'default', 'demo-account.json'), 'utf8'));
  return Object.values(account.services as Record<string, { deployment: { taskDefinition: string; failing: boolean; previous?: string } }>).map(({ deployment }) => {
    const running = deployment.failing && deployment.previous ? deployment.previous : deployment.taskDefinition;
    const [family, revision] = running.split('/').pop()!.split(':');
    return account.taskDefinitions[family!][Number(revision) - 1].containerDefinitions[0].image as string;
  });
}
const status = async () => JSON.parse((await runCli(['status', '--json', '--demo', '--state-dir', dir], {})).stdout);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'membrane-rollback-'));
  const install = await demo([]);
  expect(install.exitCode, install.stdout + install.stderr).toBe(0);
}, 120_000);

describe('rollback', () => {
  it('refuses with exit 2 while there is only one release, and changes nothing', async () => {
    const run = await demo(['rollback']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('Nothing to roll back to for --name default: the journal records no earlier release with other answers');
    expect((await status()).releases.map((release: { imageTag: string }) => release.imageTag)).toEqual(['2025-09-19']);
  });

  it('after an upgrade, deploys the release before it again: every service runs the old image, and the history says so', async () => {
    const upgrade = await demo(['upgrade', '--image-tag', '2025-10-01']);
    expect(upgrade.exitCode, upgrade.stdout + upgrade.stderr).toBe(0);
    expect(new Set(await runningImages())).toEqual(new Set(['harbor.integration.app/core/api:2025-10-01', 'harbor.integration.app/core/ui:2025-10-01',
      'harbor.integration.app/core/console:2025-10-01', 'harbor.integration.app/core/custom-code-runner:2025-10-01']));

    const rollback = await demo(['rollback']);
    expect(rollback.exitCode, rollback.stdout + rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/Rolling back to the release of \d{4}-\d\d-\d\d \d\d:\d\d UTC \(install, image tag 2025-09-19\)/);
    expect(rollback.stdout).toContain('7/7 healthy');
    const images = await runningImages();
    expect(images).toHaveLength(7);
    for (const image of images) expect(image).toMatch(/:2025-09-19$/);
    const after = await status();
    expect(after.releases.map(({ imageTag, command }: { imageTag: string; command: string }) => `${imageTag} ${command}`)).toEqual(['2025-09-19 install', '2025-10-01 upgrade', '2025-09-19 rollback']);
    // A rollback of the rollback goes forward again: the last release with other answers.
    const again = await demo(['rollback']);
    expect(again.exitCode).toBe(0);
    for (const image of await runningImages()) expect(image).toMatch(/:2025-10-01$/);
  }, 300_000);

  it('an upgrade whose api fails rolls back every service it moved (ui and console roll out beside it): the cloud runs the old images again', async () => {
    const before = (await readFile(join(dir, 'default', 'audit.log'), 'utf8')).split('\n').length;
    const upgrade = await demo(['upgrade', '--image-tag', '2025-11-01', '--demo-fail', 'api']);
    expect(upgrade.exitCode, upgrade.stdout + upgrade.stderr).toBe(1);
    const moved = 'custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console';
    expect(upgrade.stdout).toMatch(new RegExp(`Rolling back ${moved} to the release of [\\d: -]+ UTC \\(image tag 2025-10-01\\), because the upgrade failed`));
    expect(upgrade.stdout).toContain(`Rolled back: ${moved} run the release of`);
    expect(upgrade.stdout).toContain('Fix the cause, then upgrade again with: create-membrane-deploy upgrade --image-tag 2025-11-01 --name default');
    for (const image of await runningImages()) expect(image).toMatch(/:2025-10-01$/);
    const run = (await readFile(join(dir, 'default', 'audit.log'), 'utf8')).split('\n').slice(before - 1).filter(Boolean).map((text) => JSON.parse(text).argv.join(' '));
    const updated = run.filter((argv) => argv.includes('ecs update-service')).map((argv) => /services\/([\w-]+)\.update\.json/.exec(argv)?.[1]);
    expect(new Set(updated)).toEqual(new Set(SERVICE_IDS));
    const after = await status();
    expect([after.command, after.status]).toEqual(['rollback', 'done']);
    expect(after.releases.at(-1).imageTag).toBe('2025-10-01');
  }, 300_000);

  it('takes no answers of its own: the release has them', async () => {
    const run = await demo(['rollback', '--image-tag', 'x']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--image-tag is not an option of rollback');
  });
});

describe('Ctrl-C in an upgrade, without a terminal', () => {
  it('stops after the running command and names both ways on: resume the upgrade, or rollback (which puts back what moved)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'membrane-upgrade-stop-'));
    // A slower account (it keeps its pace), so the stop lands while the workers roll out.
    expect((await demo([], '0.1')).exitCode).toBe(0);
    const stopped = await stopWhen(['upgrade', '--image-tag', '2025-10-01', '--demo', '--yes', '--state-dir', dir], '✔ ECS service membrane-custom-code-runner (updated)');
    expect(stopped.exitCode, stopped.stdout + stopped.stderr).toBe(130);
    expect(stopped.stdout).toContain(`Or go back to the release before the upgrade with: create-membrane-deploy rollback --name default --state-dir ${dir} --demo --yes`);
    expect(await runningImages()).toContain('harbor.integration.app/core/custom-code-runner:2025-10-01');

    const rollback = await demo(['rollback']);
    expect(rollback.exitCode, rollback.stdout + rollback.stderr).toBe(0);
    for (const image of await runningImages()) expect(image).toMatch(/:2025-09-19$/);
  }, 180_000);

  it('an upgrade killed with SIGKILL mid-rollout resumes to the new release, registering each revision once', async () => {
    const auditLog = join(dir, 'default', 'audit.log');
    const before = (await auditLines(auditLog)).length;
    const killed = await runAndKill({
      args: ['upgrade', '--image-tag', '2025-11-01', '--demo', '--yes', '--state-dir', dir],
      env: { ...process.env, CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: '0.1' } as Record<string, string>,
      auditLog,
      killWhen: (lines) => lines.slice(before).some((text) => text.includes('services/orchestrator.update.json')),
      timeoutMs: 120_000,
    });
    expect(killed.exited).toBeUndefined();
    const resumed = await demo(['resume']);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    for (const image of await runningImages()) expect(image).toMatch(/:2025-11-01$/);
    const registered = (await auditLines(auditLog)).slice(before).map((text) => JSON.parse(text).argv.join(' ')).filter((argv) => argv.includes('register-task-definition'));
    expect(registered).toHaveLength(7);
  }, 180_000);
});

/** Runs the CLI and sends SIGINT once its output shows `line`. */
function stopWhen(args: string[], line: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!sent && stdout.includes(line)) sent = child.kill('SIGINT');
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, pid: child.pid! });
    });
  });
}
