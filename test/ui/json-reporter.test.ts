import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PreflightCheck } from '../../source/clouds/types.js';
import { createEventBus } from '../../source/engine/event-bus.js';
import type { DeployEvent } from '../../source/engine/events.js';
import type { PreflightEvent } from '../../source/engine/preflight.js';
import { createJsonReporter, type JsonEvent } from '../../source/ui/json-reporter.js';
import { jsonPresenter, plainPresenter, presenterFor } from '../../source/ui/presenter.js';

const AT = new Date('2026-12-02T08:00:00.000Z');

function run(events: JsonEvent[]): string[] {
  const out: string[] = [];
  const report = createJsonReporter((line) => out.push(line), () => AT);
  events.forEach(report);
  return out;
}

/** One of every DeployEvent kind, with the awkward characters a CLI's stderr brings along. */
const EVERY_KIND: DeployEvent[] = [
  { type: 'step-started', stepId: 'svc-api', title: 'Create service api', service: 'api' },
  { type: 'step-progress', stepId: 'svc-api', title: 'Create service api', service: 'api', message: 'waiting for "Key Vault" access' },
  { type: 'step-finished', stepId: 'svc-api', title: 'Create service api', service: 'api', outcome: 'created' },
  { type: 'step-failed', stepId: 'svc-ui', title: 'Create service ui', service: 'ui', error: 'An error occurred (AccessDenied)\n\u001b[31mUser is not authorized\u001b[0m\n' },
  { type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2, message: 'has started 1 tasks', startedAt: 1 } },
  { type: 'note', message: 'Stopping after the running command…' },
  { type: 'done', outcome: 'failed', summary: ['Create service ui failed', 'Fix the cause, then continue with: create-membrane-deploy resume --name default --yes'] },
];

describe('createJsonReporter', () => {
  it('writes every DeployEvent kind as exactly one line of JSON: the event itself, its type first, stamped with the time', () => {
    const lines = run(EVERY_KIND);
    expect(lines).toHaveLength(EVERY_KIND.length);
    expect(new Set(EVERY_KIND.map((event) => event.type)).size).toBe(7);
    lines.forEach((line, index) => {
      expect(line).not.toContain('\n');
      const parsed = JSON.parse(line);
      expect(Object.keys(parsed).slice(0, 2)).toEqual(['type', 'time']);
      expect(parsed).toEqual({ ...EVERY_KIND[index], time: AT.toISOString() });
    });
  });

  it('carries no human decoration: no headline, no tick marks, only what the event holds', () => {
    const text = run(EVERY_KIND).join('\n');
    for (const decoration of ['✔', '✖', '→', '■', 'Deployment complete', 'of 7 healthy']) expect(text).not.toContain(decoration);
  });

  it('writes the preflight events and an error the same way', () => {
    const check: PreflightCheck = { title: 'aws CLI installed', ok: false, detail: 'not on PATH', fix: 'install it' };
    const lines = run([
      { type: 'check-started', index: 0, title: 'aws CLI installed' },
      { type: 'check-finished', index: 0, check },
      { type: 'error', exitCode: 2, message: 'Cannot start', problems: ['domain: missing'] },
    ]).map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { type: 'check-started', time: AT.toISOString(), index: 0, title: 'aws CLI installed' },
      { type: 'check-finished', time: AT.toISOString(), index: 0, check },
      { type: 'error', time: AT.toISOString(), exitCode: 2, message: 'Cannot start', problems: ['domain: missing'] },
    ]);
  });
});

