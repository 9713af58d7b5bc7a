// uninstall on Cloud Run: what the installer made for this deployment, found in the cloud itself.
// Everything it makes that can carry a label carries membrane-deployment=NAME (services, secrets,
// the Artifact Registry repository), so a lost journal finds the same: the journal's outputs add
// nothing here. One found under the installer's name without the label was there before (the
// install adopts what exists) and stays. Domain mappings and Cloud DNS records cannot carry one:
// they go only with dns.zone (only then does the install write them), and only when they are what
// it writes. The IAM bindings it adds are on its own secrets and services and go with them. The
// project, its APIs (other things may use them), the VPC, the service account and the managed
// zone are the user's and never touched.
import type { SecretKey } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg, Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { PUBLIC_SERVICES, SERVICES } from '../../membrane/services.js';
import { findOrNull, runJson, unlessGone } from '../cli-json.js';
import { dnsName } from '../endpoints.js';
import type { Removal, UninstallOptions, UninstallPlan } from '../types.js';
import { SECRET_SUFFIX } from '../secret-names.js';
import { findZone, type RecordSet } from './dns.js';
import { DOMAIN_MAPPING_REGIONS, DOMAIN_MAPPING_TARGET, domainMappingsList, type DomainMapping } from './endpoints.js';
import { gcloudArgv, gcpNames } from './names.js';
import type { KnativeService } from './observe.js';

interface Labelled { labels?: Record<string, string> }

