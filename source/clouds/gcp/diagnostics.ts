// The Cloud Run half of troubleshooting: one services list for all seven (Ready messages, env,
// ports, startup probe), and Cloud Logging for the logs.
import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES, type ServiceId } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { CloudDiagnostics, ServiceInspection } from '../types.js';
import { CLOUD_RUN_RESERVED_ENV } from './documents.js';
import { gcloudArgv, gcpNames } from './names.js';
import { phaseOf, type KnativeService } from './observe.js';

/** Cloud Run's default startup probe: a TCP check every 240 s, once (documented default). */
const DEFAULT_STARTUP_SECONDS = 240;

interface KnativeContainer {
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { containerPort?: number }[];
  startupProbe?: { periodSeconds?: number; failureThreshold?: number; initialDelaySeconds?: number };
}

export function gcpDiagnostics(settings: SettingsFor<'gcp'>): CloudDiagnostics {
  const { project, region } = settings.answers.gcp;
  const names = gcpNames(settings);
  const logFilter = (service: ServiceId) => `resource.type="cloud_run_revision" AND resource.labels.service_name="${names.service(service)}"`;
  return {
    async inspect(runner) {
      const listed = await runJson<(KnativeService & { spec?: { template?: { spec?: { containers?: KnativeContainer[] } } } })[]>(runner, {
        argv: gcloudArgv(project, 'run', 'services', 'list', `--region=${region}`),
      });
      const services = Array.isArray(listed) ? listed : [];
      return SERVICES.map((spec): ServiceInspection => {
        const found = services.find((s) => s.metadata.name === names.service(spec.id));
        const container = found?.spec?.template?.spec?.containers?.[0];
        const probe = container?.startupProbe;
        const port = container?.ports?.[0]?.containerPort;
        const base = {
          service: spec.id,
          env: Object.fromEntries((container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
          secretEnv: (container?.env ?? []).filter((e) => e.valueFrom).map((e) => e.name),
          // Cloud Run sends requests and its startup probe to the container port.
          containerPort: port,
          checkedPort: port,
          startupGraceSeconds: probe ? (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3) : DEFAULT_STARTUP_SECONDS,
          raw: found,
        };
        if (!found) return { ...base, found: false, healthy: false, reasons: [] };
        const phase = phaseOf(found, settings.sizing[spec.id].replicas);
        return { ...base, found: true, healthy: phase.phase === 'healthy', reasons: phase.phase === 'healthy' || !phase.message ? [] : [phase.message] };
      });
    },
    async logs(runner, service, limit) {
      const entries = await runJson<{ textPayload?: string; jsonPayload?: { message?: string } }[]>(runner, {
        argv: gcloudArgv(project, 'logging', 'read', logFilter(service), `--limit=${limit}`, '--freshness=1h'),
      });
      // Newest first from the API: turn them around.
      return (Array.isArray(entries) ? entries : []).map((e) => e.textPayload ?? e.jsonPayload?.message ?? JSON.stringify(e.jsonPayload ?? {})).reverse();
    },
    logsCommand: (service) => `gcloud logging read '${logFilter(service)}' --project=${project} --limit=50 --freshness=1h`,
    reservedEnv: CLOUD_RUN_RESERVED_ENV,
    insideCommand: () =>
      `gcloud compute ssh <a VM in ${settings.answers.gcp.network}/${settings.answers.gcp.subnet}> --project=${project} (Cloud Run has no shell; test from a VM on the same subnet)`,
  };
}
