// Where api., ui. and console. answer on Cloud Run, and what the domain needs. A service's run.app
// host cannot be a custom domain's CNAME target: Google serves a custom domain either through a
// Cloud Run domain mapping (CNAME HOST -> ghs.googlehosted.com., with a Google-managed certificate;
// Preview, only in some regions, and not recommended for production because of latency) or through
// a global external Application Load Balancer with serverless NEGs and a Google-managed certificate
// (generally available, every region; an A record to its reserved address).
// We choose domain mappings where the region has them (three CNAMEs and one command per host), and
// the load balancer elsewhere, and say so. One `gcloud run services list` gives every URL; in a
// domain-mapping region one `gcloud beta run domain-mappings list` tells which hosts are mapped and
// whether their certificate is ready. Read-only.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { firstUseSteps } from '../../membrane/first-use.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import { endpointsStep, type Endpoints, type PublicEndpoint } from '../endpoints.js';
import type { ActionStep } from '../types.js';
import { gcloudArgv, gcpNames } from './names.js';
import type { KnativeService } from './observe.js';

/** cloud.google.com/run/docs/mapping-custom-domains, "Limitations": the regions with domain mappings. */
export const DOMAIN_MAPPING_REGIONS: readonly string[] = [
  'asia-east1', 'asia-northeast1', 'asia-southeast1', 'europe-north1', 'europe-west1', 'europe-west4', 'us-central1', 'us-east1', 'us-east4', 'us-west1',
];
/** What Google's answer to a domain mapping of a subdomain names as its CNAME target. */
export const DOMAIN_MAPPING_TARGET = 'ghs.googlehosted.com.';

interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; message?: string; reason?: string }
export interface DomainMapping {
  metadata: { name: string };
  spec: { routeName: string };
  status?: { conditions?: Condition[]; resourceRecords?: { type: string; rrdata: string }[] };
}

/** One `gcloud beta run domain-mappings list` gives the region's mappings (Preview: only gcloud beta has it). */
export function domainMappingsList(settings: SettingsFor<'gcp'>): Command {
  const { project, region } = settings.answers.gcp;
  return { argv: gcloudArgv(project, 'beta', 'run', 'domain-mappings', 'list', `--region=${region}`) };
}

