// With an Azure DNS zone in the answers (dns.zone, or --dns-zone), the installer does what the end
// screen would otherwise ask for: it creates the missing CNAME and asuid TXT records, never over a
// record set it did not make, then adds each host to its app and binds a free managed certificate
// (CNAME validation). It runs before the endpoints step, not after it as on AWS: binding changes
// what the endpoints say, so the endpoints are read (and journaled) once the domains are bound.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import { NOT_REPEATABLE, type Runner } from '../../exec/runner.js';
import { fail, pass, type Check } from '../checks.js';
import { runJson } from '../cli-json.js';
import { dnsName, inZone, type DnsRecord } from '../endpoints.js';
import type { ActionStep } from '../types.js';
import { appRecords, isBound, publicAppsReader } from './endpoints.js';
import { azArgv } from './names.js';
import { whileRefused } from './propagation.js';

export interface DnsZone { name: string; resourceGroup: string; zoneType?: string }
export interface RecordSet { name: string; type: string; CNAMERecord?: { cname?: string }; TXTRecords?: { value?: string[] }[] }

/** `az network dns ARGS` on the zone. */
export const zoneArgv = (subscription: string, found: DnsZone, args: string[]) => azArgv(subscription, 'network', 'dns', ...args, '--resource-group', found.resourceGroup, '--zone-name', found.name);
/** The record set's name relative to the zone: api.example.com in example.com is api. */
export const relativeName = (found: DnsZone, name: string) => name.slice(0, name.length - found.name.length - 1);
export const setType = (set: RecordSet) => set.type.split('/').pop()!;
/** A CNAME set's one value; a TXT set's records, each of its chunks joined. */
export const setValues = (set: RecordSet) => (setType(set) === 'CNAME' ? [set.CNAMERecord?.cname ?? ''] : (set.TXTRecords ?? []).map((r) => (r.value ?? []).join('')));
export async function recordSets(runner: Runner, subscription: string, found: DnsZone): Promise<RecordSet[]> {
  const sets = await runJson<RecordSet[]>(runner, { argv: zoneArgv(subscription, found, ['record-set', 'list']) });
  return Array.isArray(sets) ? sets : [];
}

/**
 * Azure checks the records through public DNS before it adds a host (InvalidCustomHostNameValidation
 * until it sees them); Azure DNS serves a new record within about a minute. The runner's backoff to
 * its 6th step: about a minute and a half at most.
 */
const RECORDS_SEEN = { refusal: /InvalidCustomHostNameValidation/, tries: 8, longestStep: 6, waiting: 'waiting until Azure sees the new DNS records' };

const notSeen = (host: string) => new Error(`Azure does not see the CNAME and asuid TXT records of ${host} yet (new records can take minutes to reach every resolver); run resume in a few minutes.`);


/** The public zone named `zone` anywhere in the subscription (its resource group may be another one), or why it cannot hold the domain's records. */
export async function findZone(runner: Runner, settings: SettingsFor<'azure'>, zone: string): Promise<DnsZone | string> {
  const zones = await runJson<DnsZone[]>(runner, { argv: azArgv(settings.answers.azure.subscription, 'network', 'dns', 'zone', 'list') });
  const found = (Array.isArray(zones) ? zones : []).find((z) => dnsName(z.name) === dnsName(zone) && z.zoneType !== 'Private');
  if (!found) return `no public Azure DNS zone named ${zone} in subscription ${settings.answers.azure.subscription}`;
  if (!inZone(settings.answers.domain, zone)) return `${settings.answers.domain} is not in the zone ${zone}`;
  return found;
}

/** Preflight: the zone is there and public, and the domain is inside it. */
export function dnsZoneCheck(settings: SettingsFor<'azure'>, runner: Runner, zone: string): [string, Check] {
  return [`Azure DNS zone ${zone}`, async () => {
    const found = await findZone(runner, settings, zone);
    if (typeof found === 'string') return fail(found, `create it (az network dns zone create --name ${zone} --resource-group ${settings.answers.azure.resourceGroup}) and delegate the domain to its name servers, or leave out dns.zone to create the records yourself`);
    return pass(`in resource group ${found.resourceGroup}: the installer creates the records for api., ui. and console.${settings.answers.domain} and binds managed certificates`);
  }];
}

