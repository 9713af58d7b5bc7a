// Names of everything the installer creates on Google Cloud, derived from the deployment's
// prefix so that two deployments (--name) can share a project.
import type { SecretKey } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg } from '../../exec/command.js';
import type { ServiceId } from '../../membrane/services.js';
import { SECRET_SUFFIX } from '../secret-names.js';
import { secretVersionOutput } from '../types.js';

/** The APIs a Cloud Run deployment uses; the install enables those that are off. */
export const REQUIRED_APIS = ['run.googleapis.com', 'secretmanager.googleapis.com', 'artifactregistry.googleapis.com'] as const;
/** Direct VPC egress and the network it uses need it; preflight asks for it, since enabling it makes a default network. */
export const COMPUTE_API = 'compute.googleapis.com';

export function gcpNames(settings: SettingsFor<'gcp'>) {
  const { prefix } = settings;
  const gcp = settings.answers.gcp;
  return {
    service: (service: ServiceId) => `${prefix}-${service}`,
    // Artifact Registry's upstream credential is the bare password, not a JSON login.
    secret: (key: SecretKey) => `${prefix}-${key === 'registryPassword' ? 'registry-password' : SECRET_SUFFIX[key]}`,
    repository: gcp.repository ?? `${prefix}-harbor`,
    /** Labels on everything created, so uninstall and troubleshoot can find it. */
    deploymentLabel: `membrane-deployment=${settings.name}`,
  };
}

export type GcpNames = ReturnType<typeof gcpNames>;

/** Output keys shared between steps. */
export const outputKey = {
  projectNumber: 'project:number',
  runnerUrl: 'custom-code-runner:url',
  secretVersion: secretVersionOutput,
};

/** The gcloud argv every call shares: explicit project, JSON output, never a prompt. */
export function gcloudArgv(project: string, ...args: Arg[]): Arg[] {
  return ['gcloud', ...args, `--project=${project}`, '--format=json', '--quiet'];
}

/** The identity the services run as, and the Artifact Registry service agent that reads the upstream password. */
export function serviceAccounts(settings: SettingsFor<'gcp'>, projectNumber: string) {
  return {
    runtime: settings.answers.gcp.serviceAccount ?? `${projectNumber}-compute@developer.gserviceaccount.com`,
    artifactRegistryAgent: `service-${projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
  };
}