export function gcpEndpointsStep(settings: SettingsFor<'gcp'>): ActionStep {
  const { project, region } = settings.answers.gcp;
  const names = gcpNames(settings);
  const mapped = DOMAIN_MAPPING_REGIONS.includes(region);
  const services: Command = { argv: gcloudArgv(project, 'run', 'services', 'list', `--region=${region}`) };
  const mappings = domainMappingsList(settings);
  const zone = settings.answers.dns?.zone;
  const hostOf = (service: string) => `${service}.${settings.answers.domain}`;
  const flags = `--project=${project}`;

  async function read(runner: Runner): Promise<Endpoints> {
    const [listed, mappingList] = await Promise.all([
      runJson<KnativeService[]>(runner, services),
      mapped ? runJson<DomainMapping[]>(runner, mappings) : Promise.resolve([]),
    ]);
    const deployed = Array.isArray(listed) ? listed : [];
    const domainMappings = Array.isArray(mappingList) ? mappingList : [];

    const endpoints = PUBLIC_SERVICES.map((service): PublicEndpoint => {
      const host = hostOf(service);
      const name = names.service(service);
      const target = deployed.find((s) => s.metadata.name === name)?.status?.url ?? `(${name} is not deployed in ${region})`;
      if (!mapped) return { service, host, target, tls: { ok: false, detail: `no custom domain yet: ${region} has no Cloud Run domain mappings, a load balancer is needed (commands below)` } };
      const mapping = domainMappings.find((m) => m.metadata.name.toLowerCase() === host.toLowerCase());
      if (!mapping) return { service, host, target, tls: { ok: false, detail: `no domain mapping yet for ${host} (commands below)` } };
      if (mapping.spec.routeName !== name) return { service, host, target, tls: { ok: false, detail: `${host} is mapped to ${mapping.spec.routeName}, not ${name}` } };
      const ready = mapping.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') return { service, host, target, tls: { ok: false, detail: `domain mapping to ${name} not ready yet: ${ready?.message ?? ready?.reason ?? 'its Google-managed certificate is being provisioned'}` } };
      return { service, host, target, tls: { ok: true, detail: `domain mapping to ${name}, with a Google-managed certificate` } };
    });

    if (!mapped) return { services: endpoints, records: [], nextSteps: [...loadBalancerSteps(), ...firstUseSteps(settings)] };
    const unmapped = PUBLIC_SERVICES.filter((service) => !domainMappings.some((m) => m.metadata.name.toLowerCase() === hostOf(service).toLowerCase()));
    return {
      services: endpoints,
      records: PUBLIC_SERVICES.map((service) => ({ name: hostOf(service), type: 'CNAME' as const, value: DOMAIN_MAPPING_TARGET })),
      ...(zone ? { zone: `Cloud DNS managed zone ${zone}` } : {}),
      nextSteps: [
        ...(unmapped.length
          ? [
              `Custom domains: ${region} has Cloud Run domain mappings, the shortest way (a CNAME and one command per host; Google provisions the certificate once the CNAME resolves). They are in Preview and Google does not recommend them for production because of latency; the generally available alternative is a global external Application Load Balancer with serverless NEGs.`,
              `  gcloud domains verify ${settings.answers.domain}   (once: Google needs to know you own the domain)`,
              ...unmapped.map((service) => `  gcloud beta run domain-mappings create --service=${names.service(service)} --domain=${hostOf(service)} --region=${region} ${flags}`),
            ]
          : []),
        ...firstUseSteps(settings),
      ],
    };
  }

  /** A global external Application Load Balancer: one address, one certificate for the three hosts, host rules to each service's serverless NEG. */
  function loadBalancerSteps(): string[] {
    const { prefix } = settings;
    const backend = (service: string) => `${prefix}-${service}-backend`;
    return [
      `Custom domains: ${region} has no Cloud Run domain mappings, so the hosts go through a global external Application Load Balancer (generally available; serverless NEGs to the services, one Google-managed certificate):`,
      `  gcloud compute addresses create ${prefix}-ip --global ${flags}`,
      ...PUBLIC_SERVICES.flatMap((service) => [
        `  gcloud compute network-endpoint-groups create ${prefix}-${service}-neg --region=${region} --network-endpoint-type=serverless --cloud-run-service=${names.service(service)} ${flags}`,
        `  gcloud compute backend-services create ${backend(service)} --global --load-balancing-scheme=EXTERNAL_MANAGED ${flags}`,
        `  gcloud compute backend-services add-backend ${backend(service)} --global --network-endpoint-group=${prefix}-${service}-neg --network-endpoint-group-region=${region} ${flags}`,
      ]),
      `  gcloud compute url-maps create ${prefix}-lb --default-service=${backend('api')} --global ${flags}`,
      ...PUBLIC_SERVICES.map((service) => `  gcloud compute url-maps add-path-matcher ${prefix}-lb --path-matcher-name=${service} --default-service=${backend(service)} --new-hosts=${hostOf(service)} --global ${flags}`),
      `  gcloud compute ssl-certificates create ${prefix}-cert --domains=${PUBLIC_SERVICES.map(hostOf).join(',')} --global ${flags}`,
      `  gcloud compute target-https-proxies create ${prefix}-https-proxy --url-map=${prefix}-lb --ssl-certificates=${prefix}-cert --global ${flags}`,
      `  gcloud compute forwarding-rules create ${prefix}-https --global --load-balancing-scheme=EXTERNAL_MANAGED --address=${prefix}-ip --target-https-proxy=${prefix}-https-proxy --ports=443 ${flags}`,
      `DNS: an A record for each of ${PUBLIC_SERVICES.map(hostOf).join(', ')} to the reserved address (gcloud compute addresses describe ${prefix}-ip --global --format='value(address)' ${flags}); the certificate is provisioned once they resolve.`,
    ];
  }

  return endpointsStep('Read the services\' URLs and what their custom domains need', () => (mapped ? [services, mappings] : [services]), read);
}
