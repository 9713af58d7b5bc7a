import type { SettingsFor } from '../../answers/settings.js';
import { healthPaths, SERVICES } from '../../membrane/services.js';
import type { CloudAdapter, CloudModule } from '../types.js';
import { azureDiagnostics } from './diagnostics.js';
import { containerAppCpu, containerAppSizeProblem, GUIDE_PROBE } from './documents.js';
import { azureDnsStep } from './dns.js';
import { azureEndpointsStep } from './endpoints.js';
import { azureNames } from './names.js';
import { observeAzure, watchAzure } from './observe.js';
import { askAzure } from './questions.js';
import { azurePreflight } from './preflight.js';
import { azureScaling } from './scaling.js';
import { azureResources } from './review.js';
import { azureSteps } from './steps.js';
import { azureUninstall } from './uninstall.js';

/** Container App names: lowercase letters, digits and hyphens, at most 32 characters. */
const APP_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

export function azureAdapter(settings: SettingsFor<'azure'>): CloudAdapter {
  const names = azureNames(settings);
  const azure = settings.answers.azure;
  return {
    inputProblems: () => [
      ...SERVICES.flatMap((spec) => containerAppSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? []),
      ...SERVICES.flatMap((spec) => (APP_NAME.test(names.app(spec.id)) ? [] : [`--name ${settings.name}: the app name ${names.app(spec.id)} is longer than Azure's 32 characters; use a shorter deployment name.`])),
    ],
    preflight: (runner) => azurePreflight(settings, runner),
    plan: () => {
      const zone = settings.answers.dns?.zone;
      // The domains are bound before the endpoints are read, so the journal's endpoints say so (dns.ts).
      return [...azureSteps(settings), ...(zone ? [azureDnsStep(settings, zone)] : []), azureEndpointsStep(settings)];
    },
    observe: (runner) => observeAzure(settings, runner),
    watch: (services) => watchAzure(settings, services),
    diagnostics: () => azureDiagnostics(settings),
    uninstall: (runner, known, options) => azureUninstall(settings, runner, known, options),
    notes: () => [
      `The apps read their secrets from Key Vault ${azure.keyVault} as Key Vault references, through user-assigned identities (created first, so the references resolve when each app is created; a system-assigned identity would not exist yet). Nothing secret is stored in the apps themselves.`,
      `Each identity is granted "Key Vault Secrets User" on single secrets, never on the vault: ${names.identity('engine')} (the engine services) reads the engine's secrets and the registry password; ${names.identity('runner')} (the code runner, which runs customers' code) and ${names.identity('web')} (ui, console) read only the registry password.`,
      'Azure takes minutes (up to 30) to put new role assignments into effect: until then it refuses the apps\' Key Vault references, and the installer waits up to about 10 minutes before it stops; resume continues.',
      `The registry password is a Key Vault reference too (passwordSecretRef), not --registry-password, which would store it in the app where anyone with read access could see it.`,
      `Every secret reaches its env var through secretref:; plain env values hold nothing secret.`,
      `Health: each app has Liveness and Readiness probes on its health path (${healthPaths()}) every ${GUIDE_PROBE.periodSeconds} s, ${GUIDE_PROBE.timeoutSeconds} s to answer, ${GUIDE_PROBE.failureThreshold} failures, and a Startup probe allowing 5 minutes. An Application Gateway of yours in front of api, ui and console needs its own health probe per backend: path /, interval 30 s, timeout 30 s, unhealthy threshold 3 (the guide's), over HTTPS with the host name of the backend's settings (the app's FQDN: Container Apps routes by host).`,
      `Sizes follow the Consumption plan (2 GiB per vCPU): the engine services get ${containerAppCpu(settings.sizing.api.cpu, settings.sizing.api.memory)} vCPU to have the 2 GiB they need.`,
      `Storage: the engine uses storage account ${names.storageAccount} through ${names.identity('engine')} (AZURE_CLIENT_ID); grant it "Storage Blob Data Contributor" there.`,
      'Scaling: api, ui and console scale on HTTP, 100 concurrent requests per replica (autoscaling.md\'s http-scaling rule). The code runner has no rule of its own, so Container Apps applies its default HTTP rule (10 concurrent requests) to its internal ingress. The workers have no ingress and no rule, so nothing scales them: they stay at their minimum (Membrane\'s queue metrics are Prometheus-only; an azure-monitor rule needs them published to Azure Monitor first). The orchestrator is fixed.',
      `The runner has internal ingress only; the orchestrator and workers have no ingress. api., ui. and console.${settings.answers.domain} become custom domains of the public apps (a CNAME to each app's FQDN, an asuid TXT record, a managed certificate): ${settings.answers.dns ? `the installer creates the records in Azure DNS zone ${settings.answers.dns.zone}, adds the domains and binds the certificates` : 'the end screen lists the commands'}.`,
    ],
  };
}

export const azureCloud: CloudModule<'azure'> = {
  title: 'Azure Container Apps',
  ask: askAzure,
  adapter: azureAdapter,
  resources: azureResources,
  scaling: azureScaling,
  storage: 'Azure Blob Storage',
  where: {
    logs: 'the Log Analytics workspace (az containerapp logs show)',
    env: 'plan --out writes them into the app specs',
    network: 'the Container Apps environment\'s virtual network',
    pullRoute: 'the environment needs outbound access to the registry',
    grace: 'lengthen the startup probe',
  },
  platform: {
    address: 'the Container App\'s FQDN',
    terminator: 'the Container App\'s custom domain',
    front: 'the Container Apps ingress',
    unit: 'replica',
    notReady: (service) => `the ${service} Container App has no ready replica`,
    route: (service, host) => `add ${host} as a custom domain of the ${service} Container App (az containerapp hostname add, then bind its certificate)`,
    refused: (service) => `look at the ${service} Container App's ingress IP restrictions and its authentication settings`,
  },
  cliEnv: {},
};
