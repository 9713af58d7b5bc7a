// Everything the answers leave out, derived from what they say: one place, shown in the
// review and in plan.json, overridable by more keys in the answers file.
import { SERVICES, type ServiceId } from '../membrane/services.js';
import type { Answers, Cloud } from './schema.js';

export interface ServiceSizing {
  cpu: number;
  memory: number;
  /** The fewest instances (the cloud never scales below it). */
  replicas: number;
  /** The most: the catalogue's default unless the answers say, never below replicas; equal to it for a fixed service. */
  maxReplicas: number;
}

export interface Settings {
  name: string;
  answers: Answers;
  /** Prefix of every resource the installer names: "membrane", or "membrane-NAME". */
  prefix: string;
  urls: { api: string; ui: string; console: string; static: string };
  buckets: { tmp: string; connectors: string; static: string };
  sizing: Record<ServiceId, ServiceSizing>;
}

/** Settings whose answers hold cloud C's block: what that cloud's adapter is built from. */
export type SettingsFor<C extends Cloud> = Settings & { answers: { [K in C]: NonNullable<Answers[K]> } };

/**
 * Narrows once, where an adapter is chosen: the schema refuses answers without the chosen
 * cloud's block, so a missing one means the schema was bypassed (a bug, not bad input).
 */
export function settingsFor<C extends Cloud>(settings: Settings, cloud: C): SettingsFor<C> {
  if (!settings.answers[cloud]) throw new Error(`Internal error: the answers have no "${cloud}" block, which the schema requires for cloud "${cloud}".`);
  return settings as SettingsFor<C>;
}

export function deriveSettings(name: string, answers: Answers): Settings {
  const prefix = name === 'default' ? 'membrane' : `membrane-${name}`;
  const { domain } = answers;
  const bucketBase = `${prefix}-${domain.replaceAll('.', '-')}`.toLowerCase().slice(0, 52);
  const sizing = Object.fromEntries(
    SERVICES.map((spec) => {
      const override = answers.services[spec.id] ?? {};
      const replicas = override.replicas ?? spec.defaultReplicas;
      // A higher replicas than the default max raises the max with it (the schema refuses an explicit max below it).
      const maxReplicas = spec.scaling.metric === 'fixed' ? replicas : (override.maxReplicas ?? Math.max(spec.scaling.defaultMaxReplicas, replicas));
      return [
        spec.id,
        {
          cpu: override.cpu ?? spec.defaultCpuMillicores,
          memory: override.memory ?? spec.defaultMemoryMiB,
          replicas,
          maxReplicas,
        },
      ];
    }),
  ) as Record<ServiceId, ServiceSizing>;
  return {
    name,
    answers,
    prefix,
    urls: {
      api: `https://api.${domain}`,
      ui: `https://ui.${domain}`,
      console: `https://console.${domain}`,
      static: answers.storage.staticUri ?? `https://static.${domain}`,
    },
    buckets: {
      tmp: answers.storage.tmpBucket ?? `${bucketBase}-tmp`,
      connectors: answers.storage.connectorsBucket ?? `${bucketBase}-connectors`,
      static: answers.storage.staticBucket ?? `${bucketBase}-static`,
    },
    sizing,
  };
}

/** Sizes below the documented minimums are refused before anything runs. */
export function sizingProblems(settings: Settings): string[] {
  return SERVICES.flatMap((spec) => {
    const { cpu, memory } = settings.sizing[spec.id];
    const problems: string[] = [];
    if (cpu < spec.minCpuMillicores) problems.push(`services.${spec.id}.cpu: ${cpu} is below the documented minimum of ${spec.minCpuMillicores} millicores.`);
    if (memory < spec.minMemoryMiB) problems.push(`services.${spec.id}.memory: ${memory} is below the documented minimum of ${spec.minMemoryMiB} MiB.`);
    return problems;
  });
}