describe('jsonPresenter', () => {
  afterEach(() => vi.restoreAllMocks());

  const recording = () => {
    const out: string[] = [];
    return { out, presenter: jsonPresenter((line) => out.push(line), () => AT) };
  };

  it('puts the review and headlines nowhere: stdout is the events\' alone', () => {
    const { out, presenter } = recording();
    presenter.say('Review: 23 steps');
    presenter.say();
    expect(out).toEqual([]);
    expect(presenter.interactive).toBe(false);
  });

  it('streams the preflight checks, then ends a failed preflight with an error line (exit 2) naming each failed check', async () => {
    const { out, presenter } = recording();
    const bus = createEventBus<PreflightEvent>();
    const view = await presenter.preflight(bus, ['a', 'b']);
    const checks: PreflightCheck[] = [
      { title: 'a', ok: true, detail: 'fine' },
      { title: 'b', ok: false, detail: 'no cluster named x', fix: 'create it' },
    ];
    checks.forEach((check, index) => bus.emit({ type: 'check-finished', index, check }));
    await view.close(checks);
    bus.emit({ type: 'check-started', index: 9, title: 'after close' });
    const events = out.map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(['check-finished', 'check-finished', 'error']);
    expect(events[2]).toMatchObject({ exitCode: 2, message: '1 of 2 checks failed. Nothing was changed in the cloud.', problems: ['b: no cluster named x'] });
  });

  it('adds nothing after a preflight that passed', async () => {
    const { out, presenter } = recording();
    const view = await presenter.preflight(createEventBus<PreflightEvent>(), []);
    await view.close([{ title: 'a', ok: true, detail: 'fine' }]);
    expect(out).toEqual([]);
  });

  it('streams the deployment\'s events, earlier ones included (the bus replays them)', async () => {
    const { out, presenter } = recording();
    const bus = createEventBus<DeployEvent>();
    bus.emit(EVERY_KIND[0]!);
    const view = await presenter.deployment(bus, ['api']);
    bus.emit(EVERY_KIND[6]!);
    await view.close();
    expect(out.map((line) => JSON.parse(line).type)).toEqual(['step-started', 'done']);
  });

  it('ends a run with nothing to do with a done line, and a Ctrl-C with an error line (exit 130)', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { out, presenter } = recording();
    presenter.nothingToDo('Deployment "default" is already complete.');
    presenter.interrupted('Cancelled. Nothing was changed.');
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { type: 'done', time: AT.toISOString(), outcome: 'complete', summary: ['Deployment "default" is already complete.'] },
      { type: 'error', time: AT.toISOString(), exitCode: 130, message: 'Cancelled. Nothing was changed.', problems: [] },
    ]);
  });

  it('is what --json gets even on a terminal, and it never prompts', () => {
    // A terminal with CI unset: without --json the run would prompt and draw Ink.
    vi.stubEnv('CI', '');
    const tty = [process.stdin, process.stdout].map((stream) => [stream, Object.getOwnPropertyDescriptor(stream, 'isTTY')] as const);
    for (const [stream] of tty) Object.defineProperty(stream, 'isTTY', { value: true, configurable: true });
    try {
      expect(presenterFor({ json: false }).interactive).toBe(true);
      const presenter = presenterFor({ json: true });
      expect(presenter.interactive).toBe(false);
      const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      presenter.say('review');
      expect(write).not.toHaveBeenCalled();
    } finally {
      for (const [stream, descriptor] of tty) {
        if (descriptor) Object.defineProperty(stream, 'isTTY', descriptor);
        else delete (stream as { isTTY?: boolean }).isTTY;
      }
      vi.unstubAllEnvs();
    }
  });
});

describe('plainPresenter (beside it, for pipes and CI without --json)', () => {
  it('prints words, the checks with their fixes and the summary after the last check, and the events as plain lines', async () => {
    const out: string[] = [];
    const presenter = plainPresenter((line) => out.push(line));
    presenter.say('Checking AWS prerequisites…');
    const view = await presenter.preflight(createEventBus<PreflightEvent>(), ['b']);
    await view.close([{ title: 'b', ok: false, detail: 'no cluster named x', fix: 'aws ecs create-cluster' }]);
    const bus = createEventBus<DeployEvent>();
    await presenter.deployment(bus, ['api']);
    bus.emit(EVERY_KIND[0]!);
    expect(out).toEqual([
      'Checking AWS prerequisites…',
      '✖ b — no cluster named x',
      '    fix: aws ecs create-cluster',
      '1 of 1 check failed. Nothing was changed in the cloud.',
      '→ Create service api',
    ]);
  });
});
