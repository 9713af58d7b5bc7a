// The durable record of one deployment (--name): the answers (never a secret), each step's
// state and outputs, and the last known state of every service. Every change is written to a
// temporary file, synced and renamed over journal.json, after the copy before it is saved as
// journal.json.bak: a kill or a full disk at any instant leaves a readable journal.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Conf from 'conf';
import type { RawAnswers } from '../answers/load.js';
import { StateError, UsageError } from '../errors.js';
import type { ServiceProgress, StepOutcome } from './events.js';

export interface StepRecord {
  status: 'running' | 'done' | 'failed';
  outcome?: StepOutcome;
  outputs?: Record<string, string>;
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

export type DeploymentStatus = 'in-progress' | 'done' | 'failed' | 'interrupted' | 'uninstalled';

export interface JournalState {
  version: 1;
  name: string;
  cloud: string;
  command: 'install' | 'upgrade' | 'rollback';
  /** Validated answers without secrets: what resume and the wizard start from. */
  answers: RawAnswers;
  status: DeploymentStatus;
  steps: Record<string, StepRecord>;
  services: Record<string, ServiceProgress>;
  /** Each run that completed, oldest first: what rollback goes back to. */
  releases?: Release[];
  createdAt: string;
  updatedAt: string;
}

/** One completed install, upgrade or rollback: the answers it deployed (never a secret), and when. */
export interface Release {
  imageTag: string;
  answers: RawAnswers;
  command: JournalState['command'];
  finishedAt: string;
}

/** When a release finished, as the review and the prompts say it: "2026-12-03 14:05 UTC". */
export const releaseTime = (release: Pick<Release, 'finishedAt'>): string => `${release.finishedAt.slice(0, 16).replace('T', ' ')} UTC`;

/** Enough history for years of upgrades without the journal growing without bound. */
const RELEASES_KEPT = 20;

const PROJECT = 'create-membrane-deploy';

/** conf's per-user config directory, or --state-dir. */
export function stateRoot(stateDir?: string): string {
  return stateDir ?? dirname(new Conf({ projectName: PROJECT, projectSuffix: '' }).path);
}

export function deploymentDir(root: string, name: string): string {
  return join(root, name);
}

export class Journal {
  readonly path: string;
  /** The copy before the last change: what a damaged journal.json is recovered from. */
  readonly previousPath: string;
  /** journal.json as last read or written, when it was whole: saved as the previous copy by the next write. */
  private good: string | undefined;
  private recoveryShown = false;

  constructor(readonly dir: string) {
    this.path = join(dir, 'journal.json');
    this.previousPath = `${this.path}.bak`;
  }

  get auditLogPath(): string {
    return join(this.dir, 'audit.log');
  }

  /** Read afresh each time, as another process may have written it since. */
  get state(): JournalState | undefined {
    const text = readIfPresent(this.path);
    if (text === undefined) return undefined;
    const current = parse(text);
    if (current) {
      this.good = text;
      return current.state;
    }
    this.good = undefined;
    const previous = parse(readIfPresent(this.previousPath) ?? '');
    if (!previous) {
      throw new UsageError(
        `The journal ${this.path} is damaged (not valid JSON) and has no readable previous copy (${this.previousPath}). ` +
          'Move it away and run install again with the same answers: each step looks before it creates, so what exists is adopted.',
      );
    }
    if (!this.recoveryShown) {
      this.recoveryShown = true;
      process.stderr.write(`The journal ${this.path} is damaged (not valid JSON); using its previous copy ${this.previousPath}. The last recorded change is redone.\n`);
    }
    return previous.state;
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
      ...(previous?.releases ? { releases: previous.releases } : {}),
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

  /** A run that completed is a release; one that deployed the same answers again only moves its date. */
  finish(status: DeploymentStatus): void {
    this.update((state) => {
      state.status = status;
      if (status !== 'done') return;
      const finishedAt = new Date().toISOString();
      const releases = state.releases ?? [];
      const last = releases.at(-1);
      // The same answers again (a re-run, the rollback of a failed upgrade) are the same release.
      if (last && JSON.stringify(last.answers) === JSON.stringify(state.answers)) state.releases = [...releases.slice(0, -1), { ...last, finishedAt }];
      else state.releases = [...releases, { imageTag: String(state.answers.imageTag), answers: state.answers, command: state.command, finishedAt }].slice(-RELEASES_KEPT);
    });
  }

  /**
   * What rollback deploys: the last completed release whose answers differ from the journal's. After
   * a completed run that is the one before it; after a failed upgrade, the release that ran before it.
   */
  rollbackTarget(): Release | undefined {
    const state = this.state;
    const current = JSON.stringify(state?.answers);
    return [...(state?.releases ?? [])].reverse().find((release) => JSON.stringify(release.answers) !== current);
  }

  /**
   * After uninstall removed everything: status says so, and no step counts as done any more, so a
   * later install starts afresh. The answers stay, for the record and for running uninstall again.
   */
  uninstalled(): void {
    this.update((state) => {
      state.status = 'uninstalled';
      state.steps = {};
      state.services = {};
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
    const text = JSON.stringify({ state }, undefined, '\t');
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (this.good !== undefined) writeAtomically(this.previousPath, this.good);
      writeAtomically(this.path, text);
    } catch (error) {
      throw stateWriteError(this.dir, error);
    }
    this.good = text;
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read the journal ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Check --state-dir and the file's permissions.`);
  }
}

/** The journal file's content, or undefined when it is not whole (cut off by a full disk, say). */
function parse(text: string): { state?: JournalState } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces `path` whole or not at all: a failed write leaves the old file and no temporary one. */
function writeAtomically(path: string, data: string): void {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function stateWriteError(dir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code) return error;
  const why = WRITE_FAILURES[code] ?? code;
  return new StateError(
    `Cannot save the journal: ${why} in the state directory ${dir} (${code}). Its last saved state is kept: ` +
      'free some space or fix the directory, then continue with resume.',
  );
}
