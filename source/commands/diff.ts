// diff: what the cloud has now against what the answers make, step by step (engine/compare.ts),
// drift made by hand in the console included. Exit 0 when they match, 1 when something differs,
// 2 when it cannot tell (no deployment, bad answers, the cloud's CLI refused): CI can gate on it.
import type { CliOptions } from '../args.js';
import { secretsFromEnv } from '../answers/load.js';
import { cloudName } from '../clouds/index.js';
import { ENDPOINTS_STEP } from '../clouds/endpoints.js';
import { compareSteps, type Comparison } from '../engine/compare.js';
import { UsageError } from '../errors.js';
import { CliError } from '../exec/errors.js';
import { line } from '../ui/terminal.js';
import type { ActionStep } from '../clouds/types.js';
import { createAuditedRunner, givenAnswers, nextCommands, openWorkspace, resolveDeployment, type CommandContext, type Workspace } from './context.js';

export async function diff(options: CliOptions, context: Pick<CommandContext, 'env'>): Promise<number> {
  const workspace = openWorkspace(options, context.env);
  const { journal, demo } = workspace;
  const { answers, fromFile } = await givenAnswers(options, journal);
  if (!journal.state && !fromFile) {
    throw new UsageError(`No deployment named "${options.name}" is recorded in ${journal.dir}. To compare a deployment made elsewhere, give its answers: --config answers.json.`);
  }
  if (journal.state?.status === 'uninstalled') throw new UsageError(`Deployment "${options.name}" was uninstalled: there is nothing to compare.`);
  const { settings, adapter } = resolveDeployment(options, answers, demo);
  if (!options.json) line(`Comparing deployment "${settings.name}" on ${cloudName(settings.answers.cloud)} with what its answers make (reads only; nothing is changed)…`);
  const { comparisons, notes: unset } = await compareDeployment(workspace, adapter.plan(), context.env);
  const differing = comparisons.filter((comparison) => comparison.status !== 'same');
  if (options.json) {
    line(JSON.stringify({
      name: settings.name,
      cloud: settings.answers.cloud,
      equal: differing.length === 0,
      differences: differing.length,
      steps: comparisons.map(({ step, ...rest }) => ({ id: step.id, title: step.title, ...rest })),
      notes: unset,
    }, null, 2));
  } else {
    // Like terraform plan: what differs in full; what matches only counted, unless --verbose.
    for (const comparison of comparisons) if (options.verbose || comparison.status !== 'same') for (const text of comparisonLines(comparison)) line(text);
    if (!options.verbose && differing.length < comparisons.length) line(`  = ${comparisons.length - differing.length} ${differing.length ? 'other ' : ''}steps match (--verbose lists them)`);
    line();
    line(differing.length === 0
      ? `The cloud matches the answers: all ${comparisons.length} steps would change nothing.`
      : `${differing.length} of ${comparisons.length} differ. Put the answers back in place with: ${nextCommands(options, false).install}`);
    for (const note of unset) line(note);
  }
  return differing.length === 0 ? 0 : 1;
}

/**
 * Every step but the endpoints' (which only reads) asked what it would change now: diff and plan --diff.
 * A CLI that cannot tell (no login, refused) is exit 2. The notes say what was not compared.
 */
export async function compareDeployment(workspace: Workspace, steps: ActionStep[], env: NodeJS.ProcessEnv): Promise<{ comparisons: Comparison[]; notes: string[] }> {
  // Secret values are compared only when given (env); the stored ones are never printed either way.
  const secrets = Object.fromEntries(Object.entries(secretsFromEnv(env)).filter(([, value]) => value));
  const runner = createAuditedRunner(workspace, secrets);
  try {
    const recorded = Object.fromEntries(Object.entries(workspace.journal.state?.steps ?? {}).map(([id, step]) => [id, step.status === 'done' ? step.outputs : undefined]));
    const comparisons = await compareSteps(steps.filter((step) => step.id !== ENDPOINTS_STEP), runner, workspace.journal.outputs(), secrets, recorded);
    return { comparisons, notes: Object.keys(secrets).length ? [] : ['Secret values were not compared: set the MEMBRANE_* variables to compare them too.'] };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new UsageError(`Could not compare: ${error.message}`);
  }
}

function comparisonLines(comparison: Comparison): string[] {
  const { step } = comparison;
  switch (comparison.status) {
    case 'same':
      return [`  = ${step.title}`];
    case 'missing':
      return [`  + ${step.title}: ${comparison.why}`];
    case 'differs':
      return [
        `  ≠ ${step.title}${comparison.why ? `: ${comparison.why}` : ''}`,
        ...(comparison.command.length ? [`      would run: ${comparison.command.join(' ')}`] : []),
      ];
  }
}
