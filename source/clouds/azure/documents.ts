// The Container App documents (`az containerapp create|update --yaml`; JSON is YAML): image,
// ingress, sizes, scale, env with every secret wired through secretref, and Key Vault
// references read with the identity of the app's reader — including the registry password.
import { createHash } from 'node:crypto';
import type { SettingsFor } from '../../answers/settings.js';
import { buildServiceEnvironment } from '../../membrane/env.js';
import { PORT, type ServiceSpec } from '../../membrane/services.js';
import { probeChanges, type ProbeFields } from '../probes.js';
import type { Outputs } from '../types.js';
import { azureNames, outputKey, readerOf, type AzureNames, type Reader } from './names.js';
import { scaleOf } from './scaling.js';
import type { SecretKey } from '../../answers/schema.js';
import { SERVICES } from '../../membrane/services.js';

export const SPEC_TAG = 'membrane-spec';
/**
 * The versions of the secrets the container reads, as a plain env var (ids, never values). Secrets
 * are app-scoped on Container Apps: a changed reference alone makes no new revision, and running
 * replicas keep the old value. This var is in the template, so a rotation makes a new revision of
 * exactly the readers, and the registry password (read only when pulling) none.
 */
export const SECRET_VERSIONS_ENV = 'MEMBRANE_DEPLOY_SECRET_VERSIONS';
/** Consumption plan: 0.25 to 4 vCPU in quarters, always with twice as many GiB of memory. */
const CPU_STEP = 0.25;
const MAX_CPU = 4;

/** CPU (vCPU) for the requested CPU units and memory: the smallest Consumption size that covers both. */
export function containerAppCpu(units: number, memoryMiB: number): number {
  const wanted = Math.max(units / 1024, memoryMiB / 2048);
  return Math.ceil(wanted / CPU_STEP) * CPU_STEP;
}

export function containerAppSizeProblem(service: string, units: number, memoryMiB: number): string | undefined {
  if (containerAppCpu(units, memoryMiB) > MAX_CPU) {
    return `services.${service}: ${units} CPU units with ${memoryMiB} MiB needs more than the Consumption plan's ${MAX_CPU} vCPU / 8 GiB.`;
  }
  return undefined;
}

export function runnerUri(names: AzureNames, outputs: Outputs): string {
  // Internal ingress: reachable only inside the environment, at app.internal.<default domain>.
  return `https://${names.app('custom-code-runner')}.internal.${outputs.get(outputKey.environmentDomain)}`;
}

/** The secrets an app references in Key Vault: the registry password, and those its env reads. */
export function referencedSecrets(spec: ServiceSpec, settings: SettingsFor<'azure'>): SecretKey[] {
  // Which secrets a service reads does not depend on the cloud's values.
  const { secrets } = buildServiceEnvironment(spec, settings, { customCodeRunnerUri: '', storage: {} });
  return ['registryPassword', ...secrets.map((ref) => ref.secret)];
}

/** What a reader's identity may read: the secrets its apps reference, and nothing else. */
export function readerSecrets(reader: Reader, settings: SettingsFor<'azure'>): SecretKey[] {
  return [...new Set(SERVICES.filter((spec) => readerOf(spec) === reader).flatMap((spec) => referencedSecrets(spec, settings)))];
}

/**
 * The guide's health check as Container Apps probes on the service's health path: every 30 s, 5 s to
 * answer, 3 failures. Liveness restarts a replica that stops answering; Readiness takes it out of
 * ingress. Startup is generous (the engine connects to MongoDB and Redis first) within Azure's ranges:
 * failureThreshold at most 10, periodSeconds and timeoutSeconds at most 240.
 */
export function probesOf(spec: ServiceSpec) {
  const httpGet = { path: spec.healthPath, port: PORT };
  const { periodSeconds, timeoutSeconds, failureThreshold } = GUIDE_PROBE;
  return [
    { type: 'Startup', httpGet, periodSeconds: 30, timeoutSeconds, failureThreshold: 10 },
    { type: 'Liveness', httpGet, periodSeconds, timeoutSeconds, failureThreshold },
    { type: 'Readiness', httpGet, periodSeconds, timeoutSeconds, failureThreshold },
  ];
}

/** The guide's load-balancer check, as a probe: interval 30 s, timeout 5 s, unhealthy after 3. */
export const GUIDE_PROBE = { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 } as const;

function ingressOf(spec: ServiceSpec) {
  if (spec.exposure === 'none') return undefined;
  return { external: spec.exposure === 'public', targetPort: PORT, transport: 'auto', allowInsecure: false };
}

