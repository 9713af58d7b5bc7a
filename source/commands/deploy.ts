// install, resume and upgrade: one flow with three starting points.
import type { CliOptions } from '../args.js';
import { cloudName } from '../clouds/index.js';
import { runSteps } from '../engine/engine.js';
import { createEventBus } from '../engine/event-bus.js';
import { withRollouts } from '../engine/plan.js';
import { InterruptedError, StepFailedError, UsageError } from '../errors.js';
import { takeOverInterrupts } from '../interrupt.js';
import { SERVICE_IDS, type ServiceId } from '../membrane/services.js';
import { createPlainReporter } from '../ui/plain-reporter.js';
import { isInteractive, line } from '../ui/terminal.js';
import { createAuditedRunner, loadDeploymentWithSecrets, openJournal } from './context.js';
import { preflightLines, reviewLines, summaryLines } from './review.js';

export type DeployMode = 'install' | 'resume' | 'upgrade';

const POLL_INTERVAL_MS = Number(process.env.CREATE_MEMBRANE_DEPLOY_POLL_MS) || 10_000;

export async function deploy(options: CliOptions, mode: DeployMode): Promise<number> {
  const journal = openJournal(options);
  const saved = journal.state;
  const again = `create-membrane-deploy resume --name ${options.name}${options.stateDir ? ` --state-dir ${options.stateDir}` : ''}`;
  if (mode !== 'install' && !saved) {
    throw new UsageError(`Nothing to ${mode} for --name ${options.name}: no deployment is recorded in ${journal.dir}. Run install first.`);
  }
  if (mode === 'resume' && saved?.status === 'done') {
    line(`Deployment "${options.name}" is already complete. Nothing to resume; run status to see it.`);
    return 0;
  }
  if (mode === 'upgrade' && !options.imageTag) throw new UsageError('upgrade needs --image-tag TAG: the version to roll out.');

  const { settings, adapter, answers, secrets } = await loadDeploymentWithSecrets(options, journal);
  const stop = new AbortController();
  const stopNow = new AbortController();
  const runner = createAuditedRunner(journal, secrets, stopNow.signal);

  line(`Checking ${cloudName(settings.answers.cloud)} prerequisites…`);
  const checks = await Promise.all(adapter.preflight(runner).map(async (check) => ({ title: check.title, ...(await check.run()) })));
  for (const text of preflightLines(checks)) line(text);
  const failed = checks.filter((check) => !check.ok);
  if (failed.length) {
    line();
    line(`${failed.length} check${failed.length > 1 ? 's' : ''} failed. Nothing was changed in the cloud.`);
    return failed.some((check) => check.cause === 'input') ? 2 : 1;
  }

  const steps = withRollouts(adapter.plan());
  line();
  for (const text of reviewLines(settings, steps, adapter.notes())) line(text);
  if (isInteractive() && !options.yes) {
    const { confirm } = await import('@inquirer/prompts');
    const answer = await confirm({ message: `Deploy these ${steps.length} steps now?`, default: true }).catch((error: Error) => {
      // Ctrl-C at the prompt: @inquirer rejects with ExitPromptError.
      if (error.name === 'ExitPromptError') return undefined;
      throw error;
    });
    if (answer === undefined) {
      line('Cancelled. Nothing was changed.');
      return 130;
    }
    if (!answer) {
      line('Nothing was changed.');
      return 0;
    }
  }

  journal.begin({ name: options.name, cloud: settings.answers.cloud, command: mode === 'upgrade' ? 'upgrade' : (saved?.command ?? 'install'), answers }, mode === 'resume');
  const bus = createEventBus();
  const view = isInteractive()
    ? (await import('../ui/mount.js')).mountLiveDeployment(bus, [...SERVICE_IDS])
    : (bus.subscribe(createPlainReporter(line, { services: [...SERVICE_IDS] })), undefined);

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
      process.stderr.write(`\nStopped. Continue with: ${again}\n`);
      process.exit(130);
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
      pollIntervalMs: POLL_INTERVAL_MS,
      rolloutTimeoutMs: options.rolloutTimeoutMinutes * 60_000,
      stop: stop.signal,
    });
    journal.finish('done');
    bus.emit({ type: 'done', outcome: 'complete', summary: summaryLines(settings, { auditLog: journal.auditLogPath, journal: journal.path }) });
    await view?.close();
    return 0;
  } catch (error) {
    if (error instanceof InterruptedError) {
      journal.finish('interrupted');
      bus.emit({ type: 'done', outcome: 'interrupted', summary: [`Interrupted. Continue with: ${again}`] });
      await view?.close();
      return 130;
    }
    if (error instanceof StepFailedError) {
      journal.finish('failed');
      bus.emit({ type: 'done', outcome: 'failed', summary: [error.message, `Fix the cause, then continue with: ${again}`, `Audit log: ${journal.auditLogPath}`] });
      await view?.close();
      return 1;
    }
    await view?.close();
    throw error;
  } finally {
    releaseInterrupts();
  }
}