export function azureDnsStep(settings: SettingsFor<'azure'>, zone: string): ActionStep {
  const { subscription, resourceGroup, environment } = settings.answers.azure;
  const apps = publicAppsReader(settings);
  // --if-none-match: create only; a record set made meanwhile by someone else is refused, not overwritten.
  const create = (found: DnsZone, record: DnsRecord): Command => ({
    argv: record.type === 'CNAME'
      ? zoneArgv(subscription, found, ['record-set', 'cname', 'set-record', '--record-set-name', relativeName(found, record.name), '--cname', record.value, '--if-none-match'])
      : zoneArgv(subscription, found, ['record-set', 'txt', 'add-record', '--record-set-name', relativeName(found, record.name), '--value', record.value, '--if-none-match']),
  });
  const hostname = (verb: 'add' | 'bind', app: string, host: string): Command => ({
    argv: azArgv(subscription, 'containerapp', 'hostname', verb, '--name', app, '--resource-group', resourceGroup, '--hostname', host,
      ...(verb === 'bind' ? ['--environment', environment, '--validation-method', 'CNAME'] : [])),
  });
  const placeholder: DnsZone = { name: zone, resourceGroup: '<the zone\'s resource group>' };

  return {
    kind: 'action',
    id: 'dns-records',
    title: `DNS records in Azure DNS zone ${zone}, custom domains and managed certificates`,
    preview: () => [
      { argv: azArgv(subscription, 'network', 'dns', 'zone', 'list') },
      create(placeholder, { name: `api.${settings.answers.domain}`, type: 'CNAME', value: '<the app\'s FQDN>' }),
      create(placeholder, { name: `asuid.api.${settings.answers.domain}`, type: 'TXT', value: '<the app\'s verification id>' }),
      hostname('add', '<app>', `api.${settings.answers.domain}`),
      hostname('bind', '<app>', `api.${settings.answers.domain}`),
    ],
    async apply(context) {
      const { runner } = context;
      const found = await findZone(runner, settings, zone);
      if (typeof found === 'string') throw new Error(`${found}: the records cannot be created there.`);
      const publicApps = await apps.read(runner);
      const noIngress = publicApps.filter((a) => !a.fqdn || !a.verificationId);
      if (noIngress.length) throw new Error(`${noIngress.map((a) => a.app).join(', ')} ${noIngress.length === 1 ? 'has' : 'have'} no external ingress yet, so ${noIngress.map((a) => a.host).join(', ')} cannot be pointed at it.`);

      const sets = await recordSets(runner, subscription, found);
      const wanted = appRecords(publicApps);
      const named = (record: DnsRecord) => sets.filter((set) => set.name.toLowerCase() === relativeName(found, record.name).toLowerCase());
      // The wanted record is there when its set holds its value. A set of its type with other values is
      // someone else's (a TXT set is not ours to add to), and so is any set beside a CNAME (RFC 1034 3.6.2).
      const clashes = wanted.flatMap((record) => named(record).flatMap((set) => {
        if (setType(set) === record.type) return setValues(set).some((v) => dnsName(v) === dnsName(record.value)) ? [] : [`${record.name} ${record.type} is ${setValues(set).join(', ')}, not ${record.value}`];
        return record.type === 'CNAME' || setType(set) === 'CNAME' ? [`${record.name} has a ${setType(set)} record set, which a ${record.type} record cannot sit beside`] : [];
      }));
      if (clashes.length) throw new Error(`Azure DNS zone ${zone} already has other records: ${clashes.join('; ')}. The installer does not overwrite records it did not make: change or delete them, then run resume.`);
      const missing = wanted.filter((record) => !named(record).some((set) => setType(set) === record.type));
      await Promise.all(missing.map((record) => runJson(runner, create(found, record), NOT_REPEATABLE)));

      // Azure checks both records before it adds a host; add and bind run one after the other per app.
      const unbound = publicApps.filter((a) => !isBound(a.domain));
      await Promise.all(unbound.map(async ({ app, host, domain }) => {
        if (!domain) {
          await whileRefused(context, RECORDS_SEEN, () => runJson(runner, hostname('add', app, host), NOT_REPEATABLE), () => notSeen(host));
        }
        await whileRefused(context, RECORDS_SEEN, () => runJson(runner, hostname('bind', app, host)), () => notSeen(host));
      }));
      return { outcome: missing.length || unbound.length ? 'created' : 'unchanged' };
    },
  };
}
