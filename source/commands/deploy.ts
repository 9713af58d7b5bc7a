// install, resume and upgrade: one flow with three starting points.
// answers (wizard on a TTY) -> preflight -> review -> confirm -> deploy -> summary
import { rmSync } from 'node:fs';
import type { CliOptions } from '../args.js';
import type { Settings } from '../answers/settings.js';
import { cloudName } from '../clouds/index.js';
import { endpointLines, recordedEndpoints, type Endpoints } from '../clouds/endpoints.js';
import type { RawAnswers } from '../answers/load.js';
import type { Secrets } from '../answers/schema.js';
import type { CloudAdapter, PreflightCheck, Step } from '../clouds/types.js';
import { CliError } from '../exec/errors.js';
import { runSteps } from '../engine/engine.js';
import { createEventBus, type EventBus } from '../engine/event-bus.js';
import type { DeployEvent } from '../engine/events.js';
import { releaseTime, type Journal, type JournalState, type Release } from '../engine/journal.js';
import { withRollouts } from '../engine/plan.js';
import { runPreflight, type PreflightEvent } from '../engine/preflight.js';
import type { Runner } from '../exec/runner.js';
import { InterruptedError, StepFailedError, UsageError } from '../errors.js';
import { exitCodeFor, takeOverInterrupts, type StopSignal } from '../interrupt.js';
import { lockDeployment } from '../engine/lock.js';
import { SERVICE_IDS, type ServiceId } from '../membrane/services.js';
import { symptomFor } from '../troubleshoot/hints.js';
import type { Presenter } from '../ui/presenter.js';
import { createAuditedRunner, nextCommands, openWorkspace, resolveDeployment, type CommandContext, type NextCommands, type Workspace } from './context.js';
import { gatherInputs, offerToResume, offerToRollBack, offerToSaveAnswers, type Inputs } from './inputs.js';
import { reviewLines, summaryLines, upgradeLine } from './review.js';
import { rotatedSecrets, rotatingSecrets, rotationReviewLines, rotationSummaryLines } from './rotation.js';

export type DeployMode = 'install' | 'resume' | 'upgrade' | 'rollback';

// About every 3 s while a rollout moves; slower while it does not (engine.ts nextPollDelay).
const POLL_INTERVAL_MS = Number(process.env.CREATE_MEMBRANE_DEPLOY_POLL_MS) || 3_000;

/** One run of the flow: what every stage reads. */
interface Run {
  options: CliOptions;
  context: CommandContext;
  mode: DeployMode;
  workspace: Workspace;
  again: NextCommands;
  /** Frees the deployment's lock (before exiting at once on a second Ctrl-C too). */
  release: () => void;
  /** With rollback: the release it goes back to. */
  target?: Release;
}

