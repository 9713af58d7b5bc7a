// ECS autoscaling: the commands the scaling steps make (the docs' target tracking), that they look
// first and change only what differs, and that the service step keeps a count autoscaling set.
import { describe, expect, it } from 'vitest';
import { updateServiceInput } from '../../source/clouds/aws/documents.js';
import { awsNames } from '../../source/clouds/aws/names.js';
import { awsScaling, scalingSteps } from '../../source/clouds/aws/scaling.js';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { scalingText, type ActionStep, type Outputs } from '../../source/clouds/types.js';
import { serviceSpec } from '../../source/membrane/services.js';
import { awsSettings, scriptedRunner } from './fixtures.js';

const outputs: Outputs = { get: (key) => `<${key}>` };
const context = (runner: ReturnType<typeof scriptedRunner>['runner']) => ({ runner, outputs, secrets: {}, progress: () => {}, stop: new AbortController().signal });
const step = (id: string, settings = awsSettings()) => scalingSteps(settings).find((s) => s.id === `scaling:${id}`) as ActionStep;
const CPU = { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 60, ScaleInCooldown: 300 };

/** Answers describe-scalable-targets and describe-scaling-policies with what `cloud` holds. */
function cloud(target?: { MinCapacity: number; MaxCapacity: number }, policy?: Record<string, unknown>) {
  return scriptedRunner((argv) => {
    if (argv[2] === 'describe-scalable-targets') return { ScalableTargets: target ? [{ ResourceId: 'service/membrane-cluster/membrane-api', ...target }] : [] };
    // Another deployment's policy of the same name on another service is not this one's.
    if (argv[2] === 'describe-scaling-policies') {
      return { ScalingPolicies: [{ ResourceId: 'service/membrane-cluster/membrane-staging-api', PolicyName: 'membrane-api-cpu-scaling', PolicyType: 'StepScaling' },
        ...(policy ? [{ ResourceId: 'service/membrane-cluster/membrane-api', PolicyName: 'membrane-api-cpu-scaling', PolicyType: 'TargetTrackingScaling', ...policy }] : [])] };
    }
    return {};
  });
}

