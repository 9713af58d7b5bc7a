// The ECS documents a reviewer reads in plan --out: task definitions and service specs,
// ready for `aws ecs register-task-definition|create-service --cli-input-json`.
import { createHash } from 'node:crypto';
import type { SettingsFor } from '../../answers/settings.js';
import { buildServiceEnvironment } from '../../membrane/env.js';
import { PORT, type ServiceSpec } from '../../membrane/services.js';
import type { Outputs } from '../types.js';
import { outputKey, type AwsNames } from './names.js';
import { desiredRange } from './scaling.js';

export const SPEC_HASH_TAG = 'membrane:spec-hash';

const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

// Fargate accepts only these memory sizes (MiB) per CPU size (CPU units).
const FARGATE_MEMORY: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export function fargateSizeProblem(service: string, cpu: number, memory: number): string | undefined {
  const allowed = FARGATE_MEMORY[cpu];
  if (!allowed) return `services.${service}.cpu: ${cpu} is not a Fargate CPU size; use one of ${Object.keys(FARGATE_MEMORY).join(', ')}.`;
  if (!allowed.includes(memory)) {
    const sizes = cpu === 256 ? `${allowed.join(', ')} MiB` : `${allowed[0]}-${allowed.at(-1)} MiB in steps of ${allowed[1]! - allowed[0]!}`;
    return `services.${service}.memory: ${memory} MiB does not fit ${cpu} CPU units on Fargate; use ${sizes}.`;
  }
  return undefined;
}

export function runnerUri(names: AwsNames): string {
  return `http://${names.runnerDiscovery}.${names.namespace}:${PORT}`;
}

/**
 * The guide's container health check calls curl, which an image may lack; fall back to
 * wget, then to the Node.js runtime every Membrane image ships.
 */
function healthCheckCommand(path: string): string {
  const url = `http://localhost:${PORT}${path}`;
  return `curl -fsS ${url} >/dev/null || wget -q -O /dev/null ${url} || node -e "fetch('${url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`;
}

export function taskDefinition(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames, outputs: Outputs) {
  const aws = settings.answers.aws;
  const { cpu, memory } = settings.sizing[spec.id];
  const { env, secrets } = buildServiceEnvironment(spec, settings, {
    customCodeRunnerUri: runnerUri(names),
    storage: { STORAGE_PROVIDER: 's3', AWS_REGION: aws.region },
  });
  const document = {
    family: names.family(spec.id),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    cpu: String(cpu),
    memory: String(memory),
    executionRoleArn: outputs.get(outputKey.executionRoleArn),
    // Only the engine calls AWS (S3); the code runner, which runs customers' code, and the frontends may only be exec'd into.
    taskRoleArn: spec.image === 'core/api' ? aws.taskRoleArn : outputs.get(outputKey.execOnlyRoleArn),
    containerDefinitions: [
      {
        name: spec.id,
        image: `${settings.answers.registry.server}/${spec.image}:${settings.answers.imageTag}`,
        essential: true,
        portMappings: [{ name: 'http', containerPort: PORT, protocol: 'tcp' }],
        environment: Object.entries(env).map(([name, value]) => ({ name, value })),
        // ARN:json-key:version-stage:version-id, the first two empty: the whole value of that version. A new
        // version makes a new revision of exactly the readers' task definitions, and ECS rolls them.
        secrets: secrets.map((ref) => ({ name: ref.env, valueFrom: `${outputs.get(outputKey.secretArn(ref.secret))}:::${outputs.get(outputKey.secretVersion(ref.secret))}` })),
        // Takes no version: ECS reads the current one at each image pull, so a new password needs no restart.
        repositoryCredentials: { credentialsParameter: outputs.get(outputKey.secretArn('registryPassword')) },
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': names.logGroup, 'awslogs-region': aws.region, 'awslogs-stream-prefix': spec.id },
        },
        healthCheck: { command: ['CMD-SHELL', healthCheckCommand(spec.healthPath)], interval: 30, timeout: 5, retries: 3, startPeriod: 120 },
      },
    ],
  };
  // The hash tag lets a re-run recognise an identical registered revision and adopt it.
  const hash = createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 16);
  return { ...document, tags: [{ key: names.tag.key, value: names.tag.value }, { key: SPEC_HASH_TAG, value: hash }] };
}

export type TaskDefinition = ReturnType<typeof taskDefinition>;

export function specHash(document: TaskDefinition): string {
  return document.tags.find((tag) => tag.key === SPEC_HASH_TAG)!.value;
}

/** Fields shared by create-service and update-service. */
function serviceCommon(spec: ServiceSpec, settings: SettingsFor<'aws'>, taskDefinitionArn: string) {
  const aws = settings.answers.aws;
  return {
    cluster: aws.cluster,
    taskDefinition: taskDefinitionArn,
    desiredCount: settings.sizing[spec.id].replicas,
    networkConfiguration: {
      awsvpcConfiguration: { subnets: aws.subnets, securityGroups: aws.securityGroups, assignPublicIp: aws.assignPublicIp ? 'ENABLED' : 'DISABLED' },
    },
    // The circuit breaker turns a crash-looping rollout into FAILED (and rolls back) instead of retrying forever.
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
    // A way in for troubleshooting (aws ecs execute-command); its agent needs ssmmessages in the task role (troubleshoot checks).
    enableExecuteCommand: true,
    ...(spec.exposure === 'public' ? { healthCheckGracePeriodSeconds: 120 } : {}),
  };
}

export function createServiceInput(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames, outputs: Outputs) {
  const aws = settings.answers.aws;
  const targetGroup = spec.subdomain ? aws.targetGroups[spec.subdomain] : undefined;
  return {
    serviceName: names.service(spec.id),
    ...serviceCommon(spec, settings, outputs.get(outputKey.taskDefinitionArn(spec.id))),
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    ...(targetGroup ? { loadBalancers: [{ targetGroupArn: targetGroup, containerName: spec.id, containerPort: PORT }] } : {}),
    ...(spec.exposure === 'internal' ? { serviceRegistries: [{ registryArn: outputs.get(outputKey.runnerRegistryArn) }] } : {}),
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
    tags: [{ key: names.tag.key, value: names.tag.value }],
  };
}

/**
 * `currentCount`: the service's desired count now. Where Application Auto Scaling may have moved it,
 * a count within the scaling range stays (a re-run or upgrade must not undo a scale-out); one outside
 * it is brought to the nearest end.
 */
export function updateServiceInput(spec: ServiceSpec, settings: SettingsFor<'aws'>, names: AwsNames, outputs: Outputs, currentCount?: number) {
  const common = serviceCommon(spec, settings, outputs.get(outputKey.taskDefinitionArn(spec.id)));
  const { min, max } = desiredRange(spec, settings);
  const desiredCount = currentCount === undefined ? common.desiredCount : Math.min(max, Math.max(min, currentCount));
  return { service: names.service(spec.id), ...common, desiredCount };
}