/** The context's presenter was chosen once by cli.ts: Ink, plain lines or JSON events, for the whole run. */
export async function deploy(options: CliOptions, requested: DeployMode, context: CommandContext): Promise<number> {
  const { presenter } = context;
  let mode = requested;
  let workspace = openWorkspace(options, context.env);
  // A new demo starts from a fresh simulated account; an unfinished one can be resumed.
  if (workspace.demo && mode === 'install' && workspace.journal.state?.status === 'done') {
    rmSync(workspace.journal.dir, { recursive: true, force: true });
    workspace = openWorkspace(options, context.env);
  }
  const { journal } = workspace;
  const saved = journal.state;
  const again = nextCommands(options, presenter.interactive);
  if (mode !== 'install' && (!saved || saved.status === 'uninstalled')) {
    const why = saved ? 'it was uninstalled' : `no deployment is recorded in ${journal.dir}`;
    throw new UsageError(`Nothing to ${mode} for --name ${options.name}: ${why}. Run install first.`);
  }
  if (mode === 'resume' && saved?.status === 'done') {
    // A run killed between its last journal write and its exit left its lock: taking it over frees it.
    lockDeployment(journal.dir, options.name)();
    presenter.nothingToDo(`Deployment "${options.name}" is already complete. Nothing to resume; run status to see it.`);
    return 0;
  }
  if (mode === 'upgrade' && !options.imageTag) throw new UsageError('upgrade needs --image-tag TAG: the version to roll out.');
  const target = mode === 'rollback' ? journal.rollbackTarget() : undefined;
  if (mode === 'rollback' && !target) {
    throw new UsageError(`Nothing to roll back to for --name ${options.name}: the journal records no earlier release with other answers (status lists the releases).`);
  }

  const release = lockDeployment(journal.dir, options.name);
  // Until the rollout starts only read-only lookups run: a Ctrl-C between two questions
  // (prompts handle their own) stops them and exits with nothing changed.
  const lookups = new AbortController();
  const releaseInterrupts = takeOverInterrupts({ first: cancel, second: cancel });
  function cancel(signal: StopSignal) {
    lookups.abort();
    release();
    forgetUnstartedDemo(workspace);
    presenter.interrupted('Cancelled. Nothing was changed.');
    context.exit(exitCodeFor(signal));
  }
  try {
    const prompting = presenter.interactive && !options.yes;
    if (mode === 'install' && saved && saved.status !== 'done' && prompting && (await offerToResume(saved))) mode = 'resume';
    return await deployLocked({ options, context, mode, workspace, again, release, target }, prompting, lookups.signal, releaseInterrupts);
  } finally {
    releaseInterrupts();
    release();
    forgetUnstartedDemo(workspace);
  }
}

/** A demo that never started its rollout leaves nothing behind (its lookups' audit lines and account). */
function forgetUnstartedDemo({ demo, journal }: Workspace): void {
  if (demo && !journal.state) rmSync(journal.dir, { recursive: true, force: true });
}

/**
 * Everything before the first change: inputs, preflight, review, confirmation. `lookups` is aborted
 * by a Ctrl-C here (only read-only calls run); `releaseInterrupts` hands Ctrl-C over to the rollout.
 */
async function deployLocked(run: Run, prompting: boolean, lookups: AbortSignal, releaseInterrupts: () => void): Promise<number> {
  const { options, context: { presenter }, mode, workspace } = run;
  const inputs = await gatherInputs(options, run.context.env, workspace, prompting, lookups, run.target?.answers);
  const { settings, adapter, answers, secrets, wizardAsked } = inputs;
  // Nobody to confirm on (a pipe, CI): only --yes lets it change the cloud, as terraform apply needs -auto-approve.
  // The demo changes nothing real, so it needs no --yes.
  if (!prompting && !options.yes && !workspace.demo) {
    const why = options.json ? 'With --json nothing is asked' : 'There is no terminal to confirm on';
    throw new UsageError(`${why}, so ${mode} changes nothing without --yes. Review what it would do with: create-membrane-deploy plan --out DIR; then run it again with --yes.`);
  }
  const runner = createAuditedRunner(workspace, secrets, lookups);

  const checks = await preflight(adapter, runner, settings, presenter);
  if (!checks.every((check) => check.ok)) return 2;

  const steps = withRollouts(adapter.plan(), { strictOrder: options.strictOrder });
  presenter.say();
  if (run.target) presenter.say(`Rolling back to the release of ${releaseTime(run.target)} (${run.target.command}, image tag ${run.target.imageTag}): its answers, deployed again.`);
  // On resume the review marks what is already done, and says where it picks up.
  const done = mode === 'resume' ? new Set(Object.entries(workspace.journal.state?.steps ?? {}).filter(([, step]) => step.status === 'done').map(([id]) => id)) : undefined;
  for (const text of reviewLines(settings, steps, adapter.notes(), { verbose: options.verbose, done, seen: checks.flatMap((check) => check.seen ?? []) })) presenter.say(text);
  // An upgrade says before it is confirmed which secrets it rotates and who restarts for them (reads only).
  if (mode === 'upgrade') {
    const running = workspace.journal.state?.answers;
    if (running) presenter.say(upgradeLine(running, answers));
    for (const text of await rotationReview(settings, steps, runner, workspace, secrets)) presenter.say(text);
  }
  if (prompting) {
    const { confirm } = await import('@inquirer/prompts');
    if (!(await confirm({ message: `Deploy these ${steps.length} steps now?`, default: true }))) {
      presenter.say('Nothing was changed.');
      return 0;
    }
    if (wizardAsked) await offerToSaveAnswers(answers);
  }

  releaseInterrupts();
  return rollOut(run, inputs, steps);
}

