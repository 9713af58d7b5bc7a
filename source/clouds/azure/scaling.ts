// Container Apps scaling per autoscaling.md: min/max replicas from the answers, the docs' HTTP rule
// for the public apps, the orchestrator fixed. Microsoft's reference (scale-app): with no rule an
// app with ingress gets the default HTTP rule (10 concurrent requests); one without ingress has
// nothing that scales it, so it stays at minReplicas.
import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import type { ServiceScaling } from '../types.js';

/** autoscaling.md's `--scale-rule-name http-scaling --scale-rule-http-concurrency 100`. */
export const HTTP_RULE = { name: 'http-scaling', http: { metadata: { concurrentRequests: '100' } } };
/** Container Apps' own rule for an app with ingress and no rule of its own. */
const DEFAULT_HTTP_CONCURRENCY = 10;

export function scaleOf(spec: ServiceSpec, settings: SettingsFor<'azure'>) {
  const { replicas, maxReplicas } = settings.sizing[spec.id];
  return {
    minReplicas: replicas,
    maxReplicas,
    // Always given, empty too: `containerapp update --yaml` merges objects, so a rule added by hand would otherwise stay.
    rules: spec.exposure === 'public' ? [HTTP_RULE] : [],
  };
}

export function azureScaling(settings: SettingsFor<'azure'>): ServiceScaling[] {
  return SERVICES.map((spec): ServiceScaling => {
    const { minReplicas: min, maxReplicas: max } = scaleOf(spec, settings);
    if (spec.scaling.metric === 'fixed') return { service: spec.id, min, max };
    if (spec.exposure === 'public') return { service: spec.id, min, max, on: `${HTTP_RULE.http.metadata.concurrentRequests} concurrent requests` };
    if (spec.exposure === 'internal') return { service: spec.id, min, max, on: `${DEFAULT_HTTP_CONCURRENCY} (the default HTTP rule)` };
    // Membrane's worker metrics are Prometheus-only; an Azure Monitor rule would need them published there.
    return { service: spec.id, min, max: min, fixed: `no ingress or rule: stays at ${min}, though maxReplicas is ${max}` };
  });
}
