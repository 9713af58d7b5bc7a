// How an install, resume or upgrade shows itself, chosen once per run: Ink on a terminal, plain
// lines for pipes and CI, one JSON event a line with --json. The deploy flow hands its event
// buses to the presenter and never asks again, so its preflight and its rollout cannot disagree.
// Ink stays behind a dynamic import: only a terminal run pays for loading it.
import type { PreflightCheck } from '../clouds/types.js';
import type { EventBus } from '../engine/event-bus.js';
import type { DeployEvent } from '../engine/events.js';
import type { PreflightEvent } from '../engine/preflight.js';
import { createJsonReporter } from './json-reporter.js';
import { createPlainReporter, HEARTBEAT_MS } from './plain-reporter.js';
import { preflightLines, preflightSummary } from './preflight-text.js';
import { isInteractive, line } from './terminal.js';

export interface Shown {
  close(): Promise<void>;
}

export interface PreflightShown {
  /** After the last check, with their results: plain lines print them, --json its verdict. */
  close(checks: PreflightCheck[]): Promise<void>;
}

export interface Presenter {
  /** A person at a terminal: prompts may ask, and Ink draws. */
  readonly interactive: boolean;
  /** Words for a person (the review, headlines). Under --json stdout is the events' alone. */
  say(text?: string): void;
  preflight(bus: EventBus<PreflightEvent>, titles: string[]): Promise<PreflightShown>;
  deployment(bus: EventBus<DeployEvent>, services: string[]): Promise<Shown>;
  /** The run's last word when there was nothing to do (a finished deployment resumed). */
  nothingToDo(message: string): void;
  /** A Ctrl-C outside the engine's own handling; the process exits 130 right after. */
  interrupted(message: string): void;
}

export function presenterFor(options: { json: boolean }): Presenter {
  if (options.json) return jsonPresenter();
  return isInteractive() ? inkPresenter() : plainPresenter();
}

const warn = (text: string) => process.stderr.write(`\n${text}\n`);

function follow<E>(bus: EventBus<E>, listener: (event: E) => void): Shown {
  const unsubscribe = bus.subscribe(listener);
  return { close: async () => void unsubscribe() };
}

function inkPresenter(): Presenter {
  return {
    interactive: true,
    say: line,
    async preflight(bus, titles) {
      const view = (await import('./mount.js')).mountPreflight(bus, titles);
      // The checklist draws the results and its summary itself.
      return { close: () => view.close() };
    },
    async deployment(bus, services) {
      return (await import('./mount.js')).mountLiveDeployment(bus, services);
    },
    nothingToDo: line,
    interrupted: warn,
  };
}

export function plainPresenter(write: (line: string) => void = line): Presenter {
  return {
    interactive: false,
    say: (text = '') => write(text),
    async preflight() {
      return {
        async close(checks) {
          for (const text of preflightLines(checks)) write(text);
          write(preflightSummary(checks));
        },
      };
    },
    async deployment(bus, services) {
      const reporter = createPlainReporter(write, { services, heartbeatMs: HEARTBEAT_MS });
      const shown = follow(bus, reporter);
      return {
        async close() {
          reporter.stop();
          await shown.close();
        },
      };
    },
    nothingToDo: write,
    interrupted: warn,
  };
}

export function jsonPresenter(write: (line: string) => void = line, clock?: () => Date): Presenter {
  const report = createJsonReporter(write, clock);
  return {
    interactive: false,
    // The review and the headlines are prose; the events already carry what a program needs.
    say() {},
    async preflight(bus) {
      const shown = follow(bus, report);
      return {
        async close(checks) {
          await shown.close();
          const failed = checks.filter((check) => !check.ok);
          // A failed check is invalid input: exit 2, nothing changed (design.md section 2).
          if (failed.length) report({ type: 'error', exitCode: 2, message: preflightSummary(checks), problems: failed.map((check) => `${check.title}: ${check.detail}`) });
        },
      };
    },
    async deployment(bus) {
      return follow(bus, report);
    },
    nothingToDo(message) {
      report({ type: 'done', outcome: 'complete', summary: [message] });
    },
    interrupted(message) {
      warn(message);
      report({ type: 'error', exitCode: 130, message, problems: [] });
    },
  };
}
