import { describe, expect, it } from 'vitest';
import { awsPreflight } from '../../source/clouds/aws/preflight.js';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { demoAdapter, type DemoOptions } from '../../source/clouds/demo/index.js';
import type { CloudAdapter, ServiceObservation, StepContext } from '../../source/clouds/types.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { deriveSettings } from '../../source/answers/settings.js';
import { CANARY, awsAnswers, awsSettings } from './fixtures.js';

/** The demo must never spawn anything: any call is a test failure. */
const calls: unknown[] = [];
const throwingRunner: Runner = {
  run(command) {
    calls.push(command);
    throw new Error('the demo must not call the runner');
  },
  backoff: () => Promise.resolve(),
};

const context: StepContext = {
  runner: throwingRunner,
  outputs: { get: (key) => { throw new Error(`the demo must not read outputs (${key})`); } },
  secrets: CANARY,
  progress: () => undefined,
  stop: new AbortController().signal,
};

/** A clock the test moves by hand. */
function manualClock() {
  let time = 1_000_000;
  return { now: () => time, advance: (ms: number) => { time += ms; } };
}

async function applyAll(adapter: CloudAdapter): Promise<string[]> {
  const outcomes: string[] = [];
  for (const step of adapter.plan()) outcomes.push((await step.apply(context)).outcome);
  return outcomes;
}

const byService = (observations: ServiceObservation[]) =>
  Object.fromEntries(observations.map((o) => [o.service, o])) as Record<ServiceId, ServiceObservation>;

/** Advances the manual clock in small ticks; returns when each service first reached a final phase. */
async function settleTimes(adapter: CloudAdapter, clock: ReturnType<typeof manualClock>, tickMs: number, limitMs: number) {
  const started = clock.now();
  const settled: Partial<Record<ServiceId, { phase: string; at: number; observation: ServiceObservation }>> = {};
  while (clock.now() - started <= limitMs && Object.keys(settled).length < SERVICE_IDS.length) {
    for (const o of await adapter.observe(throwingRunner)) {
      if (!settled[o.service] && (o.phase === 'healthy' || o.phase === 'failed')) settled[o.service] = { phase: o.phase, at: clock.now() - started, observation: o };
    }
    clock.advance(tickMs);
  }
  return settled;
}

const fast = (extra: DemoOptions = {}): DemoOptions => ({ speed: 0.01, ...extra });

describe('demo adapter: plan', () => {
  const settings = awsSettings();
  const steps = demoAdapter(settings, fast()).plan();

  it('has the 23 action steps of the AWS install, in the guide order, with the same ids', () => {
    expect(steps).toHaveLength(23);
    expect(steps.every((step) => step.kind === 'action')).toBe(true);
    expect(steps.map((step) => step.id)).toEqual(awsSteps(settings).map((step) => step.id));
    expect(steps.map((step) => step.title)).toEqual(awsSteps(settings).map((step) => step.title));
  });

  it('deploys the 7 services in catalogue order, after their 7 task definitions', () => {
    expect(steps.flatMap((step) => step.deploys ?? [])).toEqual([...SERVICE_IDS]);
    const definitions = steps.filter((step) => step.group === 'task-definitions');
    expect(definitions.map((step) => step.id)).toEqual(SERVICE_IDS.map((id) => `task-definition:${id}`));
    expect(steps.findIndex((step) => step.deploys)).toBeGreaterThan(steps.findIndex((step) => step.id === 'task-definition:console'));
  });

  it('previews illustrative aws commands without any secret', () => {
    for (const step of steps) {
      const commands = step.preview({ get: (key) => `<${key}>` }, CANARY);
      expect(commands.length).toBeGreaterThan(0);
      for (const command of commands) {
        expect(command.argv[0]).toBe('aws');
        const text = JSON.stringify(command.argv);
        for (const secret of Object.values(CANARY)) expect(text).not.toContain(secret);
      }
    }
    const api = steps.find((step) => step.id === 'service:api')!;
    expect(api.preview({ get: () => '' })[0]!.argv).toEqual(expect.arrayContaining(['ecs', 'create-service', '--service-name', 'membrane-api']));
  });
});

