// install, resume and upgrade: one flow with three starting points.
// answers (wizard on a TTY) -> preflight -> review -> confirm -> deploy -> summary
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliOptions } from '../args.js';
import type { RawAnswers } from '../answers/load.js';
import { secretsFromEnv } from '../answers/load.js';
import type { Settings } from '../answers/settings.js';
import { awsDiscovery } from '../clouds/aws/discovery.js';
import { DEMO_ANSWERS, DEMO_SECRETS } from '../clouds/demo/world.js';
import { cloudName } from '../clouds/index.js';
import type { CloudAdapter } from '../clouds/types.js';
import { runSteps } from '../engine/engine.js';
import { createEventBus } from '../engine/event-bus.js';
import type { DeployEvent } from '../engine/events.js';
import type { Journal } from '../engine/journal.js';
import { withRollouts } from '../engine/plan.js';
import { runPreflight, type PreflightEvent } from '../engine/preflight.js';
import type { Runner } from '../exec/runner.js';
import { InterruptedError, StepFailedError, UsageError } from '../errors.js';
import { takeOverInterrupts } from '../interrupt.js';
import { lockDeployment } from '../engine/lock.js';
import { SERVICE_IDS, type ServiceId } from '../membrane/services.js';
import { symptomFor } from '../troubleshoot/hints.js';
import type { Presenter } from '../ui/presenter.js';
import { line } from '../ui/terminal.js';
import { createAuditedRunner, givenAnswers, openWorkspace, resolveWithSecrets, storedSecrets, type CommandContext, type Workspace } from './context.js';
import { reviewLines, summaryLines } from './review.js';

export type DeployMode = 'install' | 'resume' | 'upgrade';

const POLL_INTERVAL_MS = Number(process.env.CREATE_MEMBRANE_DEPLOY_POLL_MS) || 10_000;

/** The commands that continue or examine this deployment, as the user types them. */
export interface NextCommands {
  resume: string;
  troubleshoot: string;
}

