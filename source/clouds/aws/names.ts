// Names of everything the installer creates on AWS, derived from the deployment's prefix
// so that two deployments (--name) can share an account and a cluster.
import type { Arg } from '../../exec/command.js';
import type { SecretKey } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import type { ServiceId } from '../../membrane/services.js';
import { SECRET_SUFFIX } from '../secret-names.js';
import { secretVersionOutput } from '../types.js';

export function awsNames(settings: SettingsFor<'aws'>) {
  const { prefix } = settings;
  const aws = settings.answers.aws;
  return {
    family: (service: ServiceId) => `${prefix}-${service}`,
    service: (service: ServiceId) => `${prefix}-${service}`,
    secret: (key: SecretKey) => `${prefix}/${SECRET_SUFFIX[key]}`,
    logGroup: aws.logGroup ?? `/ecs/${prefix}`,
    namespace: aws.namespace ?? `${prefix}.internal`,
    /** Cloud Map service through which the engine finds the runner. */
    runnerDiscovery: 'custom-code-runner',
    executionPolicy: `${prefix}-read-secrets`,
    /** The answers' execution role, or one made for this deployment alone, so no other task can read its secrets. */
    executionRole: aws.executionRoleArn?.split('/').pop() ?? `${prefix}-execution`,
    /** Task role of the code runner, ui and console: ECS Exec and nothing else. */
    execOnlyRole: `${prefix}-exec-only`,
    execPolicy: `${prefix}-ecs-exec`,
    /** What the execution-role step does, as the plan and the live table say it. */
    executionRoleTitle: aws.executionRoleArn
      ? `Allow role ${aws.executionRoleArn.split('/').pop()} to read the secrets`
      : `Role ${prefix}-execution (pulls images, reads only this deployment's secrets)`,
    /** Tag on everything created, so uninstall and troubleshoot can find it. */
    tag: { key: 'membrane:deployment', value: settings.name },
  };
}

export type AwsNames = ReturnType<typeof awsNames>;

/** Output keys shared between steps. */
export const outputKey = {
  secretArn: (key: SecretKey) => `secret:${key}:arn`,
  secretVersion: secretVersionOutput,
  taskDefinitionArn: (service: ServiceId) => `task-definition:${service}:arn`,
  /** The revision the service step last deployed: what its rollout must end on. */
  deployedRevision: (service: ServiceId) => `service:${service}:task-definition`,
  namespaceId: 'namespace:id',
  executionRoleArn: 'execution-role:arn',
  execOnlyRoleArn: 'exec-only-role:arn',
  runnerRegistryArn: 'discovery:custom-code-runner:arn',
  /** The Application Auto Scaling resource id the install registered (service/CLUSTER/SERVICE), for uninstall. */
  scalableTarget: (service: ServiceId) => `scaling:${service}:resource-id`,
};

/** The aws argv prefix every call shares: explicit region and JSON output. */
export function awsArgv(region: string, ...args: Arg[]): Arg[] {
  return ['aws', ...args, '--region', region, '--output', 'json'];
}
