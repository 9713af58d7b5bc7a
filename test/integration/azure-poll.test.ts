// How the Container Apps rollout wait polls: the engine with the real Azure adapter, against the strict
// fake `az`, while the three apps of the workers' wave are provisioned but their revisions not yet ready
// (Azure says Succeeded before a revision is ready: azure-cli-extensions#6251). Every poll costs one az
// call, whatever number of apps are waiting, and a revision that fails is still reported failed with its
// runningStateDetails, within a bounded number of polls.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { azureAdapter } from '../../source/clouds/azure/index.js';
import type { CloudAdapter, RolloutStep } from '../../source/clouds/types.js';
import { runSteps } from '../../source/engine/engine.js';
import type { DeployEvent } from '../../source/engine/events.js';
import { Journal } from '../../source/engine/journal.js';
import { createRunner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { az, startFakeAz, type FakeAz } from '../support/az.js';
import { azureAnswersRaw, azureSettings, CANARY } from '../unit/fixtures.js';

const RG = 'membrane-rg';
const WAVE: ServiceId[] = ['orchestrator', 'queued-worker', 'instant-worker'];
const CRASH = "Container 'queued-worker' crashed: exit code 1";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A fake whose revisions stay Activating for `activateAfter` reads after provisioning, with the wave's apps just created. */
async function waveJustCreated(activateAfter: number, failing: Partial<Record<ServiceId, string>> = {}) {
  const fake = await startFakeAz({ resourceGroup: RG, environment: 'membrane-env', keyVault: 'membrane-vault', readyAfter: 1, activateAfter });
  const work = await mkdtemp(join(tmpdir(), 'azure-poll-'));
  cleanups.push(() => fake.stop(), () => rm(work, { recursive: true, force: true }));
  for (const [service, message] of Object.entries(failing)) fake.setFailure(`membrane-${service}`, message);
  const environment = await az(fake.env, ['containerapp', 'env', 'show', '-n', 'membrane-env', '-g', RG]);
  for (const service of WAVE) {
    const doc = { location: 'eastus', properties: { managedEnvironmentId: environment.id, template: {
      containers: [{ name: service, image: 'harbor.integration.app/core/api:2025-09-19', resources: { cpu: 1, memory: '2Gi' } }],
      scale: { minReplicas: 2, maxReplicas: 2 } } } };
    const file = join(work, `${service}.json`);
    await writeFile(file, JSON.stringify(doc));
    await az(fake.env, ['containerapp', 'create', '-n', `membrane-${service}`, '-g', RG, '--yaml', file]);
  }
  return { fake, work };
}

/** The adapter, counting the engine's polls (each call of observe, or of a wait's own poller). */
function countingPolls(adapter: CloudAdapter): { adapter: CloudAdapter; polls: () => number } {
  let polls = 0;
  const counted = <F extends (...args: any[]) => Promise<unknown>>(poll: F) => ((...args: Parameters<F>) => (polls++, poll(...args))) as F;
  const watch = adapter.watch;
  return {
    adapter: { ...adapter, observe: counted(adapter.observe), ...(watch && { watch: (services: ServiceId[]) => counted(watch(services)) }) },
    polls: () => polls,
  };
}

/** Waits for the workers' wave with the engine; the fake's calls and the engine's polls during the wait. */
async function waitForWave(fake: FakeAz, work: string) {
  const settings = azureSettings((raw) => void (raw.azure.subscription = fake.subscription));
  const { adapter, polls } = countingPolls(azureAdapter(settings));
  const journal = new Journal(join(work, 'state'));
  journal.begin({ name: 'default', cloud: 'azure', command: 'install', answers: azureAnswersRaw() }, false);
  const events: DeployEvent[] = [];
  const step: RolloutStep = { kind: 'rollout', id: 'rollout:wave-2', title: 'Wait until the workers are healthy', services: WAVE };
  const before = fake.calls().length;
  const outcome = await runSteps({
    adapter,
    steps: [step],
    runner: createRunner({ redact: (text) => text, env: fake.env, backoffMs: 1 }),
    journal,
    secrets: CANARY,
    emit: (event) => events.push(event),
    skipDone: false,
    desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, settings.sizing[id].replicas])) as Record<ServiceId, number>,
    pollIntervalMs: 10,
    rolloutTimeoutMs: 60_000,
    stop: new AbortController().signal,
  }).then(() => undefined, (error: unknown) => error);
  const calls = fake.calls().slice(before).map((call) => call.argv.slice(0, 3).join(' '));
  return { outcome, calls, polls: polls(), journal };
}

describe('the Container Apps rollout wait', () => {
  it('makes one az call per poll while several apps are provisioned but their revisions are not ready', async () => {
    const { fake, work } = await waveJustCreated(4);
    const { outcome, calls, polls, journal } = await waitForWave(fake, work);
    expect(outcome).toBeUndefined();
    for (const service of WAVE) expect(journal.state!.services[service]?.phase, service).toBe('healthy');
    console.info(`Container Apps wait for 3 activating apps: ${polls} polls, ${calls.length} az calls (${calls.filter((c) => c.includes('revision')).length} revision show)`);
    expect(calls.length, calls.join('\n')).toBe(polls);
    // The revisions were still asked why they were not ready: the oldest unexplained first, each of the wave's apps.
    expect(calls.filter((call) => call === 'containerapp revision show').length).toBeGreaterThanOrEqual(WAVE.length);
  });

  it('still reports a failing revision failed with its runningStateDetails, within two polls per waiting app', async () => {
    const { fake, work } = await waveJustCreated(20, { 'queued-worker': CRASH });
    const { outcome, calls, polls, journal } = await waitForWave(fake, work);
    expect(String(outcome)).toContain(`queued-worker failed: ${CRASH}`);
    expect(journal.state!.services['queued-worker']).toMatchObject({ phase: 'failed', message: CRASH });
    expect(calls.length, calls.join('\n')).toBe(polls);
    expect(polls).toBeLessThanOrEqual(2 * WAVE.length);
  });
});
