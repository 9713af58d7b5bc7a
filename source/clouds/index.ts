// The clouds the installer deploys to: one entry per Cloud, checked by the compiler, so a new
// cloud in answers/schema.ts's CLOUDS does not build until its folder's module is listed here.
import type { Cloud } from '../answers/schema.js';
import { settingsFor, type Settings } from '../answers/settings.js';
import type { Runner } from '../exec/runner.js';
import { awsDiscovery } from './aws/discovery.js';
import { awsCloud } from './aws/index.js';
import { azureCloud } from './azure/index.js';
import type { DemoCloud } from './demo/index.js';
import type { Discoveries } from './discovery.js';
import { gcpCloud } from './gcp/index.js';
import type { CloudAdapter, CloudModule } from './types.js';

export const CLOUD_MODULES: { readonly [C in Cloud]: CloudModule<C> } = { aws: awsCloud, azure: azureCloud, gcp: gcpCloud };

export function cloudName(cloud: Cloud): string {
  return CLOUD_MODULES[cloud].title;
}

/** The CLI env of every cloud: each CLI reads only its own variables, so one env serves all. */
export const CLI_ENV: Readonly<Record<string, string>> = Object.assign({}, ...Object.values(CLOUD_MODULES).map((module) => module.cliEnv));

/** The wizard's lookups of every cloud that has some (Discoveries lists them), on this runner. */
export function discoveriesFor(runner: Runner): Discoveries {
  return { aws: awsDiscovery(runner) };
}

/** The cloud's adapter, or with --demo the AWS adapter for the simulated account. */
export function adapterFor(settings: Settings, demo?: DemoCloud): CloudAdapter {
  if (demo) return demo.adapter(settings);
  return cloudAdapter(settings.answers.cloud, settings);
}

function cloudAdapter<C extends Cloud>(cloud: C, settings: Settings): CloudAdapter {
  return CLOUD_MODULES[cloud].adapter(settingsFor(settings, cloud));
}
