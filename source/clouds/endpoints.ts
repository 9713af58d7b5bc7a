// After the rollout: where each public service answers on the platform, read from the cloud,
// and exactly what the user's domain still needs (DNS records, certificates, custom domains),
// in that cloud's words. One step at the end of every cloud's plan reads it; its answer is kept
// in the journal, so the end screen, `status` and `verify` show the same addresses offline.
import type { Settings } from '../answers/settings.js';
import type { Command } from '../exec/command.js';
import type { Runner } from '../exec/runner.js';
import type { PublicServiceId } from '../membrane/services.js';
import type { ActionStep } from './types.js';

/** One public service on the platform: its host name and the platform's address for it. */
export interface PublicEndpoint {
  service: PublicServiceId;
  /** api.DOMAIN and the like. */
  host: string;
  /** What the host's CNAME must point at: the load balancer's DNS name, the app's FQDN, the service's run.app host. */
  target: string;
  /** Whether the platform can serve TLS for the host today, and what it found. */
  tls: { ok: boolean; detail: string };
}

export interface DnsRecord {
  name: string;
  type: 'CNAME' | 'TXT';
  value: string;
}

export interface Endpoints {
  services: PublicEndpoint[];
  /** The records the domain's zone needs. */
  records: DnsRecord[];
  /** Where the installer itself keeps them (dns.zone), in the cloud's words; absent when the user creates them. */
  zone?: string;
  /** What is left to do besides the records, in the cloud's words and commands. */
  nextSteps: string[];
}

/** The journal output that keeps the endpoints step's answer (one JSON document). */
export const ENDPOINTS_OUTPUT = 'endpoints';

/** It reads and changes nothing, so diff leaves it out. */
export const ENDPOINTS_STEP = 'endpoints';

export function endpointsStep(title: string, preview: () => Command[], read: (runner: Runner) => Promise<Endpoints>): ActionStep {
  return {
    kind: 'action',
    id: ENDPOINTS_STEP,
    title,
    preview,
    async apply({ runner }) {
      return { outcome: 'checked', outputs: { [ENDPOINTS_OUTPUT]: JSON.stringify(await read(runner)) } };
    },
  };
}

/** The endpoints a finished run recorded, from its steps' outputs. */
export function recordedEndpoints(outputs: Readonly<Record<string, string>>): Endpoints | undefined {
  const recorded = outputs[ENDPOINTS_OUTPUT];
  return recorded ? (JSON.parse(recorded) as Endpoints) : undefined;
}

/** `Example.com.` and `example.com` are the same name to DNS. */
export function dnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Whether `domain` is the zone's own name or a name inside it. */
export function inZone(domain: string, zone: string): boolean {
  return dnsName(domain) === dnsName(zone) || dnsName(domain).endsWith(`.${dnsName(zone)}`);
}

/** Whether a certificate name (exact, or a `*.` wildcard of one label) covers the host. */
export function certificateCovers(name: string, host: string): boolean {
  const wanted = host.toLowerCase();
  const given = dnsName(name);
  if (given.startsWith('*.')) return wanted.split('.').slice(1).join('.') === given.slice(2) && wanted.split('.').length === given.split('.').length;
  return given === wanted;
}

/** One line per platform address and TLS state: hosts that share both share the line. */
function platformLines(services: PublicEndpoint[]): string[] {
  const groups = new Map<string, PublicEndpoint[]>();
  for (const service of services) {
    const key = JSON.stringify([service.target, service.tls]);
    groups.set(key, [...(groups.get(key) ?? []), service]);
  }
  return [...groups.values()].map((group) => {
    const { target, tls } = group[0]!;
    return `${group.map((e) => e.host).join(', ')}: on the platform at ${target}; TLS: ${tls.ok ? '' : 'not yet: '}${tls.detail}`;
  });
}

/** The end screen's lines: each public service's address, the records to create, what is left. */
export function endpointLines(endpoints: Endpoints): string[] {
  return [
    ...platformLines(endpoints.services),
    ...(endpoints.records.length
      ? [endpoints.zone ? `DNS records, kept by the installer in ${endpoints.zone}:` : 'DNS records to create in your zone:', ...endpoints.records.map((r) => `  ${r.name.padEnd(32)} ${r.type.padEnd(5)} ${r.value}`)]
      : []),
    ...endpoints.nextSteps,
  ];
}

/** dns.zone on a cloud whose zone the installer cannot write yet: refused before anything runs, never ignored. */
export function unsupportedZone(settings: Settings, zoneKind: string): string[] {
  return settings.answers.dns
    ? [`dns.zone (--dns-zone): creating the records in ${zoneKind} is not in this version; leave it out, and create the records the end screen lists.`]
    : [];
}
