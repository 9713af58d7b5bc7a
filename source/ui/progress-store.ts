// The state both views (Ink table, plain lines) render, folded from the engine's events.
// Pure: no clock, no timers, no IO, so the Ink view and the CI reporter can share it and
// tests can replay event lists.

import type { DeployEvent, DeployOutcome, ServicePhase, ServiceProgress } from '../engine/events.js';

export interface RunningStep {
  stepId: string;
  title: string;
  service?: string;
  /** The step's latest progress message (what it waits for). */
  detail?: string;
}

export interface FailedStep extends RunningStep {
  error: string;
}

export interface DeploymentView {
  /** One row per service, in deployment order (unknown services are appended). */
  services: ServiceProgress[];
  /** Steps started and not yet finished, oldest first (a wave may run several at once). */
  running: RunningStep[];
  failed: FailedStep[];
  notes: string[];
  done?: { outcome: DeployOutcome; summary: string[] };
}

export function initialProgress(services: string[]): DeploymentView {
  return {
    services: services.map((service) => ({ service, phase: 'pending', running: 0, desired: 0 })),
    running: [],
    failed: [],
    notes: [],
  };
}

/** The step a person should see as "now": the most recently started one still running. */
export function currentStep(view: DeploymentView): RunningStep | undefined {
  return view.running[view.running.length - 1];
}

export interface Counts {
  total: number;
  healthy: number;
  /** `creating` counts as deploying, as in `status --json`. */
  deploying: number;
  failed: number;
  pending: number;
}

export function countPhases(view: DeploymentView): Counts {
  const counts: Counts = { total: view.services.length, healthy: 0, deploying: 0, failed: 0, pending: 0 };
  for (const row of view.services) {
    if (row.phase === 'creating' || row.phase === 'deploying') counts.deploying++;
    else counts[row.phase]++;
  }
  return counts;
}

/** `3/7 healthy · 1 deploying · 0 failed`, the same words in both views. */
export function summaryLine(view: DeploymentView): string {
  const c = countPhases(view);
  return `${c.healthy}/${c.total} healthy · ${c.deploying} deploying · ${c.failed} failed`;
}

/** m:ss; minutes keep counting past an hour (65:03) because deployments rarely get there. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Cloud messages can carry newlines, tabs or colour codes; a table cell needs one plain line. */
export function singleLine(text: string): string {
  return stripControl(text).replace(/\s+/g, ' ').trim();
}

/** Removes ANSI escape sequences and control characters other than newline. */
export function stripControl(text: string): string {
  return text
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '') // CSI: colours, cursor moves
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '') // OSC: titles, links
    .replace(/\u001b[@-_]?/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (ch) => (ch === '\t' ? ' ' : ''));
}

const TERMINAL: readonly ServicePhase[] = ['healthy', 'failed'];
export const isTerminal = (phase: ServicePhase): boolean => TERMINAL.includes(phase);

export function reduce(view: DeploymentView, event: DeployEvent): DeploymentView {
  switch (event.type) {
    case 'step-started': {
      const step: RunningStep = { stepId: event.stepId, title: event.title, ...(event.service ? { service: event.service } : {}) };
      // A retried step starts again with the same id: keep one entry.
      return { ...view, running: [...view.running.filter((s) => s.stepId !== event.stepId), step] };
    }
    case 'step-finished':
      return { ...view, running: view.running.filter((s) => s.stepId !== event.stepId) };
    case 'step-failed': {
      const failure: FailedStep = { stepId: event.stepId, title: event.title, error: event.error, ...(event.service ? { service: event.service } : {}) };
      let next: DeploymentView = {
        ...view,
        running: view.running.filter((s) => s.stepId !== event.stepId),
        failed: [...view.failed, failure],
      };
      // The engine may never poll a service whose create step failed; don't leave its row "creating".
      if (event.service) next = upsert(next, { service: event.service, phase: 'failed', message: event.error });
      return next;
    }
    case 'step-progress': {
      const next = { ...view, running: view.running.map((s) => (s.stepId === event.stepId ? { ...s, detail: event.message } : s)) };
      return event.service ? upsert(next, { service: event.service, message: event.message }) : next;
    }
    case 'service':
      return upsert(view, event.progress);
    case 'note':
      return { ...view, notes: [...view.notes, event.message] };
    case 'done':
      return { ...view, running: [], done: { outcome: event.outcome, summary: event.summary } };
  }
}

/** Merges a service update into its row; returns the same view when nothing changed (an identical poll). */
function upsert(view: DeploymentView, update: Partial<ServiceProgress> & { service: string }): DeploymentView {
  const index = view.services.findIndex((row) => row.service === update.service);
  const previous: ServiceProgress = index >= 0 ? view.services[index]! : { service: update.service, phase: 'pending', running: 0, desired: 0 };
  // Absent fields keep their old value: a poll without a message keeps the latest one shown.
  const defined = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
  const row: ServiceProgress = { ...previous, ...defined };
  if (index >= 0 && sameRow(previous, row)) return view;
  const services = index >= 0 ? view.services.map((r, i) => (i === index ? row : r)) : [...view.services, row];
  return { ...view, services };
}

function sameRow(a: ServiceProgress, b: ServiceProgress): boolean {
  return (
    a.phase === b.phase &&
    a.running === b.running &&
    a.desired === b.desired &&
    a.message === b.message &&
    a.startedAt === b.startedAt &&
    a.finishedAt === b.finishedAt
  );
}
