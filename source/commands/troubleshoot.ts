// troubleshoot: the guide's checklist, run against the deployment as the cloud sees it now.
// Starts from the journal of --name (or only --config, for a deployment made by hand), looks
// into the services that are not healthy, and ends with the most likely cause and its fix.
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { CliOptions } from '../args.js';
import { secretsFromEnv } from '../answers/load.js';
import { createEventBus } from '../engine/event-bus.js';
import { withRollouts } from '../engine/plan.js';
import { toServiceState } from '../engine/events.js';
import { StepFailedError, UsageError } from '../errors.js';
import { CliError } from '../exec/errors.js';
import { createRedactor, type Redactor } from '../exec/redact.js';
import { SERVICE_IDS, type ServiceId } from '../membrane/services.js';
import { planDocument } from '../plan/write-plan.js';
import { writeBundle } from '../troubleshoot/bundle.js';
import { buildChecklist, type Finding } from '../troubleshoot/checklist.js';
import { reportLines } from '../troubleshoot/report.js';
import { createChecklistRunner, type ChecklistEvent } from '../troubleshoot/run.js';
import { diagnose, initialChecklist, reduceChecklist } from '../ui/checklist-store.js';
import { isInteractive, line } from '../ui/terminal.js';
import { createAuditedRunner, givenAnswers, openWorkspace, resolveDeployment, type CommandContext } from './context.js';

export async function troubleshoot(options: CliOptions, context: Pick<CommandContext, 'env'>): Promise<number> {
  const workspace = openWorkspace(options, context.env);
  const { journal, demo } = workspace;
  const { answers, fromFile } = await givenAnswers(options, journal);
  if (!journal.state && !fromFile) {
    throw new UsageError(demo
      ? `No demo deployment named "${options.name}" is recorded here. Run create-membrane-deploy --demo first (with the same --name and --state-dir).`
      : `No deployment named "${options.name}" is recorded here. Give --config answers.json to check a deployment made by hand.`);
  }
  const { settings, adapter } = resolveDeployment(options, answers, demo);
  const diagnostics = adapter.diagnostics?.();
  if (!diagnostics) throw new UsageError('This cloud has no troubleshooting checks.');
  // The demo's registry exists nowhere: its login and image checks are skipped, never sent.
  const secrets = demo ? {} : secretsFromEnv(context.env);
  // Reads only, so short limits: with a CLI that hangs, troubleshoot still ends within about a minute.
  const runner = createAuditedRunner(workspace, secrets, undefined, { timeoutMs: 20_000, attempts: 2 });

  line(`Looking at deployment "${settings.name}" as the cloud sees it now…`);
  const inspections = await diagnostics.inspect(runner).catch((error: unknown) => {
    // Without the cloud's view there is nothing to check: say why, in the CLI's words.
    if (!(error instanceof CliError)) throw error;
    throw new StepFailedError(`Could not read the deployment from the cloud: ${error.cliMessage}\nRun install's preflight checks (create-membrane-deploy --config …) to see what is missing, such as the CLI or its login.`);
  });
  // The journal's failed services first; then whatever the cloud says is not healthy.
  const recorded = SERVICE_IDS.filter((id) => journal.state?.services[id] && toServiceState(journal.state.services[id]!.phase) === 'failed');
  const unhealthy = inspections.filter((i) => i.found && !i.healthy).map((i) => i.service);
  const focus: ServiceId[] = SERVICE_IDS.filter((id) => recorded.includes(id) || unhealthy.includes(id));
  const header = [
    focus.length ? `Not healthy: ${focus.join(', ')}` : `All ${inspections.filter((i) => i.found).length} deployed services report healthy.`,
  ];
  const logs = new Map<ServiceId, string[]>();
  const items = buildChecklist({ settings, diagnostics, runner, inspections, focus, registryPassword: secrets.registryPassword, logs,
    registryOutOfReach: demo ? 'the demo\'s registry is simulated: a real troubleshoot logs in to yours with MEMBRANE_REGISTRY_PASSWORD' : undefined });
  const bus = createEventBus<ChecklistEvent>();
  // Findings quote the cloud and the apps' logs: each secret the user gave (and its parts) is masked, and
  // terminal escapes dropped, before anything shows them.
  const redact = createRedactor(Object.values(secrets));
  const checklist = createChecklistRunner(items, (event) => bus.emit(event.type === 'item-finished' ? { ...event, finding: safeFinding(event.finding, redact) } : event));
  // The report and the exit code read the same store the Ink checklist renders.
  let state = initialChecklist(items);
  bus.subscribe((event) => (state = reduceChecklist(state, event)));

  if (isInteractive()) {
    const { mountChecklist } = await import('../ui/mount.js');
    const view = mountChecklist(bus, items, checklist, header);
    await checklist.runAll();
    await view.quit;
    await view.close();
  } else {
    await checklist.runAll();
  }
  const report = reportLines(state, header);
  if (!isInteractive()) for (const text of report) line(text);
  else line(report.slice(report.findIndex((text) => text.startsWith('Diagnosis:'))).join('\n'));

  if (options.bundle) {
    const files = await writeBundle({
      file: options.bundle,
      report,
      plan: planDocument(settings, withRollouts(adapter.plan()), adapter.notes()),
      journalPath: journal.path,
      auditLogPath: journal.auditLogPath,
      inspections,
      logs,
      redact,
    });
    line(`Support bundle: ${resolve(options.bundle)} (${files.length} files, secrets removed)`);
  }
  return diagnose(state).cause ? 1 : 0;
}

/** What a finding may show: no secret the user gave, and no control or escape sequence a log line carried. */
function safeFinding(finding: Finding, redact: Redactor): Finding {
  const safe = (text: string) => stripVTControlCharacters(redact(text)).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  return {
    ...finding,
    summary: safe(finding.summary),
    evidence: finding.evidence.map(safe),
    ...(finding.cause ? { cause: { ...finding.cause, title: safe(finding.cause.title), fix: safe(finding.cause.fix) } } : {}),
  };
}
