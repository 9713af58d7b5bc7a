// plan --out DIR: what a command would run, written as files, changing nothing. The install's plan
// needs no cloud access; --for upgrade and rollback neither (the journal or --config says what runs
// now); --for uninstall and --diff read the cloud, through the same read-only paths as uninstall
// --dry-run and diff.
import { resolve } from 'node:path';
import type { CliOptions } from '../args.js';
import { changedPaths, type RawAnswers } from '../answers/load.js';
import type { Step } from '../clouds/types.js';
import { withRollouts } from '../engine/plan.js';
import { UsageError } from '../errors.js';
import { CliError } from '../exec/errors.js';
import { SERVICE_IDS } from '../membrane/services.js';
import { writePlan, writeUninstallPlan, type PlanOf } from '../plan/write-plan.js';
import { line } from '../ui/terminal.js';
import { createAuditedRunner, givenAnswers, openWorkspace, resolveDeployment, type Workspace } from './context.js';
import { compareDeployment } from './diff.js';

export async function plan(options: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!options.out) throw new UsageError('plan needs --out DIR: the directory to write plan.json, the cloud documents and deploy.sh into.');
  const out = options.out;
  const workspace = openWorkspace(options, env);
  if (options.planFor === 'uninstall') return uninstallPlan(options, workspace, out);

  const { answers, of } = await answersFor(options, workspace);
  // Only --diff reads the cloud (with --demo, the simulated one); the plans themselves need none.
  const { settings, adapter } = resolveDeployment(options, answers, options.planDiff ? workspace.demo : undefined);
  let steps: Step[] = withRollouts(adapter.plan(), { strictOrder: options.strictOrder });
  const notes = adapter.notes();
  if (options.planDiff) {
    refuseWithoutDeployment(options, workspace);
    line(`Comparing deployment "${settings.name}" with what the ${options.planFor}'s answers make (reads only; nothing is changed)…`);
    const { comparisons, notes: unset } = await compareDeployment(workspace, adapter.plan(), env);
    const differing = new Set(comparisons.filter((comparison) => comparison.status !== 'same').map((comparison) => comparison.step.id));
    // A wait stays when it waits for a service whose step would change.
    const moved = new Set(steps.flatMap((step) => (step.kind === 'action' && step.deploys && differing.has(step.id) ? [step.deploys] : [])));
    steps = steps.filter((step) => (step.kind === 'action' ? differing.has(step.id) : step.services.some((service) => moved.has(service))));
    notes.push(...unset);
    of.extra = {
      ...of.extra,
      diff: {
        compared: comparisons.length,
        differing: differing.size,
        steps: comparisons.filter((comparison) => comparison.status !== 'same').map(({ step, ...rest }) => ({ id: step.id, title: step.title, ...rest })),
      },
    };
  }
  const files = await writePlan(out, settings, steps, notes, of);
  const what = options.planDiff ? `${steps.length} steps that differ from the cloud` : `${steps.length} steps`;
  line(`Wrote the ${of.command === 'install' ? '' : `${of.command} `}plan of ${what} to ${resolve(out)} (nothing was changed in the cloud):`);
  for (const file of files) line(`  ${file}`);
  return 0;
}

/** The answers the command would deploy, and what plan.json says of the change. */
async function answersFor(options: CliOptions, { journal }: Workspace): Promise<{ answers: RawAnswers; of: PlanOf }> {
  switch (options.planFor) {
    case 'install':
      return { answers: (await givenAnswers(options, journal)).answers, of: { command: 'install' } };
    case 'upgrade': {
      if (!options.imageTag) throw new UsageError('plan --for upgrade needs --image-tag TAG: the version upgrade would roll out.');
      const [now, next] = await Promise.all([givenAnswers({ ...options, imageTag: undefined }, journal), givenAnswers(options, journal)]);
      if (!journal.state && !now.fromFile) throw new UsageError(`No deployment named "${options.name}" is recorded in ${journal.dir}: give the answers it runs with (--config answers.json) to plan its upgrade.`);
      return { answers: next.answers, of: { command: 'upgrade', extra: { upgrade: change(now.answers, next.answers) } } };
    }
    case 'rollback': {
      const given = (['config', 'cloud', 'domain', 'dnsZone', 'imageTag'] as const).filter((key) => options[key] !== undefined);
      if (given.length) throw new UsageError('plan --for rollback deploys the release rollback would go back to, with its own answers: it takes no --config, --cloud, --domain, --dns-zone or --image-tag.');
      const target = journal.rollbackTarget();
      if (!target) throw new UsageError(`Nothing to roll back to for --name ${options.name}: the journal records no earlier release with other answers (status lists the releases).`);
      const current = journal.state!.answers;
      return {
        answers: target.answers,
        of: { command: 'rollback', extra: { rollback: { to: { command: target.command, imageTag: target.imageTag, finishedAt: target.finishedAt }, ...change(current, target.answers) } } },
      };
    }
    case 'uninstall':
      throw new Error('uninstall plans are written by uninstallPlan');
  }
}

/** Old → new image tag per service, and which other answers differ (their paths; values may be long). */
function change(from: RawAnswers, to: RawAnswers) {
  const [before, after] = [String(from.imageTag), String(to.imageTag)];
  return {
    imageTags: Object.fromEntries(SERVICE_IDS.map((service) => [service, { from: before, to: after }])),
    otherAnswers: changedPaths(from, to).filter((path) => path !== 'imageTag'),
  };
}

function refuseWithoutDeployment(options: CliOptions, { journal }: Workspace): void {
  if (journal.state?.status === 'uninstalled') throw new UsageError(`Deployment "${options.name}" was uninstalled: there is nothing to compare.`);
  if (!journal.state && !options.config) {
    throw new UsageError(`No deployment named "${options.name}" is recorded in ${journal.dir}. To compare a deployment made elsewhere, give its answers: --config answers.json.`);
  }
}

/** What uninstall would remove: the adapter looks in the journal and at the cloud's tags (reads only). */
async function uninstallPlan(options: CliOptions, workspace: Workspace, out: string): Promise<number> {
  const { journal } = workspace;
  const { answers, fromFile } = await givenAnswers(options, journal);
  if (!journal.state && !fromFile) {
    throw new UsageError(`No deployment named "${options.name}" is recorded in ${journal.dir}. If its journal is lost, give the answers it was installed with: --config answers.json (the resources are found by their tags).`);
  }
  const { settings, adapter } = resolveDeployment(options, answers, workspace.demo);
  line(`Looking for what the installer created for deployment "${settings.name}" (its journal, and the tags or labels the installer put on them)…`);
  let removal;
  try {
    removal = await adapter.uninstall(createAuditedRunner(workspace, {}), journal.outputs(), { deleteSecrets: options.deleteSecrets });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // Unlike the install's plan, this one needs the cloud: the tags are where a lost journal's resources are found.
    throw new UsageError(`plan --for uninstall reads the cloud's tags to find what the installer made, and could not: ${error.message}. Log in to the cloud's CLI and run it again; nothing was written.`);
  }
  const files = await writeUninstallPlan(out, settings, removal);
  line(`Wrote the uninstall plan of ${removal.removals.length} removals to ${resolve(out)} (nothing was changed in the cloud):`);
  for (const file of files) line(`  ${file}`);
  return 0;
}