export async function gcpUninstall(settings: SettingsFor<'gcp'>, runner: Runner, _known: Readonly<Record<string, string>>, options: UninstallOptions): Promise<UninstallPlan> {
  const names = gcpNames(settings);
  const { project, region, network, subnet, serviceAccount } = settings.answers.gcp;
  const zone = settings.answers.dns?.zone;
  const mapped = DOMAIN_MAPPING_REGIONS.includes(region);
  const gcloud = (...args: Arg[]): Command => ({ argv: gcloudArgv(project, ...args) });
  const [labelKey, labelValue] = names.deploymentLabel.split('=') as [string, string];
  const isOurs = (labels: Labelled['labels']) => labels?.[labelKey] === labelValue;
  const noLabel = `does not carry the label ${names.deploymentLabel}, so the installer did not make it: left as it is`;
  const kept: string[] = [];
  const notes: string[] = [];
  const hosts = PUBLIC_SERVICES.map((service) => ({ host: `${service}.${settings.answers.domain}`, name: names.service(service) }));
  /** A removal whose one command counts a "not found" as done: what is gone is removed. */
  const single = (title: string, kind: string, id: string, group: string | undefined, command: Command): Removal => ({
    title, kind, id, ...(group && { group }), preview: () => [command], remove: (runner) => unlessGone(runner.run(command)),
  });

  const listed = runJson<KnativeService[]>(runner, gcloud('run', 'services', 'list', `--region=${region}`)).then((list) => (Array.isArray(list) ? list : []));
  const mappingList = mapped ? runJson<DomainMapping[]>(runner, domainMappingsList(settings)).then((list) => (Array.isArray(list) ? list : [])) : Promise.resolve([]);
  const mappedTo = async (host: string) => (await mappingList).find((m) => dnsName(m.metadata.name) === dnsName(host))?.spec.routeName;
  /** Why the host's mapping is not the installer's: to another service, or to one of our name the installer did not deploy. */
  async function notOurRoute(host: string, name: string): Promise<string | undefined> {
    const route = await mappedTo(host);
    if (route && route !== name) return `${host} is mapped to Cloud Run service ${route}, not ${name}`;
    const service = (await listed).find((s) => s.metadata.name === name);
    if (route && service && !isOurs(service.metadata.labels)) return `${host} is mapped to ${name}, which the installer did not deploy (no label ${names.deploymentLabel})`;
    return undefined;
  }

  async function dnsRecords(): Promise<Removal[]> {
    if (!zone || !mapped) return [];
    const found = await findZone(runner, settings, zone);
    if (typeof found === 'string') {
      kept.push(`DNS records: ${found}, so none is looked at`);
      return [];
    }
    const sets = await runJson<RecordSet[]>(runner, gcloud('dns', 'record-sets', 'list', `--zone=${found.name}`));
    const removals = await Promise.all(hosts.map(async ({ host, name }): Promise<Removal | undefined> => {
      const atHost = (Array.isArray(sets) ? sets : []).filter((set) => dnsName(set.name) === dnsName(host));
      if (!atHost.length) return undefined;
      const [set] = atHost;
      // What the install writes: the one record at the name, a CNAME to Google's front end, serving our service's mapping.
      const written = atHost.length === 1 && set!.type === 'CNAME' && set!.rrdatas?.length === 1 && dnsName(set!.rrdatas[0]!) === dnsName(DOMAIN_MAPPING_TARGET);
      const foreign = written ? await notOurRoute(host, name) : `not the CNAME ${DOMAIN_MAPPING_TARGET} the install writes`;
      if (foreign) {
        kept.push(`DNS record${atHost.length > 1 ? 's' : ''} ${host} ${atHost.map((s) => `${s.type} ${(s.rrdatas ?? []).join(', ')}`).join('; ')} in zone ${found.name}: ${foreign}: left as it is`);
        return undefined;
      }
      return single(`DNS record ${host} CNAME ${DOMAIN_MAPPING_TARGET} (Cloud DNS zone ${found.name}: the zone stays)`, 'dns-record', `${found.name}/${dnsName(host)}./CNAME`, 'dns-records',
        gcloud('dns', 'record-sets', 'delete', `${dnsName(host)}.`, `--zone=${found.name}`, '--type=CNAME'));
    }));
    return removals.filter((removal): removal is Removal => removal !== undefined);
  }

  async function domainMappings(): Promise<Removal[]> {
    if (!mapped) return [];
    const removals = await Promise.all(hosts.map(async ({ host, name }): Promise<Removal | undefined> => {
      if (!(await mappedTo(host))) return undefined;
      const foreign = await notOurRoute(host, name);
      if (foreign) {
        kept.push(`Domain mapping ${host}: ${foreign}: left as it is`);
        return undefined;
      }
      if (!zone) {
        // Without dns.zone the install only printed the command that made it.
        kept.push(`Domain mapping ${host} -> ${name}: the install did not make it (no dns.zone), so it stays; with ${name} gone it serves nothing. Remove it with: gcloud beta run domain-mappings delete --domain=${host} --region=${region} --project=${project}`);
        return undefined;
      }
      return single(`Domain mapping ${host} -> ${name}, with its Google-managed certificate`, 'domain-mapping', host, 'domain-mappings',
        gcloud('beta', 'run', 'domain-mappings', 'delete', `--domain=${host}`, `--region=${region}`));
    }));
    return removals.filter((removal): removal is Removal => removal !== undefined);
  }

  async function services(): Promise<Removal[]> {
    const found = await listed;
    // The reverse of the install's waves; a labelled service of another name (an earlier catalogue) goes first.
    const order = SERVICES.map((spec) => names.service(spec.id)).reverse();
    const rank = (name: string) => order.indexOf(name);
    const candidates = found.filter((service) => rank(service.metadata.name) >= 0 || isOurs(service.metadata.labels)).sort((a, b) => rank(a.metadata.name) - rank(b.metadata.name));
    return candidates.flatMap((service): Removal[] => {
      const { name } = service.metadata;
      if (!isOurs(service.metadata.labels)) {
        kept.push(`Cloud Run service ${name} in ${region} ${noLabel}`);
        return [];
      }
      return [single(`Cloud Run service ${name} (${region}), its revisions and who may invoke it`, 'cloud-run-service', name, 'cloud-run-services',
        gcloud('run', 'services', 'delete', name, `--region=${region}`))];
    });
  }

  async function repository(): Promise<Removal[]> {
    const found = await findOrNull<Labelled>(runner, gcloud('artifacts', 'repositories', 'describe', names.repository, `--location=${region}`));
    if (!found) return [];
    if (!isOurs(found.labels)) {
      kept.push(`Artifact Registry repository ${names.repository} in ${region} ${noLabel}`);
      return [];
    }
    // Without --async gcloud waits for the long-running operation, so the secret it reads goes only after it.
    return [single(`Artifact Registry repository ${names.repository} (${region}), with the images it cached from ${settings.answers.registry.server}`, 'artifact-repository', names.repository, undefined,
      gcloud('artifacts', 'repositories', 'delete', names.repository, `--location=${region}`))];
  }

  async function secrets(): Promise<Removal[]> {
    const found = await runJson<({ name: string } & Labelled)[]>(runner, gcloud('secrets', 'list'));
    const ourNames = new Set((Object.keys(SECRET_SUFFIX) as SecretKey[]).map((key) => names.secret(key)));
    return (Array.isArray(found) ? found : []).flatMap((secret): Removal[] => {
      const name = secret.name.split('/').pop()!;
      if (!isOurs(secret.labels)) {
        if (ourNames.has(name)) kept.push(`Secret ${name} ${noLabel}`);
        return [];
      }
      if (!options.deleteSecrets) {
        kept.push(`Secret ${name} stays, with the access the install granted on it: secrets go only with --delete-secrets`);
        return [];
      }
      return [single(`Secret ${name} and all its versions: deleted at once, not recoverable`, 'secret', name, 'secrets', gcloud('secrets', 'delete', name))];
    });
  }

  const [records, mappings, deployed, repo, stored] = await Promise.all([dnsRecords(), domainMappings(), services(), repository(), secrets()]);
  if (stored.length) {
    notes.push('Secret Manager deletes a secret and every version of it at once: there is no recovery window, so the values are gone (cloud.google.com/secret-manager/docs/delete-secrets). Keep a copy elsewhere if you may need them.');
  }
  kept.push(`Never touched: your project ${project} and its enabled APIs (other things may use them), VPC network ${network}/${subnet}, the service account ${serviceAccount ?? 'the services ran as (the project\'s default compute one)'}${zone ? ` and Cloud DNS zone ${zone}` : ''}`);
  // The reverse of the install's order: records, mappings, services, repository, secrets.
  return { removals: [...records, ...mappings, ...deployed, ...repo, ...stored], kept, notes };
}
