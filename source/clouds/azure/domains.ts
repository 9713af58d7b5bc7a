// Container Apps has no load balancer to point DNS at: each public app takes its own custom
// domain, proven by a TXT record with the environment's verification id, and gets a free managed
// certificate when the hostname is bound (CNAME validation, for subdomains).
import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES } from '../../membrane/services.js';
import { azureNames } from './names.js';

export function customDomainSteps(settings: SettingsFor<'azure'>): string[] {
  const { resourceGroup, environment } = settings.answers.azure;
  const names = azureNames(settings);
  const publicApps = SERVICES.filter((spec) => spec.exposure === 'public').map((spec) => ({ host: `${spec.subdomain}.${settings.answers.domain}`, app: names.app(spec.id) }));
  const [first, ...others] = publicApps;
  const app = `--name ${first!.app} --resource-group ${resourceGroup}`;
  return [
    `Next: give each public app its custom domain (each Container App serves its own hostnames, with a managed certificate). For ${first!.host}:`,
    `  DNS: CNAME ${first!.host} -> the app's FQDN (az containerapp show ${app} --query properties.configuration.ingress.fqdn -o tsv)`,
    `  DNS: TXT asuid.${first!.host} -> the environment's verification id (az containerapp env show --name ${environment} --resource-group ${resourceGroup} --query properties.customDomainConfiguration.customDomainVerificationId -o tsv)`,
    `  az containerapp hostname add ${app} --hostname ${first!.host}`,
    `  az containerapp hostname bind ${app} --hostname ${first!.host} --environment ${environment} --validation-method CNAME   (a free managed certificate)`,
    `  The same for ${others.map(({ host, app: other }) => `${host} (${other})`).join(' and ')}.`,
  ];
}
