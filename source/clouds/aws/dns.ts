// With a Route 53 hosted zone in the answers (dns.zone, or --dns-zone), the installer writes the
// CNAME records the end screen would otherwise ask for: one change batch, only the records that
// are missing, never over a record it did not make; then it waits until Route 53 serves them.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import { NOT_REPEATABLE, type Runner } from '../../exec/runner.js';
import { runJson } from '../cli-json.js';
import { dnsName, ENDPOINTS_OUTPUT, inZone, type DnsRecord, type Endpoints } from '../endpoints.js';
import { fail, pass, type Check } from '../checks.js';
import type { ActionStep } from '../types.js';
import { awsArgv } from './names.js';

const TTL_SECONDS = 300;
/** Route 53 applies a change to its servers within about a minute. */
const SYNC_ATTEMPTS = 60;
const SYNC_INTERVAL_MS = 3000;

interface HostedZone { Id: string; Name: string; Config?: { PrivateZone?: boolean } }
export interface RecordSet { Name: string; Type: string; ResourceRecords?: { Value: string }[] }

/** The public hosted zone named `zone`, if the account has one. */
export async function publicHostedZone(runner: Runner, region: string, zone: string): Promise<HostedZone | undefined> {
  const { HostedZones = [] } = await runJson(runner, { argv: awsArgv(region, 'route53', 'list-hosted-zones-by-name', '--dns-name', zone) });
  return (HostedZones as HostedZone[]).find((z) => dnsName(z.Name) === dnsName(zone) && !z.Config?.PrivateZone);
}

/** The zone's record set of the record's name and type, as Route 53 holds it. */
export async function recordSetOf(runner: Runner, region: string, zoneId: string, record: DnsRecord): Promise<RecordSet | undefined> {
  const { ResourceRecordSets = [] } = await runJson(runner, {
    argv: awsArgv(region, 'route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId, '--start-record-name', record.name, '--start-record-type', record.type, '--max-items', '1'),
  });
  return (ResourceRecordSets as RecordSet[]).find((set) => dnsName(set.Name) === dnsName(record.name) && set.Type === record.type);
}


/** The public hosted zone named `zone`, or why it cannot hold the domain's records. */
async function findZone(runner: Runner, settings: SettingsFor<'aws'>, zone: string): Promise<HostedZone | string> {
  const found = await publicHostedZone(runner, settings.answers.aws.region, zone);
  if (!found) return `no public Route 53 hosted zone named ${zone} in this account`;
  if (!inZone(settings.answers.domain, zone)) return `${settings.answers.domain} is not in the zone ${zone}`;
  return found;
}

/** Preflight: the zone is there and public, and the domain is inside it. */
export function hostedZoneCheck(settings: SettingsFor<'aws'>, runner: Runner, zone: string): [string, Check] {
  return [`Route 53 hosted zone ${zone}`, async () => {
    const found = await findZone(runner, settings, zone);
    if (typeof found === 'string') return fail(found, `create it (aws route53 create-hosted-zone --name ${zone} --caller-reference $(date +%s)) and delegate the domain to its name servers, or leave out dns.zone to create the records yourself`);
    return pass(`${found.Id.split('/').pop()}: the installer creates the records for api., ui. and console.${settings.answers.domain}`);
  }];
}

export function dnsRecordsStep(settings: SettingsFor<'aws'>, zone: string): ActionStep {
  const { region } = settings.answers.aws;
  const change = (zoneId: string, records: DnsRecord[]): Command => ({
    argv: awsArgv(region, 'route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', {
      prefix: 'file://',
      name: 'dns-records.json',
      content: `${JSON.stringify({
        Comment: `Membrane deployment ${settings.name} (create-membrane-deploy)`,
        Changes: records.map((record) => ({ Action: 'CREATE', ResourceRecordSet: { Name: record.name, Type: record.type, TTL: TTL_SECONDS, ResourceRecords: [{ Value: record.value }] } })),
      }, null, 2)}\n`,
    }),
  });
  return {
    kind: 'action',
    id: 'dns-records',
    title: `DNS records in Route 53 zone ${zone}`,
    preview: () => [change('<the zone\'s id>', [])],
    async apply({ runner, outputs }) {
      const found = await findZone(runner, settings, zone);
      if (typeof found === 'string') throw new Error(`${found}: the records cannot be created there.`);
      const wanted = (JSON.parse(outputs.get(ENDPOINTS_OUTPUT)) as Endpoints).records;
      const existing = await Promise.all(wanted.map((record) => recordSetOf(runner, region, found.Id, record)));
      const clashes = wanted.flatMap((record, index) => {
        const values = existing[index]?.ResourceRecords?.map((r) => dnsName(r.Value)) ?? [];
        return existing[index] && !values.includes(dnsName(record.value)) ? [`${record.name} ${record.type} is ${values.join(', ')}, not ${record.value}`] : [];
      });
      if (clashes.length) throw new Error(`Route 53 zone ${zone} already has other records: ${clashes.join('; ')}. The installer does not overwrite records it did not make: change or delete them, then run resume.`);
      const missing = wanted.filter((_, index) => !existing[index]);
      if (missing.length === 0) return { outcome: 'unchanged' };
      const { ChangeInfo } = await runJson(runner, change(found.Id, missing), NOT_REPEATABLE);
      await waitUntilServed(runner, region, ChangeInfo.Id);
      return { outcome: 'created' };
    },
  };
}

async function waitUntilServed(runner: Runner, region: string, changeId: string): Promise<void> {
  for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
    const { ChangeInfo } = await runJson(runner, { argv: awsArgv(region, 'route53', 'get-change', '--id', changeId) });
    if (ChangeInfo.Status === 'INSYNC') return;
    await new Promise((resolve) => setTimeout(resolve, SYNC_INTERVAL_MS));
  }
  throw new Error(`Route 53 had not applied change ${changeId} after 3 minutes; run resume to look again.`);
}
