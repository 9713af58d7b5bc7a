import { resolve } from 'node:path';
import type { CliOptions } from '../args.js';
import { withRollouts } from '../engine/plan.js';
import { UsageError } from '../errors.js';
import { writePlan } from '../plan/write-plan.js';
import { line } from '../ui/terminal.js';
import { givenAnswers, resolveDeployment } from './context.js';
import { openJournal } from './journal-of.js';

export async function plan(options: CliOptions): Promise<number> {
  if (!options.out) throw new UsageError('plan needs --out DIR: the directory to write plan.json, the cloud documents and deploy.sh into.');
  const { answers } = await givenAnswers(options, openJournal(options));
  const { settings, adapter } = resolveDeployment(options, answers);
  const steps = withRollouts(adapter.plan(), { strictOrder: options.strictOrder });
  const files = await writePlan(options.out, settings, steps, adapter.notes());
  line(`Wrote the plan of ${steps.length} steps to ${resolve(options.out)} (nothing was changed in the cloud):`);
  for (const file of files) line(`  ${file}`);
  return 0;
}
