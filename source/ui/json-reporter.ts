// --json for install, resume and upgrade: one JSON object a line on stdout, the same events the
// live table and the plain lines render, each stamped with its time, so a CI job follows the run
// without parsing prose. JSON.stringify escapes control characters, so a line is always one line.
import type { DeployEvent } from '../engine/events.js';
import type { PreflightEvent } from '../engine/preflight.js';

/** The run ended before the engine's `done` could say so: a usage error, a failed check, a Ctrl-C. */
export interface ErrorEvent {
  type: 'error';
  exitCode: number;
  message: string;
  /** One line per problem, as the human output lists them. */
  problems: string[];
}

export type JsonEvent = DeployEvent | PreflightEvent | ErrorEvent;

/** `type` first for people skimming a log, then `time` (ISO 8601), then the event's own fields. */
export function jsonLine(event: JsonEvent, time = new Date()): string {
  const { type, ...fields } = event;
  return JSON.stringify({ type, time: time.toISOString(), ...fields });
}

export function createJsonReporter(write: (line: string) => void, clock: () => Date = () => new Date()): (event: JsonEvent) => void {
  return (event) => write(jsonLine(event, clock()));
}
