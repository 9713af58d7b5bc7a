// What `gcloud run deploy` is given for each service: sizes Cloud Run accepts, the env file,
// secret references, ingress and scaling, and a hash that tells whether a deploy is needed.
import { createHash } from 'node:crypto';
import type { SettingsFor } from '../../answers/settings.js';
import type { Command, FileArg } from '../../exec/command.js';
import { buildServiceEnvironment } from '../../membrane/env.js';
import { PORT, type ServiceSpec } from '../../membrane/services.js';
import { probeChanges, type ProbeFields } from '../probes.js';
import type { Artifact, Outputs } from '../types.js';
import { gcloudArgv, outputKey, serviceAccounts, type GcpNames } from './names.js';
import { CONCURRENCY, servesRequests } from './scaling.js';

/** Cloud Run's whole-CPU sizes and the most memory (MiB) each allows. */
const MAX_MEMORY_MIB: Record<number, number> = { 1: 4096, 2: 8192, 4: 16384, 6: 24576, 8: 32768 };
const MIN_MEMORY_MIB = 512;
export const SPEC_LABEL = 'membrane-spec';
/** The container runtime contract's names: Cloud Run sets them (PORT from --port) and refuses a revision that does. */
export const CLOUD_RUN_RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'] as const;

/** CPU units (1024 per vCPU, as on ECS) rounded up to a CPU count Cloud Run offers. */
export function cloudRunCpu(units: number): number | undefined {
  return Object.keys(MAX_MEMORY_MIB).map(Number).find((cpus) => cpus * 1024 >= units);
}

export function cloudRunSizeProblem(service: string, units: number, memory: number): string | undefined {
  const cpus = cloudRunCpu(units);
  if (cpus === undefined) return `services.${service}.cpu: ${units} is more than Cloud Run's 8 CPUs (8192).`;
  if (memory < MIN_MEMORY_MIB) return `services.${service}.memory: Cloud Run needs at least ${MIN_MEMORY_MIB} MiB.`;
  if (memory > MAX_MEMORY_MIB[cpus]!) {
    const enough = Object.entries(MAX_MEMORY_MIB).find(([, max]) => max >= memory)?.[0];
    return `services.${service}.memory: ${memory} MiB needs ${enough ? `${enough} CPUs (cpu ${Number(enough) * 1024})` : 'more than Cloud Run offers (32768 MiB at most)'} on Cloud Run.`;
  }
  return undefined;
}

/** The image through the Artifact Registry remote repository that proxies Harbor. */
export function imageOf(spec: ServiceSpec, settings: SettingsFor<'gcp'>, names: GcpNames): string {
  const { project, region } = settings.answers.gcp;
  return `${region}-docker.pkg.dev/${project}/${names.repository}/${spec.image}:${settings.answers.imageTag}`;
}

/** JSON strings are YAML strings: every value quoted, so commas, colons and # stay literal. */
export function envFile(env: Record<string, string>): string {
  return Object.entries(env).map(([name, value]) => `${name}: ${JSON.stringify(value)}\n`).join('');
}

/** The engine services call the runner, MongoDB and Redis through the VPC. */
const usesVpc = (spec: ServiceSpec) => spec.image === 'core/api';

/** Background services and the runner take no traffic from the internet. */
const ingressOf = (spec: ServiceSpec) => (spec.exposure === 'public' ? 'all' : 'internal');

/**
 * A Google load balancer reaches Cloud Run through a serverless NEG, which takes no health check:
 * the guide's check lives on the service as probes on its health path (the container's port). The
 * liveness probe is the guide's (every 30 s, 5 s to answer, 3 failures); the startup probe gives the
 * engine 240 s, the most Cloud Run allows a startup probe's period.
 */
export const GUIDE_PROBE = { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 } as const;

function probesOf(spec: ServiceSpec): Shape['probes'] {
  const httpGet = { path: spec.healthPath };
  return { startup: { httpGet, periodSeconds: 10, timeoutSeconds: GUIDE_PROBE.timeoutSeconds, failureThreshold: 24 }, liveness: { httpGet, ...GUIDE_PROBE } };
}

/** `--startup-probe=httpGet.path=/,periodSeconds=10,…`: gcloud's KEY=VALUE form of each probe. */
function probeFlags(probes: Shape['probes']): string[] {
  const flag = ({ httpGet, ...fields }: ProbeFields) => Object.entries({ 'httpGet.path': httpGet?.path, ...fields }).map(([key, value]) => `${key}=${value}`).join(',');
  return [`--startup-probe=${flag(probes.startup)}`, `--liveness-probe=${flag(probes.liveness)}`];
}

/** The deploy command, and the hash of everything it sets: equal hashes mean nothing to deploy. */
/** What a person changes by hand in the console, as `gcloud run deploy` sets it. */
interface Shape { image: string; cpu: string; memory: string; minInstances: number; maxInstances: number; concurrency?: number; probes: { startup: ProbeFields; liveness: ProbeFields } }

