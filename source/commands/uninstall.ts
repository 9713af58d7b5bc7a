// uninstall: removes what the installer created for --name, after confirmation. The answers come
// from the journal, or from --config when the journal is lost; the cloud's adapter finds what its
// steps made (journal outputs and the cloud's tags) and says what stays. One line per removal
// (one JSON event with --json); every command goes to the audit log, as in every run.
import type { CliOptions } from '../args.js';
import type { Removal, UninstallPlan } from '../clouds/types.js';
import { lockDeployment } from '../engine/lock.js';
import { UsageError } from '../errors.js';
import { displayArgv, shellQuote } from '../exec/command.js';
import type { Runner } from '../exec/runner.js';
import { exitCodeFor, takeOverInterrupts, type StopSignal } from '../interrupt.js';
import { isInteractive, line } from '../ui/terminal.js';
import { createAuditedRunner, givenAnswers, openWorkspace, resolveDeployment, type CommandContext } from './context.js';

/** What a run prints: words for a person, or with --json one event a line and nothing else. */
interface Output {
  say(text?: string): void;
  event(type: string, fields: Record<string, unknown>): void;
}

function outputFor(json: boolean): Output {
  return json
    ? { say() {}, event: (type, fields) => line(JSON.stringify({ type, time: new Date().toISOString(), ...fields })) }
    : { say: line, event() {} };
}

const described = (removal: Removal) => ({ kind: removal.kind, id: removal.id, title: removal.title });

export async function uninstall(options: CliOptions, context: Pick<CommandContext, 'env' | 'exit'>): Promise<number> {
  const out = outputFor(options.json);
  const workspace = openWorkspace(options, context.env);
  const { journal, demo } = workspace;
  const { answers, fromFile } = await givenAnswers(options, journal);
  if (!journal.state && !fromFile) {
    throw new UsageError(`No deployment named "${options.name}" is recorded in ${journal.dir}. If its journal is lost, give the answers it was installed with: --config answers.json (the resources are found by their tags).`);
  }
  const { settings, adapter } = resolveDeployment(options, answers, demo);
  // Nobody to confirm on (a pipe, CI, --json): only --yes lets it remove anything. The demo removes nothing real.
  const prompting = isInteractive() && !options.json && !options.yes;
  if (!options.dryRun && !prompting && !options.yes && !demo) {
    const why = options.json ? 'With --json nothing is asked' : 'There is no terminal to confirm on';
    throw new UsageError(`${why}, so uninstall removes nothing without --yes. See what it would remove with: create-membrane-deploy uninstall --dry-run; then run it again with --yes.`);
  }

  // A dry run changes nothing, so it may look while another run holds the deployment.
  const release = options.dryRun ? () => {} : lockDeployment(journal.dir, options.name);
  const stopNow = new AbortController();
  const runner = createAuditedRunner(workspace, {}, stopNow.signal);
  try {
    out.say(`Looking for what the installer created for deployment "${settings.name}" (its journal, and the tags or labels the installer put on them)…`);
    const plan = await adapter.uninstall(runner, journal.outputs(), { deleteSecrets: options.deleteSecrets });
    showPlan(plan, out, options.dryRun);
    const again = ['create-membrane-deploy uninstall --name', options.name, ...(options.stateDir ? ['--state-dir', shellQuote(options.stateDir)] : []),
      ...(options.config ? ['--config', shellQuote(options.config)] : []), ...(options.demo ? ['--demo'] : []), ...(options.deleteSecrets ? ['--delete-secrets'] : [])].join(' ');
    if (options.dryRun) {
      out.event('done', { outcome: 'dry-run', summary: ['Nothing was changed.'] });
      out.say(`Nothing was changed (--dry-run). Remove it with: ${again}${prompting ? '' : ' --yes'}`);
      return 0;
    }
    if (plan.removals.length && prompting) {
      const { confirm } = await import('@inquirer/prompts');
      if (!(await confirm({ message: `Remove these ${plan.removals.length} resources of deployment "${settings.name}"?`, default: false }))) {
        out.say('Nothing was changed.');
        return 0;
      }
    }
    const code = await removeAll(plan.removals, runner, out, again, context, stopNow, release);
    if (code !== 0) return code;
    // A journal lost before this run has nothing to mark; the audit log stays either way.
    if (journal.state) journal.uninstalled();
    const summary = [
      plan.removals.length ? `Deployment "${settings.name}" is uninstalled: ${plan.removals.length} resources removed.` : `Nothing of deployment "${settings.name}" is left to remove.`,
      ...plan.notes,
      `Audit log: ${journal.auditLogPath}`,
    ];
    for (const text of summary) out.say(text);
    out.event('done', { outcome: 'complete', summary });
    return 0;
  } finally {
    release();
  }
}

