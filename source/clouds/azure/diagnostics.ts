// The Container Apps half of troubleshooting: one list for all apps (env, ports, probes), the
// latest revision of each app that is not ready (its running state details), and console logs.
import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { CloudDiagnostics, ServiceInspection } from '../types.js';
import { azArgv, azureNames } from './names.js';
import { appState, type ContainerApp } from './observe.js';

interface AppDetails extends ContainerApp {
  properties: ContainerApp['properties'] & {
    configuration?: { ingress?: { targetPort?: number } };
    template?: { containers?: { env?: { name: string; value?: string; secretRef?: string }[]; probes?: { type: string; periodSeconds?: number; failureThreshold?: number; initialDelaySeconds?: number; httpGet?: { port?: number } }[] }[] };
  };
}

export function azureDiagnostics(settings: SettingsFor<'azure'>): CloudDiagnostics {
  const { subscription, resourceGroup } = settings.answers.azure;
  const names = azureNames(settings);
  return {
    async inspect(runner) {
      const listed = await runJson<AppDetails[]>(runner, { argv: azArgv(subscription, 'containerapp', 'list', '--resource-group', resourceGroup) });
      const apps = Array.isArray(listed) ? listed : [];
      return Promise.all(
        SERVICES.map(async (spec): Promise<ServiceInspection> => {
          const app = apps.find((a) => a.name === names.app(spec.id));
          const container = app?.properties.template?.containers?.[0];
          const startup = container?.probes?.find((p) => p.type === 'Startup');
          const base = {
            service: spec.id,
            env: Object.fromEntries((container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
            secretEnv: (container?.env ?? []).filter((e) => e.secretRef).map((e) => e.name),
            containerPort: startup?.httpGet?.port,
            checkedPort: app?.properties.configuration?.ingress?.targetPort ?? startup?.httpGet?.port,
            startupGraceSeconds: startup ? (startup.initialDelaySeconds ?? 0) + (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) : undefined,
          };
          if (!app) return { ...base, found: false, healthy: false, reasons: [], raw: undefined };
          const state = await appState(runner, settings, app);
          const healthy = state.phase === 'healthy';
          return { ...base, found: true, healthy, reasons: healthy || !state.message ? [] : [state.message], raw: state.revision ? { app, revision: state.revision } : app };
        }),
      );
    },
    async logs(runner, service, limit) {
      const { stdout } = await runner.run({
        argv: ['az', 'containerapp', 'logs', 'show', '--name', names.app(service), '--resource-group', resourceGroup, '--type', 'console', '--tail', String(limit), '--format', 'text', '--subscription', subscription, '--only-show-errors'],
      });
      return stdout.split('\n').filter(Boolean);
    },
    logsCommand: (service) => `az containerapp logs show --name ${names.app(service)} --resource-group ${resourceGroup} --type console --tail 50`,
    insideCommand: (service) => `az containerapp exec --name ${names.app(service)} --resource-group ${resourceGroup} --command sh`,
  };
}