/** The review's rotation lines; a read the cloud refuses here is reported, and the run meets it again. */
async function rotationReview(settings: Settings, steps: Step[], runner: Runner, workspace: Workspace, secrets: Inputs['secrets']): Promise<string[]> {
  try {
    return rotationReviewLines(settings, await rotatingSecrets(steps, runner, workspace.journal.outputs(), secrets));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return [`Could not tell which secrets get a new value: ${error.message}`, ''];
  }
}

/** Read-only checks, shown as the presenter shows them. */
async function preflight(adapter: CloudAdapter, runner: Runner, settings: Settings, presenter: Presenter): Promise<PreflightCheck[]> {
  presenter.say(`Checking ${cloudName(settings.answers.cloud)} prerequisites…`);
  const definitions = adapter.preflight(runner);
  const bus = createEventBus<PreflightEvent>();
  const view = await presenter.preflight(bus, definitions.map((d) => d.title));
  const checks = await runPreflight(definitions, bus.emit);
  await view.close(checks);
  return checks;
}

/** What one pass of the engine deploys: answers made into steps, and how the journal records it. */
interface Pass {
  settings: Settings;
  adapter: CloudAdapter;
  answers: RawAnswers;
  secrets: Secrets;
  steps: Step[];
  command: JournalState['command'];
  /** Resume: the steps the journal records as done stay done. */
  resuming: boolean;
}

/** How a pass ended; the journal already says so. */
type PassEnd = { outcome: 'done' } | { outcome: 'interrupted'; signal: StopSignal } | { outcome: 'failed'; error: StepFailedError };

async function rollOut(run: Run, inputs: Inputs, steps: Step[]): Promise<number> {
  const { options, context: { presenter }, mode, workspace, again } = run;
  const { journal } = workspace;
  const command = mode === 'upgrade' || mode === 'rollback' ? mode : (journal.state?.command ?? 'install');
  // The secret versions the services ran with before this run: a changed one is a rotation.
  const outputsBefore = journal.outputs();
  const bus = createEventBus<DeployEvent>();
  // What this run changed, service by service: what a failed or stopped upgrade puts back.
  const moved = new Set<ServiceId>();
  let changed = false;
  bus.subscribe((event) => {
    if (event.type === 'step-finished' && (event.outcome === 'created' || event.outcome === 'updated')) {
      changed = true;
      if (event.service) moved.add(event.service as ServiceId);
    }
    if (event.type === 'step-failed' && event.service) moved.add(event.service as ServiceId);
  });
  let view = await presenter.deployment(bus, [...SERVICE_IDS]);
  try {
    const end = await runPass(run, { ...inputs, steps, command, resuming: mode === 'resume' }, bus);
    if (end.outcome === 'done') {
      const endpoints = recordedEndpoints(journal.outputs());
      const check = await endToEnd(inputs.settings, endpoints, workspace, again);
      const rotated = rotationSummaryLines(inputs.settings, rotatedSecrets(inputs.settings, outputsBefore, journal.outputs()));
      const summary = [...rotated, ...summaryLines(inputs.settings, { auditLog: journal.auditLogPath, journal: journal.path }, endpoints ? [...endpointLines(endpoints), ...check] : [])];
      const nothing = 'Nothing changed: everything already matched the answers.';
      bus.emit({ type: 'done', outcome: 'complete', summary: changed ? summary : [nothing, ...summary] });
      return 0;
    }
    // An upgrade that moved services and did not finish goes back to the release before it.
    const back = command === 'upgrade' && moved.size ? journal.rollbackTarget() : undefined;
    if (end.outcome === 'interrupted') {
      const stopped = `Interrupted${end.signal === 'SIGINT' ? '' : ` (${end.signal})`}. Continue with: ${again.resume}`;
      bus.emit({ type: 'done', outcome: 'interrupted', summary: [stopped, ...(back ? [`Or go back to the release before the upgrade with: ${again.rollback}`] : [])] });
      if (!back || !presenter.interactive || options.yes) return exitCodeFor(end.signal);
      await view.close();
      if (!(await offerToRollBack(inGuideOrder(moved), back))) return exitCodeFor(end.signal);
      view = await presenter.deployment(bus, [...SERVICE_IDS]);
    } else if (!back) {
      bus.emit({ type: 'done', outcome: 'failed', summary: failureSummary(end.error, inputs.settings, again, journal) });
      return 1;
    }
    return await rollBackUpgrade(run, inputs, back, inGuideOrder(moved), bus, end);
  } finally {
    await view.close();
  }
}