export function appDocument(spec: ServiceSpec, settings: SettingsFor<'azure'>, outputs: Outputs) {
  const names = azureNames(settings);
  const azure = settings.answers.azure;
  const { cpu, memory } = settings.sizing[spec.id];
  const { env, secrets } = buildServiceEnvironment(spec, settings, {
    customCodeRunnerUri: spec.image === 'core/api' ? runnerUri(names, outputs) : '',
    // Managed identity instead of a storage key; AZURE_CLIENT_ID picks the user-assigned one.
    storage: { STORAGE_PROVIDER: 'abs', AZURE_STORAGE_ACCOUNT_NAME: names.storageAccount, AZURE_CLIENT_ID: outputs.get(outputKey.identityClientId('engine')) },
  });
  const identity = outputs.get(outputKey.identityId(readerOf(spec)));
  const keys = referencedSecrets(spec, settings);
  const vaultUri = outputs.get(outputKey.vaultUri).replace(/\/?$/, '/');
  const vcpu = containerAppCpu(cpu, memory);
  const ingress = ingressOf(spec);
  const document = {
    location: azure.location,
    identity: { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } },
    properties: {
      managedEnvironmentId: outputs.get(outputKey.environmentId),
      configuration: {
        activeRevisionsMode: 'Single',
        ...(ingress ? { ingress } : {}),
        // Key Vault references, each pinned to the version the secret step stored or found: the app holds
        // no value, so read access to the app reveals none.
        secrets: keys.map((key) => ({ name: names.appSecret(key), keyVaultUrl: `${vaultUri}secrets/${names.vaultSecret(key)}/${outputs.get(outputKey.secretVersion(key))}`, identity })),
        registries: [{ server: settings.answers.registry.server, username: settings.answers.registry.username, passwordSecretRef: names.appSecret('registryPassword') }],
      },
      template: {
        containers: [
          {
            name: spec.id,
            image: `${settings.answers.registry.server}/${spec.image}:${settings.answers.imageTag}`,
            env: [
              ...Object.entries(env).map(([name, value]) => ({ name, value })),
              ...secrets.map((ref) => ({ name: ref.env, secretRef: names.appSecret(ref.secret) })),
              ...(secrets.length ? [{ name: SECRET_VERSIONS_ENV, value: secrets.map((ref) => `${ref.env}=${outputs.get(outputKey.secretVersion(ref.secret))}`).join(',') }] : []),
            ],
            resources: { cpu: vcpu, memory: `${vcpu * 2}Gi` },
            probes: probesOf(spec),
          },
        ],
        scale: scaleOf(spec, settings),
      },
    },
    tags: { ...names.tags } as Record<string, string>,
  };
  // The hash covers everything above; it goes into the tags so a re-run can compare.
  document.tags[SPEC_TAG] = createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 16);
  return document;
}

type AppDocument = ReturnType<typeof appDocument>;

interface ShownRule { name?: string; http?: { metadata?: Record<string, string> }; [type: string]: unknown }

/** Rules by name, kind and HTTP concurrency (what a portal edit changes; the API may add empty fields), so an edited or removed rule shows. */
const ruleNames = (rules: ShownRule[] = []) => (rules.length
  ? rules.map((rule) => (rule.http ? `${rule.name} (HTTP ${rule.http.metadata?.concurrentRequests ?? '?'})` : `${rule.name} (${Object.keys(rule).find((key) => key !== 'name' && rule[key]) ?? '?'})`)).join(', ')
  : 'none');
const byType = (probes: (ProbeFields & { type?: string })[] = []) => Object.fromEntries(probes.map((probe) => [(probe.type ?? 'Liveness').toLowerCase(), probe]));
interface ShownApp { properties?: { template?: { containers?: { image?: string; env?: { name: string; value?: string; secretRef?: string }[]; resources?: { cpu?: number; memory?: string }; probes?: (ProbeFields & { type?: string })[] }[]; scale?: { minReplicas?: number; maxReplicas?: number; rules?: ShownRule[] } } } }

/**
 * What differs between the app as `az containerapp show` gives it and as the answers make it, in
 * the fields a person changes by hand (the portal keeps the installer's hash tag, so the tag alone
 * would not tell): image, replicas, scale rules, size, env, probes.
 */
export function handChanges(shown: ShownApp, wanted: AppDocument): string[] {
  const live = shown.properties?.template;
  const [container] = live?.containers ?? [];
  const [want] = wanted.properties.template.containers;
  const envOf = (list: { name: string; value?: string; secretRef?: string }[] = []) => new Map(list.map((e) => [e.name, e.secretRef ? `secretref:${e.secretRef}` : (e.value ?? '')]));
  const [liveEnv, wantEnv] = [envOf(container?.env), envOf(want!.env)];
  const envChanged = [...new Set([...liveEnv.keys(), ...wantEnv.keys()])].filter((name) => liveEnv.get(name) !== wantEnv.get(name));
  const compare = (what: string, now: unknown, then: unknown) => (now === then ? [] : [`${what} ${now ?? 'none'} → ${then}`]);
  return [
    ...compare('image', container?.image, want!.image),
    ...compare('min replicas', live?.scale?.minReplicas, wanted.properties.template.scale.minReplicas),
    ...compare('max replicas', live?.scale?.maxReplicas, wanted.properties.template.scale.maxReplicas),
    ...compare('scale rules', ruleNames(live?.scale?.rules), ruleNames(wanted.properties.template.scale.rules)),
    ...compare('cpu', container?.resources?.cpu, want!.resources.cpu),
    ...compare('memory', container?.resources?.memory, want!.resources.memory),
    // Names only: a value may be a secret's reference, and the names say enough.
    ...(envChanged.length ? [`env ${envChanged.join(', ')}`] : []),
    // A new version of the installer may add probes: the deployment then rolls once, and this says why.
    ...probeChanges(byType(container?.probes), byType(want!.probes)),
  ];
}