function nextCommands(options: CliOptions, interactive: boolean): NextCommands {
  const which = `--name ${options.name}${options.stateDir ? ` --state-dir ${options.stateDir}` : ''}${options.demo ? ' --demo' : ''}`;
  return { resume: `create-membrane-deploy resume ${which}${interactive ? '' : ' --yes'}`, troubleshoot: `create-membrane-deploy troubleshoot ${which}` };
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
  if (mode !== 'install' && !saved) {
    throw new UsageError(`Nothing to ${mode} for --name ${options.name}: no deployment is recorded in ${journal.dir}. Run install first.`);
  }
  if (mode === 'resume' && saved?.status === 'done') {
    presenter.nothingToDo(`Deployment "${options.name}" is already complete. Nothing to resume; run status to see it.`);
    return 0;
  }
  if (mode === 'upgrade' && !options.imageTag) throw new UsageError('upgrade needs --image-tag TAG: the version to roll out.');

  const release = lockDeployment(journal.dir, options.name);
  // Until the rollout starts only read-only lookups run: a Ctrl-C between two questions
  // (prompts handle their own) stops them and exits with nothing changed.
  const lookups = new AbortController();
  const releaseInterrupts = takeOverInterrupts({ first: cancel, second: cancel });
  function cancel() {
    lookups.abort();
    release();
    forgetUnstartedDemo(workspace);
    presenter.interrupted('Cancelled. Nothing was changed.');
    context.exit(130);
  }
  try {
    const prompting = presenter.interactive && !options.yes;
    if (mode === 'install' && saved && saved.status !== 'done' && prompting && (await offerToResume(saved))) mode = 'resume';
    return await deployLocked({ options, context, mode, workspace, again, prompting, release, lookups: lookups.signal, releaseInterrupts });
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

async function offerToResume(saved: NonNullable<Journal['state']>): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  const done = Object.values(saved.steps).filter((step) => step.status === 'done').length;
  return confirm({ message: `Deployment "${saved.name}" has an unfinished ${saved.command} (${saved.status}, ${done} steps done). Resume it?`, default: true });
}

interface Locked {
  options: CliOptions;
  context: CommandContext;
  mode: DeployMode;
  workspace: Workspace;
  again: NextCommands;
  prompting: boolean;
  release: () => void;
  /** Aborted by a Ctrl-C before the rollout: stops the read-only lookups. */
  lookups: AbortSignal;
  /** Hands Ctrl-C over to the rollout's own handling. */
  releaseInterrupts: () => void;
}

async function deployLocked({ options, context, mode, workspace, again, prompting, release, lookups, releaseInterrupts }: Locked): Promise<number> {
  const { presenter } = context;
  const saved = workspace.journal.state;
  const { settings, adapter, answers, secrets, wizardAsked } = await gatherInputs(options, context, workspace, prompting, lookups);
  // Nobody to confirm on (a pipe, CI): only --yes lets it change the cloud, as terraform apply needs -auto-approve.
  if (!prompting && !options.yes && !options.demo) {
    const why = options.json ? 'With --json nothing is asked' : 'There is no terminal to confirm on';
    throw new UsageError(`${why}, so ${mode} changes nothing without --yes. Review what it would do with: create-membrane-deploy plan --out DIR; then run it again with --yes.`);
  }
  const runner = createAuditedRunner(workspace, secrets, lookups);

  if (!(await preflight(adapter, runner, settings, presenter))) {
    return 2;
  }

  const steps = withRollouts(adapter.plan());
  presenter.say();
  for (const text of reviewLines(settings, steps, adapter.notes())) presenter.say(text);
  if (prompting) {
    const { confirm } = await import('@inquirer/prompts');
    if (!(await confirm({ message: `Deploy these ${steps.length} steps now?`, default: true }))) {
      presenter.say('Nothing was changed.');
      return 0;
    }
    if (wizardAsked) await offerToSaveAnswers(answers);
  }

  releaseInterrupts();
  return rollOut({ options, context, mode, workspace, settings, adapter, answers, secrets, steps, again, commandBefore: saved?.command, release });
}

/** Answers and secrets from every source; on a TTY the wizard asks for what is missing. */
async function gatherInputs(options: CliOptions, context: CommandContext, workspace: Workspace, prompting: boolean, lookups: AbortSignal) {
  const { journal, demo } = workspace;
  const demoBase = demo && !prompting ? DEMO_ANSWERS : undefined;
  const { answers: given, fromFile } = await givenAnswers(options, journal, demoBase);
  const envSecrets = { ...(demo && !prompting ? DEMO_SECRETS : {}), ...secretsFromEnv(context.env) };
  const stored = storedSecrets(journal);
  try {
    return { ...resolveWithSecrets(options, given, envSecrets, stored, demo), wizardAsked: false };
  } catch (error) {
    if (!prompting || !(error instanceof UsageError)) throw error;
  }
  const { runWizard } = await import('../wizard/wizard.js');
  const { answers, secrets } = await runWizard({
    given,
    defaults: options.demo ? DEMO_ANSWERS : {},
    secrets: envSecrets,
    secretDefaults: options.demo ? DEMO_SECRETS : undefined,
    stored,
    full: !fromFile && !journal.state,
    clouds: demo?.clouds,
    aws: awsDiscovery(createAuditedRunner(workspace, undefined, lookups)),
    say: line,
  });
  return { ...resolveWithSecrets(options, answers, secrets, stored, demo), wizardAsked: true };
}

/** Read-only checks, shown as the presenter shows them. False when one failed. */
async function preflight(adapter: CloudAdapter, runner: Runner, settings: Settings, presenter: Presenter): Promise<boolean> {
  presenter.say(`Checking ${cloudName(settings.answers.cloud)} prerequisites…`);
  const definitions = adapter.preflight(runner);
  const bus = createEventBus<PreflightEvent>();
  const view = await presenter.preflight(bus, definitions.map((d) => d.title));
  const checks = await runPreflight(definitions, bus.emit);
  await view.close(checks);
  return checks.every((check) => check.ok);
}

async function offerToSaveAnswers(answers: RawAnswers): Promise<void> {
  const { confirm, input } = await import('@inquirer/prompts');
  if (!(await confirm({ message: 'Save these answers (never the secrets) for next time?', default: true }))) return;
  const file = await input({ message: 'Answers file', default: 'membrane-answers.json' });
  await writeFile(file, `${JSON.stringify(answers, null, 2)}\n`, { mode: 0o600 });
  line(`Saved ${resolve(file)}. Next time: create-membrane-deploy --config ${file}`);
}

interface RollOut {
  options: CliOptions;
  context: CommandContext;
  mode: DeployMode;
  workspace: Workspace;
  settings: Settings;
  adapter: CloudAdapter;
  answers: RawAnswers;
  secrets: Parameters<typeof runSteps>[0]['secrets'];
  steps: ReturnType<typeof withRollouts>;
  again: NextCommands;
  commandBefore?: 'install' | 'upgrade';
  /** Frees the deployment's lock; called before exiting on a second Ctrl-C. */
  release: () => void;
}

async function rollOut({ options, context, mode, workspace, settings, adapter, answers, secrets, steps, again, commandBefore, release }: RollOut): Promise<number> {
  const { presenter } = context;
  const { journal } = workspace;
  const stop = new AbortController();
  const stopNow = new AbortController();
  const runner = createAuditedRunner(workspace, secrets, stopNow.signal);
  journal.begin({ name: options.name, cloud: settings.answers.cloud, command: mode === 'upgrade' ? 'upgrade' : (commandBefore ?? 'install'), answers }, mode === 'resume');
  const bus = createEventBus<DeployEvent>();
  let changed = false;
  bus.subscribe((event) => {
    if (event.type === 'step-finished' && (event.outcome === 'created' || event.outcome === 'updated')) changed = true;
  });
  const view = await presenter.deployment(bus, [...SERVICE_IDS]);

  // First Ctrl-C: finish the running command, save, exit 130. Second: kill it and exit now
  // (the journal is consistent at every instant; the killed step runs again on resume).
  const releaseInterrupts = takeOverInterrupts({
    first() {
      stop.abort();
      bus.emit({ type: 'note', message: 'Stopping after the running command… (Ctrl-C again to stop at once)' });
    },
    second() {
      stopNow.abort();
      journal.finish('interrupted');
      release();
      presenter.interrupted(`Stopped. Continue with: ${again.resume}`);
      context.exit(130);
    },
  });

  try {
    await runSteps({
      adapter,
      steps,
      runner,
      journal,
      secrets,
      emit: bus.emit,
      skipDone: mode === 'resume',
      desiredCounts: Object.fromEntries(SERVICE_IDS.map((id) => [id, settings.sizing[id].replicas])) as Record<ServiceId, number>,
      pollIntervalMs: workspace.demo?.pollIntervalMs ?? POLL_INTERVAL_MS,
      rolloutTimeoutMs: options.rolloutTimeoutMinutes * 60_000,
      stop: stop.signal,
    });
    journal.finish('done');
    const summary = summaryLines(settings, { auditLog: journal.auditLogPath, journal: journal.path }, adapter.nextSteps?.());
    const nothing = 'Nothing changed: everything already matched the answers.';
    bus.emit({ type: 'done', outcome: 'complete', summary: changed ? summary : [nothing, ...summary] });
    return 0;
  } catch (error) {
    if (error instanceof InterruptedError) {
      journal.finish('interrupted');
      bus.emit({ type: 'done', outcome: 'interrupted', summary: [`Interrupted. Continue with: ${again.resume}`] });
      return 130;
    }
    if (!(error instanceof StepFailedError)) throw error;
    journal.finish('failed');
    const symptom = symptomFor(error.message, settings.answers.cloud);
    bus.emit({
      type: 'done',
      outcome: 'failed',
      summary: [
        error.message,
        ...(symptom ? [`Looks like: ${symptom.title}. Check:`, ...symptom.checks.map((check) => `  - ${check}`)] : []),
        `Run every check against the cloud: ${again.troubleshoot}`,
        `Fix the cause, then continue with: ${again.resume}`,
        `Audit log: ${journal.auditLogPath}`,
      ],
    });
    return 1;
  } finally {
    await view.close();
    releaseInterrupts();
  }
}