function showPlan(plan: UninstallPlan, out: Output, dryRun: boolean): void {
  out.event('uninstall-plan', { removals: plan.removals.map(described), kept: plan.kept, notes: plan.notes });
  out.say(plan.removals.length ? `It removes, in this order (${plan.removals.length}):` : 'Nothing the installer made is left to remove.');
  for (const removal of plan.removals) {
    out.say(`  - ${removal.title}`);
    if (dryRun) for (const command of removal.preview()) out.say(`      $ ${displayArgv(command).join(' ')}`);
  }
  if (plan.kept.length) out.say('It leaves:');
  for (const text of plan.kept) out.say(`  = ${text}`);
}

/** Group by group in order (a group's removals at once); stops after the first group with a failure. */
async function removeAll(
  removals: Removal[],
  runner: Runner,
  out: Output,
  again: string,
  context: Pick<CommandContext, 'exit'>,
  stopNow: AbortController,
  release: () => void,
): Promise<number> {
  // First Ctrl-C (or SIGTERM, SIGHUP): let the running removals finish, then stop. Second: stop now.
  let stoppedBy: StopSignal | undefined;
  const releaseInterrupts = takeOverInterrupts({
    first(signal) {
      stoppedBy = signal;
      out.say(`Stopping after the running removals… (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once)`);
    },
    second(signal) {
      stopNow.abort();
      release();
      process.stderr.write(`\nStopped. Run it again to finish: ${again} --yes\n`);
      context.exit(exitCodeFor(signal));
    },
  });
  try {
    const groups: Removal[][] = [];
    for (const removal of removals) {
      const last = groups.at(-1);
      if (last && removal.group && last[0]!.group === removal.group) last.push(removal);
      else groups.push([removal]);
    }
    let done = 0;
    for (const group of groups) {
      if (stoppedBy) {
        const summary = [`Interrupted after ${done} of ${removals.length} removals. Run it again to finish: ${again} --yes`];
        out.say(summary[0]);
        out.event('done', { outcome: 'interrupted', summary });
        return exitCodeFor(stoppedBy);
      }
      const failures: string[] = [];
      await Promise.all(group.map(async (removal) => {
        try {
          await removal.remove(runner);
          done++;
          out.say(`✔ removed ${removal.title}`);
          out.event('removed', described(removal));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push(`${removal.title}: ${message}`);
          out.say(`✖ could not remove ${removal.title}: ${message}`);
          out.event('removal-failed', { ...described(removal), message });
        }
      }));
      if (failures.length) {
        // What comes after may depend on it (a namespace on its services): stop here, and say how to go on.
        const summary = [`${failures.length} removal(s) failed; ${removals.length - done} of ${removals.length} resources are still there.`, ...failures, `Fix the cause, then run uninstall again: it looks first and continues where this run stopped: ${again} --yes`];
        for (const text of summary) out.say(text);
        out.event('done', { outcome: 'failed', summary });
        return 1;
      }
    }
    return 0;
  } finally {
    releaseInterrupts();
  }
}
