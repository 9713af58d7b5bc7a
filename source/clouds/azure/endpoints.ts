// Where api., ui. and console. answer on Container Apps: there is no load balancer, each public app
// serves its own hostnames. A custom domain needs a CNAME to the app's FQDN and a TXT record
// asuid.HOST holding the app's customDomainVerificationId (learn.microsoft.com, "Custom domain names
// and free managed certificates in Azure Container Apps"); then `hostname add` and `hostname bind`
// with CNAME validation give it a free managed certificate, which Azure issues minutes later. One
// `az containerapp list` returns every app whole (ingress.fqdn, ingress.customDomains, the
// verification id); once a domain is bound to a managed certificate, one `env certificate list`
// says whether it has been issued. Read-only.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { firstUseSteps } from '../../membrane/first-use.js';
import { PUBLIC_SERVICES, type PublicServiceId } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import { endpointsStep, type DnsRecord, type Endpoints, type PublicEndpoint } from '../endpoints.js';
import type { ActionStep } from '../types.js';
import { azArgv, azureNames } from './names.js';

interface CustomDomain { name: string; bindingType?: string; certificateId?: string | null }
export interface ListedApp {
  name: string;
  tags?: Record<string, string> | null;
  properties: { customDomainVerificationId?: string; configuration?: { ingress?: { fqdn?: string; customDomains?: CustomDomain[] | null } | null } };
}
interface ManagedCertificate { id: string; name: string; properties: { provisioningState?: string } }

/** A public app as its custom domain sees it. */
export interface PublicApp {
  service: PublicServiceId;
  host: string;
  app: string;
  fqdn?: string;
  verificationId?: string;
  domain?: CustomDomain;
}

/** SniEnabled with a certificate is a bound domain; Disabled is a domain added without one. */
export const isBound = (domain: CustomDomain | undefined) => domain?.bindingType === 'SniEnabled' && Boolean(domain.certificateId);

/** The public apps as one `containerapp list` of the group shows them. */
export function publicApps(settings: SettingsFor<'azure'>, listed: unknown): PublicApp[] {
  const names = azureNames(settings);
  const apps = (Array.isArray(listed) ? listed : []) as ListedApp[];
  return PUBLIC_SERVICES.map((service) => {
    const host = `${service}.${settings.answers.domain}`;
    const app = names.app(service);
    const properties = apps.find((a) => a.name === app)?.properties;
    const ingress = properties?.configuration?.ingress;
    const domain = ingress?.customDomains?.find((d) => d.name.toLowerCase() === host.toLowerCase());
    return { service, host, app, fqdn: ingress?.fqdn, verificationId: properties?.customDomainVerificationId, domain };
  });
}

export function publicAppsReader(settings: SettingsFor<'azure'>) {
  const { subscription, resourceGroup } = settings.answers.azure;
  const list: Command = { argv: azArgv(subscription, 'containerapp', 'list', '--resource-group', resourceGroup) };
  const read = async (runner: Runner): Promise<PublicApp[]> => publicApps(settings, await runJson<ListedApp[]>(runner, list));
  return { list, read };
}

/** What each public app's custom domain needs in DNS: CNAME HOST -> FQDN and TXT asuid.HOST -> verification id. */
export function appRecords(apps: PublicApp[]): DnsRecord[] {
  return apps.flatMap(({ host, fqdn, verificationId }): DnsRecord[] => [
    ...(fqdn ? [{ name: host, type: 'CNAME' as const, value: fqdn }] : []),
    ...(verificationId ? [{ name: `asuid.${host}`, type: 'TXT' as const, value: verificationId }] : []),
  ]);
}

export function azureEndpointsStep(settings: SettingsFor<'azure'>): ActionStep {
  const { subscription, resourceGroup, environment } = settings.answers.azure;
  const apps = publicAppsReader(settings);
  const certificates: Command = { argv: azArgv(subscription, 'containerapp', 'env', 'certificate', 'list', '--name', environment, '--resource-group', resourceGroup, '--managed-certificates-only') };
  const zone = settings.answers.dns?.zone;

  async function read(runner: Runner): Promise<Endpoints> {
    const found = await apps.read(runner);
    const managed = found.some(({ domain }) => isBound(domain) && domain!.certificateId!.includes('/managedCertificates/'));
    const issued = managed ? await runJson<ManagedCertificate[]>(runner, certificates) : [];

    const services = found.map(({ service, host, app, fqdn, domain }): PublicEndpoint => {
      if (!fqdn) return { service, host, target: `(${app} has no ingress)`, tls: { ok: false, detail: `${app} has no ingress to serve ${host}` } };
      if (isBound(domain)) {
        const certificate = domain!.certificateId!.split('/').pop();
        if (!domain!.certificateId!.includes('/managedCertificates/')) return { service, host, target: fqdn, tls: { ok: true, detail: `custom domain of ${app}, bound with certificate ${certificate}` } };
        // Azure issues a managed certificate asynchronously, minutes after the bind.
        const state = (Array.isArray(issued) ? issued : []).find((c) => c.id.toLowerCase() === domain!.certificateId!.toLowerCase())?.properties.provisioningState ?? 'unknown';
        if (state === 'Succeeded') return { service, host, target: fqdn, tls: { ok: true, detail: `custom domain of ${app}, bound with managed certificate ${certificate}` } };
        return { service, host, target: fqdn, tls: { ok: false, detail: `custom domain of ${app}; managed certificate ${certificate} not issued yet (${state}): Azure issues it minutes after the bind, and verify checks the host then` } };
      }
      if (domain) return { service, host, target: fqdn, tls: { ok: false, detail: `custom domain of ${app}, without a certificate yet (bind it: below)` } };
      return { service, host, target: fqdn, tls: { ok: false, detail: `no custom domain yet on ${app} (commands below)` } };
    });

    const unbound = found.filter(({ fqdn, domain }) => fqdn && !isBound(domain));
    const app = (name: string) => `--name ${name} --resource-group ${resourceGroup}`;
    return {
      services,
      records: appRecords(found),
      ...(zone ? { zone: `Azure DNS zone ${zone}` } : {}),
      nextSteps: [
        ...(unbound.length
          ? [
              'Custom domains: once the CNAME and asuid TXT records resolve (Azure checks both), add each host to its app and bind a free managed certificate (CNAME validation):',
              ...unbound.flatMap(({ host, app: name, domain }) => [
                ...(domain ? [] : [`  az containerapp hostname add ${app(name)} --hostname ${host}`]),
                `  az containerapp hostname bind ${app(name)} --hostname ${host} --environment ${environment} --validation-method CNAME`,
              ]),
            ]
          : []),
        ...firstUseSteps(settings),
      ],
    };
  }

  return endpointsStep('Read the apps\' addresses and the DNS records their custom domains need', () => (zone ? [apps.list, certificates] : [apps.list]), read);
}
