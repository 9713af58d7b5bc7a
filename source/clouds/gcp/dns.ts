// With a Cloud DNS managed zone in the answers (dns.zone, or --dns-zone), in a region with Cloud Run
// domain mappings, the installer does what the end screen would otherwise ask for: it maps each host
// to its service (Google then provisions a managed certificate) and creates its CNAME to
// ghs.googlehosted.com. in the zone, only what is missing, never over a mapping or a record it did
// not make. Elsewhere the hosts need a load balancer, which this version does not create (index.ts
// refuses dns.zone there). It runs before the endpoints step, which then reads the mappings made.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import { NOT_REPEATABLE, type Runner } from '../../exec/runner.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import { fail, pass, type Check } from '../checks.js';
import { runJson } from '../cli-json.js';
import type { ActionStep } from '../types.js';
import { dnsName, inZone } from '../endpoints.js';
import { DOMAIN_MAPPING_TARGET, domainMappingsList, type DomainMapping } from './endpoints.js';
import { gcloudArgv, gcpNames } from './names.js';

const TTL_SECONDS = 300;

interface ManagedZone { name: string; dnsName: string; visibility?: string }
export interface RecordSet { name: string; type: string; rrdatas?: string[] }


/** The public managed zone whose name or DNS name is `zone`, or why it cannot hold the domain's records. */
export async function findZone(runner: Runner, settings: SettingsFor<'gcp'>, zone: string): Promise<ManagedZone | string> {
  const { project } = settings.answers.gcp;
  const zones = await runJson<ManagedZone[]>(runner, { argv: gcloudArgv(project, 'dns', 'managed-zones', 'list') });
  const public_ = (Array.isArray(zones) ? zones : []).filter((z) => z.visibility !== 'private');
  // A zone's name is unique in the project; its DNS name need not be.
  const forName = public_.filter((z) => dnsName(z.dnsName) === dnsName(zone));
  const found = public_.find((z) => z.name === zone) ?? (forName.length === 1 ? forName[0] : undefined);
  if (forName.length > 1 && !found) return `${forName.length} public Cloud DNS managed zones for ${zone} in project ${project} (${forName.map((z) => z.name).join(', ')}): the installer cannot tell which one the domain is delegated to`;
  if (!found) return `no public Cloud DNS managed zone named ${zone} (or for the DNS name ${zone}) in project ${project}`;
  if (!inZone(settings.answers.domain, found.dnsName)) return `${settings.answers.domain} is not in the zone ${found.name} (${found.dnsName})`;
  return found;
}

/** Preflight: the zone is there and public, and the domain is inside it. */
export function managedZoneCheck(settings: SettingsFor<'gcp'>, runner: Runner, zone: string): [string, Check] {
  const { project } = settings.answers.gcp;
  return [`Cloud DNS managed zone ${zone}`, async () => {
    const found = await findZone(runner, settings, zone);
    if (typeof found === 'string') return fail(found, `create it (gcloud dns managed-zones create ZONE_NAME --dns-name=${dnsName(settings.answers.domain)}. --description="Membrane" --project=${project}) and delegate the domain to its name servers, or leave out dns.zone to create the records yourself`);
    return pass(`${found.name} (${found.dnsName}): the installer maps api., ui. and console.${settings.answers.domain} and creates their CNAME records`);
  }];
}

export function gcpDnsStep(settings: SettingsFor<'gcp'>, zone: string): ActionStep {
  const { project, region } = settings.answers.gcp;
  const names = gcpNames(settings);
  const hosts = PUBLIC_SERVICES.map((service) => ({ host: `${service}.${settings.answers.domain}`, name: names.service(service) }));
  const mapping = (service: string, host: string): Command => ({ argv: gcloudArgv(project, 'beta', 'run', 'domain-mappings', 'create', `--service=${service}`, `--domain=${host}`, `--region=${region}`) });
  const record = (zoneName: string, host: string): Command => ({
    argv: gcloudArgv(project, 'dns', 'record-sets', 'create', `${dnsName(host)}.`, `--zone=${zoneName}`, '--type=CNAME', `--ttl=${TTL_SECONDS}`, `--rrdatas=${DOMAIN_MAPPING_TARGET}`),
  });

  return {
    kind: 'action',
    id: 'dns-records',
    title: `Cloud Run domain mappings and their CNAME records in Cloud DNS zone ${zone}`,
    preview: () => [
      { argv: gcloudArgv(project, 'dns', 'managed-zones', 'list') },
      domainMappingsList(settings),
      { argv: gcloudArgv(project, 'dns', 'record-sets', 'list', '--zone=<the zone\'s name>') },
      ...hosts.flatMap(({ host, name }) => [mapping(name, host), record('<the zone\'s name>', host)]),
    ],
    async apply({ runner }) {
      const found = await findZone(runner, settings, zone);
      if (typeof found === 'string') throw new Error(`${found}: the records cannot be created there.`);
      const [mappings, sets] = await Promise.all([
        runJson<DomainMapping[]>(runner, domainMappingsList(settings)),
        runJson<RecordSet[]>(runner, { argv: gcloudArgv(project, 'dns', 'record-sets', 'list', `--zone=${found.name}`) }),
      ]);
      const mappedTo = (host: string) => (Array.isArray(mappings) ? mappings : []).find((m) => dnsName(m.metadata.name) === dnsName(host))?.spec.routeName;
      const setsAt = (host: string) => (Array.isArray(sets) ? sets : []).filter((set) => dnsName(set.name) === dnsName(host));
      // Ours when the host is mapped to its own service and its only record set is the CNAME to Google;
      // anything else at the name was made by someone else (and a CNAME cannot sit beside other records).
      const clashes = hosts.flatMap(({ host, name }) => [
        ...(mappedTo(host) && mappedTo(host) !== name ? [`${host} is mapped to Cloud Run service ${mappedTo(host)}, not ${name}`] : []),
        ...setsAt(host).filter((set) => !(set.type === 'CNAME' && set.rrdatas?.some((v) => dnsName(v) === dnsName(DOMAIN_MAPPING_TARGET))))
          .map((set) => `${host} ${set.type} is ${(set.rrdatas ?? []).join(', ')}, not CNAME ${DOMAIN_MAPPING_TARGET}`),
      ]);
      if (clashes.length) throw new Error(`${clashes.join('; ')}. The installer does not overwrite mappings or records it did not make: change or delete them, then run resume.`);

      const unmapped = hosts.filter(({ host }) => !mappedTo(host));
      const missing = hosts.filter(({ host }) => setsAt(host).length === 0);
      // Mappings first: Google refuses one for a domain the caller has not verified, and then no record is left behind.
      await Promise.all(unmapped.map(({ host, name }) => runJson(runner, mapping(name, host), NOT_REPEATABLE)));
      await Promise.all(missing.map(({ host }) => runJson(runner, record(found.name, host), NOT_REPEATABLE)));
      return { outcome: unmapped.length || missing.length ? 'created' : 'unchanged' };
    },
  };
}
