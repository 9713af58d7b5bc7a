// The whole plan: the adapter's steps with a rollout wait after each wave of services,
// so the runner is healthy before the engine services, and workers before the API.
import type { ActionStep, Step } from '../clouds/types.js';
import { SERVICES, serviceSpec, type ServiceId } from '../membrane/services.js';

/** `strictOrder` (--strict-order): one service at a time, each healthy before the next is deployed. */
export function withRollouts(steps: ActionStep[], { strictOrder = false }: { strictOrder?: boolean } = {}): Step[] {
  const result: Step[] = [];
  const deployed = steps.filter((step) => step.deploys);
  for (const step of steps) {
    if (strictOrder && step.deploys) {
      // Alone: no group, so nothing runs beside it.
      const { group: _together, ...alone } = step;
      result.push(alone, { kind: 'rollout', id: `rollout:${step.deploys}`, title: `Wait until ${step.deploys} is healthy`, services: [step.deploys] });
      continue;
    }
    result.push(step);
    if (!step.deploys) continue;
    const wave = serviceSpec(step.deploys).wave;
    const lastOfWave = !deployed.some((later) => later !== step && serviceSpec(later.deploys!).wave === wave && deployed.indexOf(later) > deployed.indexOf(step));
    if (!lastOfWave) continue;
    const services: ServiceId[] = SERVICES.filter((spec) => spec.wave === wave).map((spec) => spec.id);
    result.push({ kind: 'rollout', id: `rollout:wave-${wave}`, title: `Wait until ${services.join(', ')} ${services.length > 1 ? 'are' : 'is'} healthy`, services });
  }
  return result;
}

/** Consecutive action steps of one group run together; everything else runs alone. */
export function batches(steps: Step[]): Step[][] {
  const result: Step[][] = [];
  for (const step of steps) {
    const last = result.at(-1);
    const group = step.kind === 'action' ? step.group : undefined;
    const lastGroup = last?.[0]?.kind === 'action' ? last[0].group : undefined;
    if (last && group && group === lastGroup) last.push(step);
    else result.push([step]);
  }
  return result;
}
