// Plain lines for non-TTY output and CI logs: no colour, no cursor movement, no timestamps,
// so logs stay readable and tests can compare them exactly. It folds events through the same
// reducer as the Ink table, which is what lets it print a service only when it changed.

import { OUTCOME_HEADLINE, type DeployEvent, type EventListener, type ServiceProgress } from '../engine/events.js';
import { currentStep, formatElapsed, initialProgress, reduce, singleLine, stripControl, summaryLine } from './progress-store.js';

export interface PlainReporterOptions {
  /** Services in deployment order; with it the final count line covers services never reported. */
  services?: string[];
  /**
   * After this long without a line, say what is still being waited for: a CI log that stays
   * silent for minutes looks hung (and some runners kill jobs without output). Off when omitted.
   */
  heartbeatMs?: number;
  now?: () => number;
}

export const HEARTBEAT_MS = 30_000;

/** A listener that may keep a heartbeat timer: `stop` ends it (the 'done' event does too). */
export type PlainReporter = EventListener & { stop(): void };

export function createPlainReporter(write: (line: string) => void, options: PlainReporterOptions = {}): PlainReporter {
  const now = options.now ?? Date.now;
  const started = now();
  let lastWrite = started;
  let view = initialProgress(options.services ?? []);
  // What was last printed per service; a poll that changes neither phase nor counts prints nothing.
  const printed = new Map<string, string>();
  // The last progress message printed per step: a step that waits in a loop says so once.
  const said = new Map<string, string>();

  const serviceLine = (row: ServiceProgress, withMessage = true): string | undefined => {
    const key = `${row.phase} ${row.running}/${row.desired}`;
    if (printed.get(row.service) === key) return undefined;
    printed.set(row.service, key);
    const message = withMessage ? singleLine(row.message ?? '') : '';
    return `[${row.service}] ${key}${message ? ` — ${message}` : ''}`;
  };

  const linesFor = (event: DeployEvent): string[] => {
    switch (event.type) {
      case 'step-started':
        return [`→ ${singleLine(event.title)}`];
      case 'step-progress': {
        if (said.get(event.stepId) === event.message) return [];
        said.set(event.stepId, event.message);
        return [`… ${singleLine(event.title)}: ${singleLine(event.message)}`];
      }
      case 'step-finished':
        return [`✔ ${singleLine(event.title)} (${event.outcome})`];
      case 'step-failed': {
        // Keep the error's own lines (often a CLI's stderr), indented under the step.
        const [first = '', ...rest] = stripControl(event.error).trimEnd().split('\n');
        const lines = [`✖ ${singleLine(event.title)}: ${first.trim()}`, ...rest.map((l) => `  ${l.trimEnd()}`)];
        const row = event.service ? view.services.find((r) => r.service === event.service) : undefined;
        // The error is already printed above; the row line only records the service's new state.
        const rowLine = row && serviceLine(row, false);
        return rowLine ? [...lines, rowLine] : lines;
      }
      case 'service': {
        const row = view.services.find((r) => r.service === event.progress.service);
        const line = row && serviceLine(row);
        return line ? [line] : [];
      }
      case 'note':
        return [`• ${singleLine(event.message)}`];
      case 'done':
        return [
          OUTCOME_HEADLINE[event.outcome],
          summaryLine(view),
          ...event.summary.flatMap((s) => stripControl(s).split('\n')).map((l) => l.trimEnd()),
        ];
    }
  };

  const say = (line: string) => {
    lastWrite = now();
    write(line);
  };

  const heartbeat = () => {
    if (now() - lastWrite < options.heartbeatMs!) return;
    const waiting = view.services.filter((row) => row.phase === 'creating' || row.phase === 'deploying').map((row) => `${row.service} (${row.running}/${row.desired} running)`);
    const what = waiting.length ? waiting.join(', ') : currentStep(view)?.title;
    if (what) say(`… ${formatElapsed(now() - started)} in, still waiting for ${singleLine(what)}`);
  };
  const timer = options.heartbeatMs ? setInterval(heartbeat, Math.min(options.heartbeatMs, 5_000)) : undefined;
  // The timer alone never keeps the process alive.
  timer?.unref();
  const stop = () => clearInterval(timer);

  const listener = (event: DeployEvent) => {
    view = reduce(view, event);
    for (const line of linesFor(event)) say(line);
    if (event.type === 'done') stop();
  };
  return Object.assign(listener, { stop });
}
