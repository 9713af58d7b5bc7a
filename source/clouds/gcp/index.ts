import type { SettingsFor } from '../../answers/settings.js';
import { healthPaths, SERVICES } from '../../membrane/services.js';
import type { CloudAdapter, CloudModule } from '../types.js';
import { gcpDiagnostics } from './diagnostics.js';
import { cloudRunSizeProblem, GUIDE_PROBE } from './documents.js';
import { unsupportedZone } from '../endpoints.js';
import { gcpDnsStep } from './dns.js';
import { DOMAIN_MAPPING_REGIONS, gcpEndpointsStep } from './endpoints.js';
import { gcpNames } from './names.js';
import { observeGcp } from './observe.js';
import { askGcp } from './questions.js';
import { gcpPreflight } from './preflight.js';
import { CONCURRENCY, gcpScaling } from './scaling.js';
import { gcpResources } from './review.js';
import { gcpSteps } from './steps.js';
import { gcpUninstall } from './uninstall.js';

export function gcpAdapter(settings: SettingsFor<'gcp'>): CloudAdapter {
  const names = gcpNames(settings);
  const gcp = settings.answers.gcp;
  const zone = settings.answers.dns?.zone;
  const mapped = DOMAIN_MAPPING_REGIONS.includes(gcp.region);
  return {
    inputProblems: () => [
      ...SERVICES.flatMap((spec) => cloudRunSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? []),
      // Without domain mappings the hosts need a global external Application Load Balancer, which this version does not create.
      ...(mapped ? [] : unsupportedZone(settings, `a Cloud DNS managed zone for ${gcp.region}, which has no Cloud Run domain mappings (its hosts need a global external Application Load Balancer)`)),
    ],
    preflight: (runner) => gcpPreflight(settings, runner),
    // The mappings are made before the endpoints are read, so the journal's endpoints show them (dns.ts).
    plan: () => [...gcpSteps(settings), ...(zone && mapped ? [gcpDnsStep(settings, zone)] : []), gcpEndpointsStep(settings)],
    observe: (runner) => observeGcp(settings, runner),
    diagnostics: () => gcpDiagnostics(settings),
    uninstall: (runner, known, options) => gcpUninstall(settings, runner, known, options),
    notes: () => [
      `Cloud Run cannot pull from ${settings.answers.registry.server}: images come through the Artifact Registry remote repository ${names.repository}, which logs in to Harbor with the password in Secret Manager (${names.secret('registryPassword')}).`,
      `Services run as ${gcp.serviceAccount ?? 'the project\'s default compute service account'}${gcp.serviceAccount ? '' : ' (set gcp.serviceAccount to a dedicated one)'}; it may read only the secrets it uses.`,
      `Scaling: Cloud Run scales each service between its min and max instances on request concurrency and CPU (60 % of each); api, ui, console and the code runner take up to ${CONCURRENCY} concurrent requests an instance (autoscaling.md's --concurrency 80). The workers take no requests, so CPU alone scales them: Membrane's queue metrics are not a Cloud Run signal (autoscaling.md suggests GKE with KEDA for that). The orchestrator is fixed.`,
      `Health: each service has a liveness probe on its health path (${healthPaths()}) every ${GUIDE_PROBE.periodSeconds} s, ${GUIDE_PROBE.timeoutSeconds} s to answer, ${GUIDE_PROBE.failureThreshold} failures (the guide's check), and a startup probe allowing 240 s. A Google load balancer of yours reaches Cloud Run through a serverless NEG, which takes no health check (its backend service must have none): the probes are the check, and Cloud Run sends traffic only to instances that passed them.`,
      'Cloud Run ends a request after at most 60 minutes. The workers and the orchestrator keep their CPU allocated between requests (--no-cpu-throttling), but a task that must run longer than that in one request belongs on GKE or Compute Engine.',
      `The code runner has internal ingress; the engine services reach it, MongoDB and Redis through VPC network ${gcp.network}/${gcp.subnet} (Direct VPC egress, all traffic). The subnet needs Private Google Access (without it their calls to the runner do not count as internal) and a Cloud NAT (their only way to the internet); the install's preflight checks both.`,
      mapped
        ? `api., ui. and console.${settings.answers.domain} become Cloud Run domain mappings (${gcp.region} has them; Preview): a CNAME to ghs.googlehosted.com. each; ${zone ? `the installer makes the mappings and creates the records in Cloud DNS zone ${zone}` : 'the end screen lists the commands'}.`
        : `api., ui. and console.${settings.answers.domain} need a global external Application Load Balancer with serverless NEGs (${gcp.region} has no Cloud Run domain mappings): the end screen lists the commands.`,
    ],
  };
}

export const gcpCloud: CloudModule<'gcp'> = {
  title: 'Google Cloud Run',
  ask: askGcp,
  adapter: gcpAdapter,
  resources: gcpResources,
  scaling: gcpScaling,
  storage: 'Cloud Storage',
  where: {
    logs: 'Cloud Logging (gcloud logging read \'resource.type="cloud_run_revision"\')',
    env: 'plan --out writes them into services/*.env.yaml',
    network: 'the VPC subnet of Direct VPC egress (gcp.network, gcp.subnet)',
    pullRoute: 'the Artifact Registry remote repository must reach the registry over the internet',
    grace: 'give the container a longer startup probe',
  },
  platform: {
    address: 'the Cloud Run domain mapping\'s target',
    terminator: 'the Cloud Run domain mapping (or the load balancer in front of it)',
    front: 'Cloud Run',
    unit: 'container',
    notReady: (service) => `the ${service} Cloud Run service has no ready revision`,
    route: (service, host) => `map ${host} to the ${service} Cloud Run service (a domain mapping, or a load balancer with a serverless NEG)`,
    refused: (service) => `let anyone call the ${service} Cloud Run service: grant roles/run.invoker to allUsers`,
  },
  cliEnv: {},
};
