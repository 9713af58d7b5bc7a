// The durable record of one deployment (--name), kept with conf: the answers (never a
// secret), each step's state and outputs, and the last known state of every service.
// conf writes atomically, so a kill at any instant leaves a readable journal.
import { dirname, join } from 'node:path';
import Conf from 'conf';
import type { RawAnswers } from '../answers/load.js';
import type { ServiceProgress, StepOutcome } from './events.js';

export interface StepRecord {
  status: 'running' | 'done' | 'failed';
  outcome?: StepOutcome;
  outputs?: Record<string, string>;
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

export type DeploymentStatus = 'in-progress' | 'done' | 'failed' | 'interrupted';

export interface JournalState {
  version: 1;
  name: string;
  cloud: string;
  command: 'install' | 'upgrade';
  /** Validated answers without secrets: what resume and the wizard start from. */
  answers: RawAnswers;
  status: DeploymentStatus;
  steps: Record<string, StepRecord>;
  services: Record<string, ServiceProgress>;
  createdAt: string;
  updatedAt: string;
}

const PROJECT = 'create-membrane-deploy';

/** conf's per-user config directory, or --state-dir. */
export function stateRoot(stateDir?: string): string {
  return stateDir ?? dirname(new Conf({ projectName: PROJECT, projectSuffix: '' }).path);
}

export function deploymentDir(root: string, name: string): string {
  return join(root, name);
}

export class Journal {
  private readonly store: Conf<{ state?: JournalState }>;

  constructor(readonly dir: string) {
    this.store = new Conf({ projectName: PROJECT, cwd: dir, configName: 'journal', configFileMode: 0o600, accessPropertiesByDotNotation: false });
  }

  get path(): string {
    return this.store.path;
  }

  get auditLogPath(): string {
    return join(this.dir, 'audit.log');
  }

  get state(): JournalState | undefined {
    return this.store.get('state');
  }

  begin(init: Pick<JournalState, 'name' | 'cloud' | 'command' | 'answers'>, keepSteps: boolean): void {
    const now = new Date().toISOString();
    const previous = this.state;
    this.write({
      version: 1,
      ...init,
      status: 'in-progress',
      steps: keepSteps ? (previous?.steps ?? {}) : {},
      services: previous?.services ?? {},
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    });
  }

  /** Outputs of every finished step, for the steps after them. */
  outputs(): Record<string, string> {
    return Object.assign({}, ...Object.values(this.state?.steps ?? {}).map((step) => (step.status === 'done' ? (step.outputs ?? {}) : {})));
  }

  isDone(stepId: string): boolean {
    return this.state?.steps[stepId]?.status === 'done';
  }

  stepStarted(stepId: string): void {
    this.update((state) => {
      state.steps[stepId] = { status: 'running', startedAt: new Date().toISOString() };
    });
  }

  stepFinished(stepId: string, outcome: StepOutcome, outputs?: Record<string, string>): void {
    this.update((state) => {
      state.steps[stepId] = { ...state.steps[stepId]!, status: 'done', outcome, outputs, finishedAt: new Date().toISOString() };
    });
  }

  stepFailed(stepId: string, error: string): void {
    this.update((state) => {
      state.steps[stepId] = { ...state.steps[stepId]!, status: 'failed', error, finishedAt: new Date().toISOString() };
    });
  }

  service(progress: ServiceProgress): void {
    this.update((state) => {
      state.services[progress.service] = progress;
    });
  }

  finish(status: DeploymentStatus): void {
    this.update((state) => {
      state.status = status;
    });
  }

  private update(change: (state: JournalState) => void): void {
    const state = this.state;
    if (!state) throw new Error('journal used before begin()');
    change(state);
    state.updatedAt = new Date().toISOString();
    this.write(state);
  }

  private write(state: JournalState): void {
    this.store.set('state', state);
  }
}
