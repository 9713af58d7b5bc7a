// Read-only checks before anything changes, run concurrently: gcloud, the login, the project
// and which of the needed APIs are on (the install enables the rest, and says so).
import type { Settings } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { definitions, fail, pass, type Check, type FailureFixes } from '../checks.js';
import { runJson } from '../cli-json.js';
import type { PreflightCheckDefinition } from '../types.js';
import { gcloudArgv, REQUIRED_APIS } from './names.js';

/** Direct VPC egress (--network/--subnet on run deploy) is GA from this release on. */
const MIN_GCLOUD_MAJOR = 470;

const FIXES: FailureFixes = {
  missingCli: ['the gcloud CLI is not installed or not on PATH', 'install it: https://cloud.google.com/sdk/docs/install'],
  accessDenied: 'log in (gcloud auth login) as an account with roles Cloud Run Admin, Secret Manager Admin, Artifact Registry Admin and Service Usage Admin on the project',
  badAnswer: 'fix gcp.project / gcp.region in the answers file',
  other: 'check network access to Google Cloud and try again',
};

export function gcpPreflight(settings: Settings, runner: Runner): PreflightCheckDefinition[] {
  const { project } = settings.answers.gcp!;
  const checks: [string, Check][] = [
    ['gcloud CLI installed', async () => {
      const versions = await runJson(runner, { argv: ['gcloud', 'version', '--format=json'] }, { attempts: 1 });
      const sdk = String(versions['Google Cloud SDK'] ?? '');
      if (Number(sdk.split('.')[0]) < MIN_GCLOUD_MAJOR) return fail(`Google Cloud SDK ${sdk || 'of unknown version'}`, `update it to ${MIN_GCLOUD_MAJOR}.0.0 or later: gcloud components update`);
      return pass(`Google Cloud SDK ${sdk}`);
    }],
    ['Logged in to Google Cloud', async () => {
      const accounts = await runJson<{ account: string; status: string }[]>(runner, { argv: ['gcloud', 'auth', 'list', '--format=json'] });
      const active = (Array.isArray(accounts) ? accounts : []).find((a) => a.status === 'ACTIVE');
      if (!active) return fail('no active account', 'log in: gcloud auth login (or gcloud auth activate-service-account --key-file=KEY.json)');
      return pass(active.account);
    }],
    [`Project ${project}`, async () => {
      const found = await runJson(runner, { argv: gcloudArgv(project, 'projects', 'describe', project) });
      if (found.lifecycleState !== 'ACTIVE') return fail(`${project} is ${found.lifecycleState}`, 'use an ACTIVE project in gcp.project');
      return pass(`number ${found.projectNumber}`);
    }],
    ['APIs: Cloud Run, Secret Manager, Artifact Registry', async () => {
      const enabled = await runJson<{ config?: { name: string } }[]>(runner, { argv: gcloudArgv(project, 'services', 'list', '--enabled') });
      const on = new Set((Array.isArray(enabled) ? enabled : []).map((service) => service.config?.name));
      const missing = REQUIRED_APIS.filter((api) => !on.has(api));
      return pass(missing.length ? `off: ${missing.join(', ')}; the install enables them (first step)` : 'all enabled');
    }],
  ];
  return definitions(checks, FIXES);
}
