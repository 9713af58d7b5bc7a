import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeployEvent } from '../../source/engine/events.js';
import { createPlainReporter } from '../../source/ui/plain-reporter.js';

function run(events: DeployEvent[], services?: string[]): string[] {
  const out: string[] = [];
  const report = createPlainReporter((line) => out.push(line), services ? { services } : {});
  events.forEach(report);
  return out;
}

const poll = (running: number, phase: 'creating' | 'deploying' | 'healthy' | 'failed' = 'deploying', message?: string): DeployEvent => ({
  type: 'service',
  progress: { service: 'api', phase, running, desired: 2, ...(message ? { message } : {}) },
});

describe('createPlainReporter', () => {
  it('prints started and finished steps with their outcome', () => {
    expect(
      run([
        { type: 'step-started', stepId: 's', title: 'Create secret membrane/default/secret' },
        { type: 'step-finished', stepId: 's', title: 'Create secret membrane/default/secret', outcome: 'created' },
        { type: 'step-finished', stepId: 't', title: 'Register task definition api', outcome: 'unchanged' },
      ]),
    ).toEqual([
      '→ Create secret membrane/default/secret',
      '✔ Create secret membrane/default/secret (created)',
      '✔ Register task definition api (unchanged)',
    ]);
  });

  it('prints what a running step waits for, once per message', () => {
    const waiting = { type: 'step-progress', stepId: 'app:api', title: 'Container App membrane-api', service: 'api', message: 'waiting for Key Vault access to propagate' } as const;
    expect(run([waiting, waiting, { ...waiting, message: 'still waiting' }])).toEqual([
      '… Container App membrane-api: waiting for Key Vault access to propagate',
      '… Container App membrane-api: still waiting',
    ]);
  });

  it('prints a service line only when its phase or task counts change', () => {
    const lines = run([
      poll(0, 'creating'),
      poll(0, 'creating'), // identical poll
      poll(1, 'deploying', '(service api) has started 1 tasks'),
      poll(1, 'deploying', '(service api) has started 1 tasks'), // identical poll
      poll(1, 'deploying', '(service api) registered 1 targets'), // only the message moved
      poll(2, 'deploying'),
      poll(2, 'healthy'),
      poll(2, 'healthy'),
    ]);
    expect(lines).toEqual([
      '[api] creating 0/2',
      '[api] deploying 1/2 — (service api) has started 1 tasks',
      '[api] deploying 2/2 — (service api) registered 1 targets',
      '[api] healthy 2/2 — (service api) registered 1 targets',
    ]);
  });

  it('dedupes per service, not across services', () => {
    const lines = run([
      { type: 'service', progress: { service: 'ui', phase: 'deploying', running: 0, desired: 1 } },
      { type: 'service', progress: { service: 'console', phase: 'deploying', running: 0, desired: 1 } },
      { type: 'service', progress: { service: 'ui', phase: 'deploying', running: 0, desired: 1 } },
    ]);
    expect(lines).toEqual(['[ui] deploying 0/1', '[console] deploying 0/1']);
  });

  it('prints a failed step with its error lines indented, and the service it failed', () => {
    const lines = run([
      poll(0, 'creating'),
      {
        type: 'step-failed',
        stepId: 'svc-api',
        title: 'Create service api',
        service: 'api',
        error: 'An error occurred (AccessDeniedException)\nUser is not authorized\n',
      },
    ]);
    expect(lines).toEqual([
      '[api] creating 0/2',
      '✖ Create service api: An error occurred (AccessDeniedException)',
      '  User is not authorized',
      '[api] failed 0/2',
    ]);
  });

  it('prints notes and a final summary with counts over all services', () => {
    const lines = run(
      [
        { type: 'note', message: 'Using registry harbor.integration.app' },
        { type: 'service', progress: { service: 'api', phase: 'healthy', running: 2, desired: 2 } },
        { type: 'service', progress: { service: 'ui', phase: 'failed', running: 0, desired: 2 } },
        { type: 'done', outcome: 'failed', summary: ['1 step failed', 'Run `create-membrane-deploy resume` to continue'] },
      ],
      ['api', 'ui', 'console'],
    );
    expect(lines).toEqual([
      '• Using registry harbor.integration.app',
      '[api] healthy 2/2',
      '[ui] failed 0/2',
      '✖ Deployment failed',
      '1/3 healthy · 0 deploying · 1 failed',
      '1 step failed',
      'Run `create-membrane-deploy resume` to continue',
    ]);
  });

  it('never writes ANSI escapes or cursor movement, even when the cloud sends them', () => {
    const esc = '\u001b';
    const lines = run([
      { type: 'step-started', stepId: 's', title: `${esc}[1mDeploy${esc}[22m api` },
      { type: 'service', progress: { service: 'api', phase: 'deploying', running: 1, desired: 2, message: `${esc}[32mok${esc}[39m\r${esc}[2K` } },
      { type: 'step-failed', stepId: 's', title: 'Deploy api', error: `${esc}[31mERROR:${esc}[0m quota\n${esc}[1Adetail` },
      { type: 'note', message: `${esc}]8;;https://x${esc}\\link${esc}]8;;${esc}\\` },
      { type: 'done', outcome: 'complete', summary: [`${esc}[32mdone${esc}[0m`] },
    ]);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(lines).toContain('→ Deploy api');
    expect(lines).toContain('[api] deploying 1/2 — ok');
    expect(lines).toContain('✖ Deploy api: ERROR: quota');
    expect(lines).toContain('• link');
  });

  describe('heartbeat', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('after 30 s without a line says what is still waited for, then again only after another quiet 30 s; none after done', () => {
      vi.useFakeTimers();
      const out: string[] = [];
      const report = createPlainReporter((line) => out.push(line), { services: ['api', 'ui'], heartbeatMs: 30_000 });
      report({ type: 'step-started', stepId: 'rollout:wave-3', title: 'Wait until api is healthy' });
      report(poll(1));
      vi.advanceTimersByTime(25_000);
      expect(out).toHaveLength(2);
      vi.advanceTimersByTime(10_000);
      expect(out.at(-1)).toBe('… 0:30 in, still waiting for api (1/2 running)');
      vi.advanceTimersByTime(20_000);
      expect(out).toHaveLength(3);
      report(poll(2, 'healthy'));
      report({ type: 'done', outcome: 'complete', summary: [] });
      const settled = out.length;
      vi.advanceTimersByTime(120_000);
      expect(out).toHaveLength(settled);
    });

    it('names the running step when no service is moving, and stops when told', () => {
      vi.useFakeTimers();
      const out: string[] = [];
      const report = createPlainReporter((line) => out.push(line), { services: ['api'], heartbeatMs: 30_000 });
      report({ type: 'step-started', stepId: 'dns', title: 'Wait for the certificate' });
      vi.advanceTimersByTime(30_000);
      expect(out.at(-1)).toBe('… 0:30 in, still waiting for Wait for the certificate');
      report.stop();
      vi.advanceTimersByTime(60_000);
      expect(out).toHaveLength(2);
    });
  });
});
