// The one vocabulary the engine speaks and every view (Ink table, plain lines) renders.
import type { ServicePhase, StepOutcome } from '../clouds/types.js';

export type { ServicePhase, StepOutcome };

/** The coarser state `status --json` reports (design.md section 2). */
export type ServiceState = 'pending' | 'deploying' | 'healthy' | 'failed';

export function toServiceState(phase: ServicePhase): ServiceState {
  return phase === 'creating' ? 'deploying' : phase;
}

export interface ServiceProgress {
  service: string;
  phase: ServicePhase;
  running: number;
  desired: number;
  /** The cloud's latest word on this service (an ECS event, a revision message). */
  message?: string;
  /** Epoch ms when the service left `pending`; the view derives elapsed time from it. */
  startedAt?: number;
  /** Epoch ms when it reached healthy or failed. */
  finishedAt?: number;
}

export type DeployEvent =
  | { type: 'step-started'; stepId: string; title: string; service?: string }
  | { type: 'step-finished'; stepId: string; title: string; service?: string; outcome: StepOutcome }
  | { type: 'step-failed'; stepId: string; title: string; service?: string; error: string }
  /** A running step's word on what it is doing or waiting for (StepContext.progress). */
  | { type: 'step-progress'; stepId: string; title: string; service?: string; message: string }
  | { type: 'service'; progress: ServiceProgress }
  | { type: 'note'; message: string }
  | { type: 'done'; outcome: DeployOutcome; summary: string[] };

export type EventListener = (event: DeployEvent) => void;

export type DeployOutcome = 'complete' | 'failed' | 'interrupted';

/** The last line every view prints. */
export const OUTCOME_HEADLINE: Record<DeployOutcome, string> = {
  complete: '✔ Deployment complete',
  failed: '✖ Deployment failed',
  interrupted: '■ Deployment interrupted',
};
