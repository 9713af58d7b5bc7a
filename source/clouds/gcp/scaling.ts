// Cloud Run scaling: min/max instances from the answers (the orchestrator fixed). Cloud Run scales
// every service on its own, on request concurrency and CPU (target 60 % of each); Membrane's queue
// metrics are not among its signals. Services that take requests get the docs' --concurrency 80;
// the workers (--no-cpu-throttling, no requests) scale on CPU alone.
import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import type { ServiceScaling } from '../types.js';

/** autoscaling.md's `gcloud run services update … --concurrency 80`. */
export const CONCURRENCY = 80;

/** Services that serve requests (CPU only while they do); the workers and the orchestrator keep their CPU. */
export const servesRequests = (spec: ServiceSpec) => spec.exposure !== 'none';

export function gcpScaling(settings: SettingsFor<'gcp'>): ServiceScaling[] {
  return SERVICES.map((spec): ServiceScaling => {
    const { replicas: min, maxReplicas: max } = settings.sizing[spec.id];
    if (spec.scaling.metric === 'fixed') return { service: spec.id, min, max };
    return { service: spec.id, min, max, on: servesRequests(spec) ? 'requests and CPU' : 'CPU' };
  });
}