describe('demo adapter: apply and observe', () => {
  it('applies every step without the runner, and a second apply is unchanged', async () => {
    calls.length = 0;
    const adapter = demoAdapter(awsSettings(), fast());
    expect(await applyAll(adapter)).toEqual(Array(23).fill('created'));
    const again = await adapter.plan()[0]!.apply(context);
    expect(again.outcome).toBe('unchanged');
    expect(calls).toEqual([]);
  });

  it('returns simulated outputs like the real steps (secret and task definition ARNs)', async () => {
    const adapter = demoAdapter(awsSettings(), fast());
    const [secret] = adapter.plan();
    const result = await secret!.apply(context);
    expect(Object.values(result.outputs ?? {})[0]).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:membrane\/jwt-secret-/);
  });

  it('observes no phase before any step, with the desired count from the settings', async () => {
    const settings = awsSettings((raw) => { raw.services = { api: { replicas: 3 } }; });
    const observations = await demoAdapter(settings, fast()).observe(throwingRunner);
    expect(observations.map((o) => o.service)).toEqual([...SERVICE_IDS]);
    for (const o of observations) {
      expect(o.phase).toBeUndefined();
      expect(o.running).toBe(0);
      expect(o.desired).toBe(settings.sizing[o.service].replicas);
    }
    expect(byService(observations).api.desired).toBe(3);
  });

  it('rolls every service out to healthy after all steps (speed 0.01, real clock)', async () => {
    calls.length = 0;
    const adapter = demoAdapter(awsSettings(), fast());
    await applyAll(adapter);
    const seen = new Set<string>();
    let last: ServiceObservation[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      last = await adapter.observe(throwingRunner);
      for (const o of last) seen.add(`${o.service}:${o.phase}`);
      if (last.every((o) => o.phase === 'healthy')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(last.map((o) => o.phase)).toEqual(Array(7).fill('healthy'));
    for (const o of last) {
      expect(o.running).toBe(o.desired);
      expect(o.message).toBe(`(service membrane-${o.service}) has reached a steady state.`);
    }
    // The slowest service was seen on its way there.
    expect(seen.has('queued-worker:deploying')).toBe(true);
    expect(calls).toEqual([]);
  });

  it('rolls out like ECS: 0 -> desired running, a started event, target registration for public services', async () => {
    const clock = manualClock();
    const adapter = demoAdapter(awsSettings(), fast({ now: clock.now }));
    const api = adapter.plan().find((step) => step.id === 'service:api')!;
    await api.apply(context);
    const current = async () => byService(await adapter.observe(throwingRunner)).api;

    const first = await current();
    expect(first).toMatchObject({ phase: 'deploying', running: 0, desired: 2 });
    expect(first.message).toMatch(/^\(service membrane-api\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    clock.advance(60); // 60 of 140 ms: one task running
    expect(await current()).toMatchObject({ phase: 'deploying', running: 1 });
    clock.advance(60); // 120 of 140 ms: both running, registered with the load balancer
    const later = await current();
    expect(later.phase).toBe('deploying');
    expect(later.running).toBe(2);
    expect(later.message).toMatch(/^\(service membrane-api\) registered 2 targets in \(target-group arn:aws:elasticloadbalancing:.*membrane-api/);
    clock.advance(20);
    expect(await current()).toMatchObject({ phase: 'healthy', running: 2, desired: 2 });
    // Services whose step didn't run are still absent.
    expect(byService(await adapter.observe(throwingRunner)).ui.phase).toBeUndefined();
  });

  it('makes queued-worker deliberately slow: about 2.5 times the others', async () => {
    const clock = manualClock();
    const adapter = demoAdapter(awsSettings(), fast({ now: clock.now }));
    await applyAll(adapter);
    const settled = await settleTimes(adapter, clock, 5, 10_000);
    expect(Object.values(settled).map((s) => s!.phase)).toEqual(Array(7).fill('healthy'));
    const slow = settled['queued-worker']!.at;
    const others = SERVICE_IDS.filter((id) => id !== 'queued-worker').map((id) => settled[id]!.at);
    expect(slow).toBeGreaterThan(2 * Math.max(...others));
    // 8-15 s at speed 1 for the others.
    for (const at of others) {
      expect(at).toBeGreaterThanOrEqual(80);
      expect(at).toBeLessThanOrEqual(155);
    }
  });

  it('fails failService with a circuit-breaker reason while the others reach healthy', async () => {
    const clock = manualClock();
    const adapter = demoAdapter(awsSettings(), fast({ failService: 'api', now: clock.now }));
    await applyAll(adapter);
    const settled = await settleTimes(adapter, clock, 5, 10_000);
    const failed = SERVICE_IDS.filter((id) => settled[id]?.phase === 'failed');
    expect(failed).toEqual(['api']);
    expect(SERVICE_IDS.filter((id) => settled[id]?.phase === 'healthy')).toHaveLength(6);
    const api = settled.api!;
    expect(api.observation.message).toBe(
      "ECS deployment circuit breaker: tasks failed to start. CannotPullContainerError: pull access denied for harbor.integration.app/core/api, repository does not exist or may require 'docker login'",
    );
    expect(api.observation.running).toBe(0);
    // After a few seconds (x speed), before it would have been healthy.
    expect(api.at).toBeGreaterThanOrEqual(20);
    expect(api.at).toBeLessThan(140);
    // It stays failed.
    clock.advance(10_000);
    expect(byService(await adapter.observe(throwingRunner)).api.phase).toBe('failed');
  });

  it('keeps state per instance: a second adapter has deployed nothing', async () => {
    const settings = awsSettings();
    const first = demoAdapter(settings, fast());
    await applyAll(first);
    const second = demoAdapter(settings, fast());
    expect((await second.observe(throwingRunner)).every((o) => o.phase === undefined)).toBe(true);
    expect((await second.plan()[0]!.apply(context)).outcome).toBe('created');
  });
});

describe('demo adapter: preflight, input problems, notes', () => {
  it('runs the same checks as AWS, all passing, simulated, without the runner', async () => {
    calls.length = 0;
    const settings = awsSettings();
    const checks = demoAdapter(settings, fast()).preflight(throwingRunner);
    expect(checks.map((check) => check.title)).toEqual(awsPreflight(settings, throwingRunner).map((check) => check.title));
    const results = await Promise.all(checks.map((check) => check.run()));
    for (const result of results) {
      expect(result.ok).toBe(true);
      expect(result.detail).toMatch(/simulated/);
    }
    expect(results[1]!.detail).toContain('simulated account 123456789012');
    expect(calls).toEqual([]);
  });

  it('staggers the checks so they finish one by one', async () => {
    const order: number[] = [];
    const checks = demoAdapter(awsSettings(), { speed: 0.05 }).preflight(throwingRunner);
    await Promise.all(checks.map((check, index) => check.run().then(() => order.push(index))));
    expect(order).toEqual(checks.map((_, index) => index));
  });

  it('reports the Fargate size problems the real AWS adapter reports, and nothing else', () => {
    expect(demoAdapter(awsSettings(), fast()).inputProblems()).toEqual([]);
    const bad = demoAdapter(awsSettings((raw) => { raw.services = { ui: { cpu: 512, memory: 5000 } }; }), fast()).inputProblems();
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^services\.ui\.memory: 5000 MiB does not fit 512 CPU units on Fargate/);
  });

  it('says it is a simulation and what the real install would do', () => {
    const notes = demoAdapter(awsSettings(), fast()).notes();
    expect(notes[0]).toMatch(/simulat/);
    expect(notes[0]).toMatch(/Nothing is created anywhere/);
    expect(notes.join('\n')).toMatch(/real install/i);
    expect(notes.join('\n')).toContain('membrane-cluster');
  });

  it('works for answers without an aws block (a demo started for another cloud)', async () => {
    const settings = deriveSettings('default', awsAnswers((raw) => {
      raw.cloud = 'gcp';
      raw.gcp = { project: 'my-project', region: 'us-central1' };
      delete raw.aws;
    }));
    const adapter = demoAdapter(settings, fast());
    expect(adapter.plan()).toHaveLength(23);
    expect((await Promise.all(adapter.preflight(throwingRunner).map((check) => check.run()))).every((r) => r.ok)).toBe(true);
  });
});
