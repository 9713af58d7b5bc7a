import type { SettingsFor } from '../../answers/settings.js';
import { SERVICES } from '../../membrane/services.js';
import type { CloudAdapter, CloudModule } from '../types.js';
import { fargateSizeProblem, runnerUri } from './documents.js';
import { awsDiagnostics } from './diagnostics.js';
import { dnsRecordsStep } from './dns.js';
import { awsEndpointsStep } from './endpoints.js';
import { awsNames } from './names.js';
import { observeAws } from './observe.js';
import { askAws } from './questions.js';
import { awsPreflight } from './preflight.js';
import { awsResources } from './review.js';
import { awsScaling, SCALING_ROLE, SCALING_ROLE_SERVICE } from './scaling.js';
import { awsSteps } from './steps.js';
import { awsUninstall } from './uninstall.js';

export function awsAdapter(settings: SettingsFor<'aws'>): CloudAdapter {
  const names = awsNames(settings);
  return {
    inputProblems: () =>
      SERVICES.flatMap((spec) => fargateSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? []),
    preflight: (runner) => awsPreflight(settings, runner),
    plan: () => {
      const zone = settings.answers.dns?.zone;
      return [...awsSteps(settings), awsEndpointsStep(settings), ...(zone ? [dnsRecordsStep(settings, zone)] : [])];
    },
    observe: (runner, known) => observeAws(settings, runner, known),
    diagnostics: () => awsDiagnostics(settings),
    uninstall: (runner, known, options) => awsUninstall(settings, runner, known, options),
    notes: () => [
      `Images are pulled from ${settings.answers.registry.server} with the credentials in Secrets Manager (${names.secret('registryPassword')}).`,
      `The API, workers and orchestrator reach the code runner at ${runnerUri(names)} (Cloud Map private DNS); it is never public.`,
      settings.answers.aws.executionRoleArn
        ? `Role ${names.executionRole} gets an inline policy ${names.executionPolicy} to read these secrets: every task in the account that uses ${names.executionRole} can then read them. Leave aws.executionRoleArn out to have a role made for this deployment alone.`
        : `Creates IAM role ${names.executionRole} (AmazonECSTaskExecutionRolePolicy, and ${names.executionPolicy} to read only this deployment's secrets) for pulling images and reading secrets.`,
      ...scalingNotes(settings),
      `Only the engine services (api, workers, orchestrator) run with task role ${settings.answers.aws.taskRoleArn.split('/').pop()}; the code runner, which runs your customers' code, and the ui and console run with ${names.execOnlyRole}, which allows ECS Exec and nothing else.`,
    ],
  };
}

/** What the review says about ECS autoscaling: the metric Membrane does not publish, what stays fixed, and the role it needs. */
function scalingNotes(settings: SettingsFor<'aws'>): string[] {
  const instant = settings.sizing['instant-worker'];
  const fixed = SERVICES.filter((spec) => spec.scaling.metric === 'workers-required' || spec.scaling.metric === 'capacity').map((spec) => spec.id);
  return [
    `Autoscaling (Application Auto Scaling, target tracking): api, ui and console on average CPU 50 %; instant-worker on the CloudWatch metric Membrane/JobsPerWorker (target 5 jobs per worker), which Membrane does not publish: `
      + `publish (instant_tasks_jobs_active + instant_tasks_jobs_waiting) / running workers to CloudWatch (e.g. from its Prometheus endpoint); until then instant-worker stays at ${instant.replicas} tasks.`,
    `${fixed.join(' and ')} run a fixed count of tasks on ECS: autoscaling.md scales them on Prometheus metrics only (workers required + 30 %, job-space capacity), which ECS cannot read; services.<id>.replicas sets the count. The orchestrator is fixed by design.`,
    `The first scalable target in an account makes AWS create the service-linked role ${SCALING_ROLE}, which needs iam:CreateServiceLinkedRole; without it, have it created once: aws iam create-service-linked-role --aws-service-name ${SCALING_ROLE_SERVICE}`,
  ];
}

export const awsCloud: CloudModule<'aws'> = {
  title: 'AWS ECS (Fargate)',
  ask: (kit, discoveries) => askAws(kit, discoveries.aws),
  adapter: awsAdapter,
  resources: awsResources,
  scaling: awsScaling,
  storage: 'S3',
  where: {
    logs: 'the CloudWatch log group of the deployment (aws logs filter-log-events)',
    env: 'plan --out writes them into task-definitions/*.json',
    network: 'the tasks\' subnets and security groups',
    pullRoute: 'the tasks\' subnets need a route to the registry (NAT gateway, or aws.assignPublicIp)',
    grace: 'increase the health check grace period',
  },
  platform: {
    address: 'the load balancer\'s DNS name',
    terminator: 'the load balancer\'s HTTPS listener',
    front: 'the load balancer',
    unit: 'task',
    notReady: (service) => `the load balancer has no healthy target for ${service}`,
    route: (service, host) => `add a rule to the load balancer's HTTPS listener: host header ${host} -> the ${service} target group`,
    refused: () => 'look at the HTTPS listener\'s rules and any WAF web ACL on the load balancer',
  },
  // The aws CLI pipes long output through a pager, which would wait for a key.
  cliEnv: { AWS_PAGER: '' },
};