describe('ECS autoscaling steps', () => {
  it('scale api, ui, console on CPU and instant-worker on JobsPerWorker; the others have none', () => {
    expect(scalingSteps(awsSettings()).map((s) => s.id)).toEqual(['scaling:instant-worker', 'scaling:api', 'scaling:ui', 'scaling:console']);
    const texts = Object.fromEntries(awsScaling(awsSettings()).map((s) => [s.service, scalingText(s, 'task')]));
    expect(texts).toEqual({
      'custom-code-runner': '2 tasks (fixed: Prometheus-only metric)',
      orchestrator: '2 tasks (fixed)',
      'queued-worker': '2 tasks (fixed: Prometheus-only metric)',
      'instant-worker': '2–20 tasks on JobsPerWorker 5 (CloudWatch)',
      api: '2–10 tasks on CPU 50 %',
      ui: '2–5 tasks on CPU 50 %',
      console: '2–5 tasks on CPU 50 %',
    });
  });

  it('register the target with the answers\' min/max and put the docs\' target-tracking policy', async () => {
    const { runner, calls } = cloud();
    const settings = awsSettings((raw) => (raw.services = { api: { replicas: 3, maxReplicas: 12 } }));
    expect(await step('api', settings).apply(context(runner))).toEqual({ outcome: 'created', outputs: { 'scaling:api:resource-id': 'service/membrane-cluster/membrane-api' } });
    const target = ['--service-namespace', 'ecs', '--resource-id', 'service/membrane-cluster/membrane-api', '--scalable-dimension', 'ecs:service:DesiredCount'];
    expect(calls[2]).toEqual(['aws', 'application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '3', '--max-capacity', '12', '--region', 'us-east-1', '--output', 'json']);
    expect(calls[3]!.slice(0, 13)).toEqual(['aws', 'application-autoscaling', 'put-scaling-policy', ...target, '--policy-name', 'membrane-api-cpu-scaling', '--policy-type', 'TargetTrackingScaling']);
    const [document] = step('api').preview(outputs).flatMap((command) => command.argv.filter((arg) => typeof arg === 'object'));
    expect(JSON.parse((document as { content: string }).content)).toEqual(CPU);
    const worker = step('instant-worker').preview(outputs)[1]!.argv.find((arg) => typeof arg === 'object') as { content: string };
    expect(JSON.parse(worker.content)).toMatchObject({ TargetValue: 5, CustomizedMetricSpecification: { MetricName: 'JobsPerWorker', Namespace: 'Membrane', Statistic: 'Average' } });
  });

  it('read the targets and policies once for all four steps of a run', async () => {
    const { runner, calls } = cloud({ MinCapacity: 2, MaxCapacity: 10 }, { TargetTrackingScalingPolicyConfiguration: CPU });
    await Promise.all(scalingSteps(awsSettings()).map((s) => s.apply(context(runner)).catch(() => undefined)));
    expect(calls.filter((argv) => argv[2]!.startsWith('describe-'))).toHaveLength(2);
    expect(calls[0]).toContain('service/membrane-cluster/membrane-console');
  });

  it('change nothing when target and policy match (the cloud adding fields of its own)', async () => {
    const { runner, calls } = cloud({ MinCapacity: 2, MaxCapacity: 10 }, { TargetTrackingScalingPolicyConfiguration: { ...CPU, DisableScaleIn: false } });
    expect((await step('api').apply(context(runner))).outcome).toBe('unchanged');
    expect(calls.map((argv) => argv[2])).toEqual(['describe-scalable-targets', 'describe-scaling-policies']);
  });

  it('say what differs: new min/max, an edited policy', async () => {
    const { runner, calls } = cloud({ MinCapacity: 1, MaxCapacity: 4 }, { TargetTrackingScalingPolicyConfiguration: { ...CPU, TargetValue: 80 } });
    const changes: string[] = [];
    const recording = { ...runner, run: (command: Parameters<typeof runner.run>[0], options?: Parameters<typeof runner.run>[1]) => (command.change && changes.push(command.change), runner.run(command, options)) };
    expect((await step('api').apply(context(recording))).outcome).toBe('updated');
    expect(calls.map((argv) => argv[2])).toEqual(['describe-scalable-targets', 'describe-scaling-policies', 'register-scalable-target', 'put-scaling-policy']);
    expect(changes).toEqual(['tasks 1–4 → 2–10', 'policy membrane-api-cpu-scaling differs from the docs\' target tracking']);
  });

  it('turn a refused service-linked role into the fix', async () => {
    const { CliError } = await import('../../source/exec/errors.js');
    const { runner } = cloud();
    const denied = { ...runner, run: async (command: Parameters<typeof runner.run>[0]) => {
      if (command.argv[2] === 'register-scalable-target') throw new CliError('access-denied', [], 255, 'An error occurred (AccessDeniedException) when calling the RegisterScalableTarget operation: User is not authorized to perform: iam:CreateServiceLinkedRole');
      return runner.run(command);
    } };
    await expect(step('api').apply(context(denied))).rejects.toThrow(/aws iam create-service-linked-role --aws-service-name ecs\.application-autoscaling\.amazonaws\.com/);
  });
});

describe('the ECS service step with autoscaling', () => {
  const settings = awsSettings();
  const names = awsNames(settings);
  it('keeps a desired count autoscaling set within the range, and brings one outside it to the nearest end', () => {
    expect(updateServiceInput(serviceSpec('api'), settings, names, outputs, 7).desiredCount).toBe(7);
    expect(updateServiceInput(serviceSpec('api'), settings, names, outputs, 1).desiredCount).toBe(2);
    expect(updateServiceInput(serviceSpec('api'), settings, names, outputs, 40).desiredCount).toBe(10);
    // Fixed services get their replicas back.
    expect(updateServiceInput(serviceSpec('orchestrator'), settings, names, outputs, 3).desiredCount).toBe(2);
    expect(updateServiceInput(serviceSpec('queued-worker'), settings, names, outputs, 5).desiredCount).toBe(2);
  });

  it('calls a count autoscaling set no difference on a re-run (so diff does not call it drift), and one below the minimum one', async () => {
    const service = awsSteps(settings).find((s) => s.id === 'service:api')!;
    const describe = (desiredCount: number) => scriptedRunner((argv) => (argv[2] === 'describe-services'
      ? { services: [{ serviceName: 'membrane-api', status: 'ACTIVE', taskDefinition: '<task-definition:api:arn>', desiredCount, enableExecuteCommand: true, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }] }] }
      : {}));
    const scaledOut = describe(7);
    expect((await service.apply(context(scaledOut.runner))).outcome).toBe('unchanged');
    expect(scaledOut.calls.map((argv) => argv[2])).toEqual(['describe-services']);
    const below = describe(1);
    expect((await service.apply(context(below.runner))).outcome).toBe('updated');
    expect(below.calls.map((argv) => argv[2])).toEqual(['describe-services', 'update-service']);
  });
});
