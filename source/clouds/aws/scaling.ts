// ECS autoscaling through Application Auto Scaling, per autoscaling.md: a scalable target (min/max
// tasks) and a target-tracking policy for each service that has an ECS recipe in the docs. The
// queued worker's and the runner's metrics exist only in Prometheus, so on ECS they stay fixed.
import type { SettingsFor } from '../../answers/settings.js';
import type { Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { CliError } from '../../exec/errors.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import { SCALING_STEP_PREFIX, type ActionStep, type ServiceScaling, type StepResult } from '../types.js';
import { awsArgv, awsNames, outputKey, type AwsNames } from './names.js';

export const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';
/** The role Application Auto Scaling creates on the first register-scalable-target of an account for ECS. */
export const SCALING_ROLE = 'AWSServiceRoleForApplicationAutoScaling_ECSService';
export const SCALING_ROLE_SERVICE = 'ecs.application-autoscaling.amazonaws.com';

/** The docs' target-tracking configuration for the services ECS can scale; undefined: fixed at replicas. */
export function scalingPolicy(spec: ServiceSpec): { name: string; configuration: Record<string, unknown> } | undefined {
  // autoscaling.md's cooldowns: out fast, in slowly (no flapping).
  const cooldowns = { ScaleOutCooldown: 60, ScaleInCooldown: 300 };
  switch (spec.scaling.metric) {
    case 'cpu':
      return { name: 'cpu-scaling', configuration: { TargetValue: spec.scaling.target, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ...cooldowns } };
    case 'jobs-per-worker':
      return { name: 'queue-scaling', configuration: { TargetValue: spec.scaling.target, CustomizedMetricSpecification: { MetricName: 'JobsPerWorker', Namespace: 'Membrane', Statistic: 'Average' }, ...cooldowns } };
    default:
      return undefined;
  }
}

/** Why a service does not scale on ECS, for the review. */
function fixedWhy(spec: ServiceSpec): string | undefined {
  switch (spec.scaling.metric) {
    case 'fixed':
      return undefined;
    case 'workers-required':
    case 'capacity':
      return 'Prometheus-only metric';
    default:
      return undefined;
  }
}

export function awsScaling(settings: SettingsFor<'aws'>): ServiceScaling[] {
  return SERVICES.map((spec) => {
    const { replicas, maxReplicas } = settings.sizing[spec.id];
    const policy = scalingPolicy(spec);
    if (!policy) return { service: spec.id, min: replicas, max: replicas, ...(fixedWhy(spec) ? { fixed: fixedWhy(spec) } : {}) };
    const on = spec.scaling.metric === 'cpu' ? `CPU ${spec.scaling.target} %` : `JobsPerWorker ${spec.scaling.target} (CloudWatch)`;
    return { service: spec.id, min: replicas, max: maxReplicas, on };
  });
}

/** The range a service's desired count may be in: what autoscaling may have set is left alone. */
export function desiredRange(spec: ServiceSpec, settings: SettingsFor<'aws'>): { min: number; max: number } {
  const scaling = awsScaling(settings).find((s) => s.service === spec.id)!;
  return { min: scaling.min, max: scaling.max };
}

export const resourceId = (cluster: string, service: string) => `service/${cluster}/${service}`;

/** True when every key of `wanted` has the same value in `actual` (the cloud adds fields of its own). */
function covers(actual: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return actual === wanted;
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(wanted).every(([key, value]) => covers((actual as Record<string, unknown>)[key], value));
}

const SCALING_ROLE_FIX = `Registering the first scalable target of an account creates the service-linked role ${SCALING_ROLE}, which needs iam:CreateServiceLinkedRole. `
  + `Let someone allowed create it once: aws iam create-service-linked-role --aws-service-name ${SCALING_ROLE_SERVICE}; then run resume.`;

interface Found {
  targets: { ResourceId: string; MinCapacity: number; MaxCapacity: number }[];
  policies: { ResourceId: string; PolicyName: string; PolicyType: string; TargetTrackingScalingPolicyConfiguration?: unknown }[];
}

/**
 * What the scaling steps of one run look at, read once for all of them (two calls, not two a
 * service: each aws call costs ~0.5 s of CPU). Keyed by the run's runner; a failed read is
 * forgotten, so a retried step reads again.
 */
function lookup(settings: SettingsFor<'aws'>, names: AwsNames): (runner: Runner) => Promise<Found> {
  const aws = settings.answers.aws;
  const ids = SERVICES.filter((spec) => scalingPolicy(spec)).map((spec) => resourceId(aws.cluster, names.service(spec.id)));
  const runs = new WeakMap<Runner, Promise<Found>>();
  return (runner) => {
    let found = runs.get(runner);
    if (!found) {
      found = Promise.all([
        runJson(runner, { argv: awsArgv(aws.region, 'application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs', '--resource-ids', ...ids, '--scalable-dimension', SCALABLE_DIMENSION) }),
        // Every ECS policy of the account (the CLI pages through them); moto ignores --policy-names, so filtering is ours either way.
        runJson(runner, { argv: awsArgv(aws.region, 'application-autoscaling', 'describe-scaling-policies', '--service-namespace', 'ecs') }),
      ]).then(([targets, policies]) => ({ targets: targets.ScalableTargets ?? [], policies: policies.ScalingPolicies ?? [] }));
      found.catch(() => runs.delete(runner));
      runs.set(runner, found);
    }
    return found;
  };
}

function scalingStep(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames, read: (runner: Runner) => Promise<Found>): ActionStep | undefined {
  const policy = scalingPolicy(spec);
  if (!policy) return undefined;
  const aws = settings.answers.aws;
  const { min, max } = desiredRange(spec, settings);
  const id = resourceId(aws.cluster, names.service(spec.id));
  const policyName = `${names.service(spec.id)}-${policy.name}`;
  const target = ['--service-namespace', 'ecs', '--resource-id', id, '--scalable-dimension', SCALABLE_DIMENSION];
  const register: Command = { argv: awsArgv(aws.region, 'application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', String(min), '--max-capacity', String(max)) };
  const put: Command = {
    argv: awsArgv(aws.region, 'application-autoscaling', 'put-scaling-policy', ...target, '--policy-name', policyName, '--policy-type', 'TargetTrackingScaling',
      '--target-tracking-scaling-policy-configuration', { prefix: 'file://', name: `scaling/${spec.id}.json`, content: `${JSON.stringify(policy.configuration, null, 2)}\n` }),
  };
  return {
    kind: 'action',
    id: `${SCALING_STEP_PREFIX}${spec.id}`,
    title: `Autoscaling ${names.service(spec.id)} (${min}–${max} tasks)`,
    group: 'autoscaling',
    preview: () => [register, put],
    async apply({ runner }): Promise<StepResult> {
      let outcome: StepResult['outcome'] = 'unchanged';
      const found = await read(runner);
      const existing = found.targets.find((t) => t.ResourceId === id);
      if (!existing || existing.MinCapacity !== min || existing.MaxCapacity !== max) {
        // Registering again updates min and max in place, so this may be retried.
        const change = existing ? `tasks ${existing.MinCapacity}–${existing.MaxCapacity} → ${min}–${max}` : 'not registered with Application Auto Scaling';
        try {
          await runner.run({ ...register, change });
        } catch (error) {
          if (error instanceof CliError && error.kind === 'access-denied' && /CreateServiceLinkedRole|service-linked role/i.test(error.cliMessage)) throw new Error(`${error.cliMessage} ${SCALING_ROLE_FIX}`);
          throw error;
        }
        outcome = existing ? 'updated' : 'created';
      }
      const current = found.policies.find((p) => p.ResourceId === id && p.PolicyName === policyName);
      if (!current || current.PolicyType !== 'TargetTrackingScaling' || !covers(current.TargetTrackingScalingPolicyConfiguration, policy.configuration)) {
        // Put replaces a policy of the same name: repeatable.
        await runner.run({ ...put, change: current ? `policy ${policyName} differs from the docs' target tracking` : `no policy ${policyName}` });
        if (outcome === 'unchanged') outcome = current ? 'updated' : 'created';
      }
      return { outcome, outputs: { [outputKey.scalableTarget(spec.id)]: id } };
    },
  };
}

/** One step per service ECS can scale, run together after every service exists (after the last wave's rollout). */
export function scalingSteps(settings: SettingsFor<'aws'>): ActionStep[] {
  const names = awsNames(settings);
  const read = lookup(settings, names);
  return SERVICES.flatMap((spec) => scalingStep(spec, settings, names, read) ?? []);
}
