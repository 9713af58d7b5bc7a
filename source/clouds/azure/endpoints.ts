// Where api., ui. and console. answer on Container Apps: there is no load balancer, each public app
// serves its own hostnames. A custom domain needs a CNAME to the app's FQDN and a TXT record
// asuid.HOST holding the app's customDomainVerificationId (learn.microsoft.com, "Custom domain names
// and free managed certificates in Azure Container Apps"); then `hostname add` and `hostname bind`
// with CNAME validation give it a free managed certificate. One `az containerapp list` returns every
// app whole (ingress.fqdn, ingress.customDomains, the verification id). Read-only.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { firstUseSteps } from '../../membrane/first-use.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import { endpointsStep, type DnsRecord, type Endpoints, type PublicEndpoint } from '../endpoints.js';
import type { ActionStep } from '../types.js';
import { azArgv, azureNames } from './names.js';

interface CustomDomain { name: string; bindingType?: string; certificateId?: string | null }
interface ListedApp {
  name: string;
  properties: { customDomainVerificationId?: string; configuration?: { ingress?: { fqdn?: string; customDomains?: CustomDomain[] | null } | null } };
}

export function azureEndpointsStep(settings: SettingsFor<'azure'>): ActionStep {
  const { subscription, resourceGroup, environment } = settings.answers.azure;
  const names = azureNames(settings);
  const list: Command = { argv: azArgv(subscription, 'containerapp', 'list', '--resource-group', resourceGroup) };

  async function read(runner: Runner): Promise<Endpoints> {
    const listed = await runJson<ListedApp[]>(runner, list);
    const apps = Array.isArray(listed) ? listed : [];
    const found = PUBLIC_SERVICES.map((service) => {
      const host = `${service}.${settings.answers.domain}`;
      const app = names.app(service);
      const properties = apps.find((a) => a.name === app)?.properties;
      const ingress = properties?.configuration?.ingress;
      const domain = ingress?.customDomains?.find((d) => d.name.toLowerCase() === host.toLowerCase());
      return { service, host, app, fqdn: ingress?.fqdn, verificationId: properties?.customDomainVerificationId, domain };
    });

    const services = found.map(({ service, host, app, fqdn, domain }): PublicEndpoint => {
      if (!fqdn) return { service, host, target: `(${app} has no ingress)`, tls: { ok: false, detail: `${app} has no ingress to serve ${host}` } };
      // SniEnabled with a certificate is a bound domain; Disabled is a domain added without one.
      if (domain?.bindingType === 'SniEnabled' && domain.certificateId) {
        const certificate = domain.certificateId.split('/').pop();
        const kind = domain.certificateId.includes('/managedCertificates/') ? 'managed certificate' : 'certificate';
        return { service, host, target: fqdn, tls: { ok: true, detail: `custom domain of ${app}, bound with ${kind} ${certificate}` } };
      }
      if (domain) return { service, host, target: fqdn, tls: { ok: false, detail: `custom domain of ${app}, without a certificate yet (bind it: below)` } };
      return { service, host, target: fqdn, tls: { ok: false, detail: `no custom domain yet on ${app} (commands below)` } };
    });

    const records = found.flatMap(({ host, fqdn, verificationId }): DnsRecord[] => [
      ...(fqdn ? [{ name: host, type: 'CNAME' as const, value: fqdn }] : []),
      ...(verificationId ? [{ name: `asuid.${host}`, type: 'TXT' as const, value: verificationId }] : []),
    ]);
    const unbound = found.filter(({ fqdn }, i) => fqdn && !services[i]!.tls.ok);
    const app = (name: string) => `--name ${name} --resource-group ${resourceGroup}`;
    return {
      services,
      records,
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

  return endpointsStep('Read the apps\' addresses and the DNS records their custom domains need', () => [list], read);
}