export function deployment(spec: ServiceSpec, settings: SettingsFor<'gcp'>, names: GcpNames, outputs: Outputs): { command: Command; hash: string; envFile: Artifact; shape: Shape } {
  const gcp = settings.answers.gcp;
  const { cpu, memory, replicas, maxReplicas } = settings.sizing[spec.id];
  // Only services after the runner's wave need its URL; the runner itself is deployed before it exists.
  const { env, secrets } = buildServiceEnvironment(spec, settings, {
    customCodeRunnerUri: spec.wave > 1 && spec.image === 'core/api' ? outputs.get(outputKey.runnerUrl) : '',
    storage: { STORAGE_PROVIDER: 'gcs', GOOGLE_CLOUD_PROJECT_ID: gcp.project },
    reservedEnv: CLOUD_RUN_RESERVED_ENV,
  });
  const envArg: FileArg = { prefix: '--env-vars-file=', name: `services/${spec.id}.env.yaml`, content: envFile(env) };
  const shape: Shape = { image: imageOf(spec, settings, names), cpu: String(cloudRunCpu(cpu)), memory: `${memory}Mi`, minInstances: replicas, maxInstances: maxReplicas, ...(servesRequests(spec) ? { concurrency: CONCURRENCY } : {}), probes: probesOf(spec) };
  const flags = [
    `--image=${shape.image}`,
    `--region=${gcp.region}`,
    `--port=${PORT}`,
    `--cpu=${shape.cpu}`,
    `--memory=${shape.memory}`,
    `--min-instances=${shape.minInstances}`,
    `--max-instances=${shape.maxInstances}`,
    ...(shape.concurrency ? [`--concurrency=${shape.concurrency}`] : []),
    // Pinned, not :latest: env secrets are read when an instance starts, so :latest would leave running
    // instances on the old value and change no revision; a new version number rolls exactly the readers.
    ...(secrets.length ? [`--set-secrets=${secrets.map((ref) => `${ref.env}=${names.secret(ref.secret)}:${outputs.get(outputKey.secretVersion(ref.secret))}`).join(',')}`] : []),
    `--service-account=${serviceAccounts(settings, outputs.get(outputKey.projectNumber)).runtime}`,
    `--ingress=${ingressOf(spec)}`,
    // The runner is internal-only but called without Google ID tokens, so it allows unauthenticated calls.
    spec.exposure === 'none' ? '--no-allow-unauthenticated' : '--allow-unauthenticated',
    // Workers and the orchestrator work between requests: their CPU must stay allocated.
    servesRequests(spec) ? '--cpu-throttling' : '--no-cpu-throttling',
    ...(usesVpc(spec) ? [`--network=${gcp.network}`, `--subnet=${gcp.subnet}`, '--vpc-egress=all-traffic'] : []),
    ...probeFlags(shape.probes),
  ];
  const hash = createHash('sha256').update(JSON.stringify([spec.id, flags, envArg.content])).digest('hex').slice(0, 16);
  return {
    command: { argv: gcloudArgv(gcp.project, 'run', 'deploy', names.service(spec.id), ...flags, envArg, `--labels=${names.deploymentLabel},${SPEC_LABEL}=${hash}`, '--async') },
    hash,
    envFile: { path: envArg.name, content: envArg.content! },
    shape,
  };
}

interface ShownService { spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec?: { containerConcurrency?: number; containers?: { image?: string; resources?: { limits?: { cpu?: string; memory?: string } }; startupProbe?: ProbeFields; livenessProbe?: ProbeFields }[] } } } }

/**
 * What differs between the service as `gcloud run services describe` gives it and the answers,
 * in the fields a console edit changes while the installer's label stays: image, instances, concurrency, size, probes.
 */
export function handChanges(shown: ShownService, wanted: Shape): string[] {
  const template = shown.spec?.template;
  const annotations = template?.metadata?.annotations ?? {};
  const [container] = template?.spec?.containers ?? [];
  const compare = (what: string, now: unknown, then: unknown) => (String(now ?? 'none') === String(then) ? [] : [`${what} ${now ?? 'none'} → ${then}`]);
  return [
    ...compare('image', container?.image, wanted.image),
    ...compare('min instances', annotations['autoscaling.knative.dev/minScale'], wanted.minInstances),
    ...compare('max instances', annotations['autoscaling.knative.dev/maxScale'], wanted.maxInstances),
    // Absent is Cloud Run's default, 80 (as a service of an earlier version has it).
    ...(wanted.concurrency ? compare('concurrency', template?.spec?.containerConcurrency ?? 80, wanted.concurrency) : []),
    ...compare('cpu', container?.resources?.limits?.cpu, wanted.cpu),
    ...compare('memory', container?.resources?.limits?.memory, wanted.memory),
    // A new version of the installer may add probes: the deployment then rolls once, and this says why.
    ...probeChanges({ startup: container?.startupProbe, liveness: container?.livenessProbe }, wanted.probes),
  ];
}
