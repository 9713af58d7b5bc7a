// One `gcloud run services list` per poll returns every service's Knative status: Ready and
// observedGeneration say whether the latest change has rolled out, and how it went.
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { ServiceObservation } from '../types.js';
import { gcloudArgv, gcpNames } from './names.js';

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  message?: string;
  reason?: string;
}

export interface KnativeService {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  status?: { observedGeneration?: number; conditions?: Condition[]; url?: string };
}

export async function observeGcp(settings: SettingsFor<'gcp'>, runner: Runner): Promise<ServiceObservation[]> {
  const { project, region } = settings.answers.gcp;
  const names = gcpNames(settings);
  const listed = await runJson<KnativeService[]>(runner, { argv: gcloudArgv(project, 'run', 'services', 'list', `--region=${region}`) });
  const services = Array.isArray(listed) ? listed : [];
  return SERVICES.map((spec) => {
    const desired = settings.sizing[spec.id].replicas;
    const found = services.find((s) => s.metadata.name === names.service(spec.id));
    if (!found) return { service: spec.id, running: 0, desired };
    return { service: spec.id, ...phaseOf(found, desired) };
  });
}

/** Cloud Run reports no instance count: a Ready service runs at least its minimum. */
export function phaseOf(service: KnativeService, desired: number): Omit<ServiceObservation, 'service'> {
  const ready = service.status?.conditions?.find((c) => c.type === 'Ready');
  // Until the controller has seen the latest generation, Ready describes the previous one.
  const current = service.status?.observedGeneration !== undefined && service.status.observedGeneration === service.metadata.generation;
  const message = ready?.message ?? ready?.reason;
  if (current && ready?.status === 'True') return { phase: 'healthy', running: desired, desired, message: message ?? 'Ready' };
  if (current && ready?.status === 'False') return { phase: 'failed', running: 0, desired, message: message ?? 'the revision is not ready' };
  return { phase: 'deploying', running: 0, desired, message };
}