const inGuideOrder = (services: Set<ServiceId>) => SERVICE_IDS.filter((id) => services.has(id));

/**
 * Deploys the release before a failed or stopped upgrade again, in the same live view: every step
 * of its answers runs, so what the upgrade moved goes back and the rest is found unchanged. The
 * exit code stays the upgrade's: it did not happen.
 */
async function rollBackUpgrade(run: Run, upgrade: Inputs, back: Release, moved: ServiceId[], bus: EventBus<DeployEvent>, upgradeEnd: Exclude<PassEnd, { outcome: 'done' }>): Promise<number> {
  const { options, workspace, again } = run;
  const failed = upgradeEnd.outcome === 'failed';
  const why = failed ? 'the upgrade failed' : 'the upgrade was stopped';
  const code = failed ? 1 : exitCodeFor(upgradeEnd.signal);
  bus.emit({ type: 'note', message: `Rolling back ${moved.join(', ')} to the release of ${releaseTime(back)} (image tag ${back.imageTag}), because ${why}.` });
  const { settings, adapter, answers } = resolveDeployment(options, back.answers, workspace.demo);
  const steps = withRollouts(adapter.plan(), { strictOrder: options.strictOrder });
  const end = await runPass(run, { settings, adapter, answers, secrets: upgrade.secrets, steps, command: 'rollback', resuming: false }, bus);
  if (end.outcome === 'interrupted') {
    bus.emit({ type: 'done', outcome: 'interrupted', summary: [`The rollback was interrupted. Continue it with: ${again.resume}`] });
    return exitCodeFor(end.signal);
  }
  if (end.outcome === 'failed') {
    bus.emit({ type: 'done', outcome: 'failed', summary: [`The upgrade ${failed ? 'failed' : 'was stopped'}, and rolling it back failed too.`, ...failureSummary(end.error, settings, again, workspace.journal)] });
    return 1;
  }
  const wentBack = `Rolled back: ${moved.join(', ')} run the release of ${releaseTime(back)} again (image tag ${back.imageTag}).`;
  if (upgradeEnd.outcome === 'interrupted') {
    bus.emit({ type: 'done', outcome: 'interrupted', summary: [wentBack, `The upgrade did not happen; ${upgradeCommand(run, upgrade)}`] });
    return code;
  }
  const [cause, ...rest] = failureSummary(upgradeEnd.error, upgrade.settings, again, workspace.journal, upgradeCommand(run, upgrade));
  bus.emit({ type: 'done', outcome: 'failed', summary: [cause!, wentBack, ...rest] });
  return code;
}

const upgradeCommand = (run: Run, upgrade: Inputs) => `upgrade again with: create-membrane-deploy upgrade --image-tag ${upgrade.settings.answers.imageTag} ${run.again.which}`;

/**
 * One pass of the engine over `steps`, journaled as `command`. First Ctrl-C (or SIGTERM, SIGHUP):
 * finish the running command, save, end the pass. Second: kill it and exit now (the journal is
 * consistent at every instant; the killed step runs again on resume).
 */
async function runPass(run: Run, pass: Pass, bus: EventBus<DeployEvent>): Promise<PassEnd> {
  const { options, context, workspace, again, release } = run;
  const { journal } = workspace;
  const stop = new AbortController();
  const stopNow = new AbortController();
  const runner = createAuditedRunner(workspace, pass.secrets, stopNow.signal);
  journal.begin({ name: options.name, cloud: pass.settings.answers.cloud, command: pass.command, answers: pass.answers }, pass.resuming);
  let stoppedBy: StopSignal = 'SIGINT';
  const releaseInterrupts = takeOverInterrupts({
    first(signal) {
      stoppedBy = signal;
      stop.abort();
      const repeat = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
      bus.emit({ type: 'note', message: `Stopping after the running command… (${repeat} to stop at once)` });
    },
    second(signal) {
      stopNow.abort();
      journal.finish('interrupted');
      release();
      context.presenter.interrupted(`Stopped. Continue with: ${again.resume}`);
      context.exit(exitCodeFor(signal));
    },
  });
  try {
    await runSteps({
      adapter: pass.adapter,
      steps: pass.steps,
      runner,
      journal,
      secrets: pass.secrets,
      emit: bus.emit,
      skipDone: pass.resuming,
      desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, pass.settings.sizing[id].replicas])) as Record<ServiceId, number>,
      pollIntervalMs: workspace.demo?.pollIntervalMs ?? POLL_INTERVAL_MS,
      rolloutTimeoutMs: options.rolloutTimeoutMinutes * 60_000,
      stop: stop.signal,
    });
    journal.finish('done');
    return { outcome: 'done' };
  } catch (error) {
    if (error instanceof InterruptedError) {
      journal.finish('interrupted');
      return { outcome: 'interrupted', signal: stoppedBy };
    }
    if (!(error instanceof StepFailedError)) throw error;
    journal.finish('failed');
    return { outcome: 'failed', error };
  } finally {
    releaseInterrupts();
  }
}

/** The end of a failed run: what failed, what it looks like, and the commands that come next (`next`: after fixing the cause). */
function failureSummary(error: StepFailedError, settings: Settings, again: NextCommands, journal: Journal, next = `continue with: ${again.resume}`): string[] {
  const symptom = symptomFor(error.message, settings.answers.cloud);
  return [
    error.message,
    ...(symptom ? [`Looks like: ${symptom.title}. Check:`, ...symptom.checks.map((check) => `  - ${check}`)] : []),
    `Run every check against the cloud: ${again.troubleshoot}`,
    `Fix the cause, then ${next}`,
    `Audit log: ${journal.auditLogPath}`,
  ];
}

/**
 * With the records in the user's zone (dns.zone), the install checks DNS, TLS and health as users will
 * reach the hosts; otherwise it says how to once the user has created them. The demo's hosts exist nowhere.
 */
async function endToEnd(settings: Settings, endpoints: Endpoints | undefined, workspace: Workspace, again: NextCommands): Promise<string[]> {
  if (workspace.demo) return [];
  if (!settings.answers.dns || !endpoints) return [`Once the records exist, check DNS, TLS and health end to end: ${again.verify}`];
  const { publicHosts, resultLines, verifyHosts } = await import('../verify/index.js');
  const expected = Object.fromEntries(endpoints.services.map((endpoint) => [endpoint.host, endpoint.target]));
  const results = await verifyHosts({ hosts: publicHosts(settings, expected), cloud: settings.answers.cloud, troubleshoot: again.troubleshoot });
  const passed = results.every((result) => result.ok);
  return ['Checking each public host as users will reach it:', ...resultLines(results), ...(passed ? [] : [`New records can take minutes to reach every resolver; check again with: ${again.verify}`])];
}
