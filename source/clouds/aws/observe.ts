// One describe-services call returns every service's rollout (ECS allows 10 per call; we have 7).
import type { Settings } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { ServiceObservation } from '../types.js';
import { awsArgv, awsNames } from './names.js';

interface EcsDeployment {
  status: string;
  rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
}

interface EcsService {
  serviceName: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  deployments?: EcsDeployment[];
  events?: { message: string }[];
}

export async function observeAws(settings: Settings, runner: Runner): Promise<ServiceObservation[]> {
  const aws = settings.answers.aws!;
  const names = awsNames(settings);
  const { services = [] } = await runJson<{ services?: EcsService[] }>(runner, {
    argv: awsArgv(aws.region, 'ecs', 'describe-services', '--cluster', aws.cluster, '--services', ...SERVICES.map((s) => names.service(s.id))),
  });
  return SERVICES.map((spec) => {
    const found = services.find((s) => s.serviceName === names.service(spec.id) && s.status !== 'INACTIVE');
    if (!found) return { service: spec.id, running: 0, desired: settings.sizing[spec.id].replicas };
    return { service: spec.id, ...phaseOf(found) };
  });
}

export function phaseOf(service: EcsService): Omit<ServiceObservation, 'service'> {
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  const latestEvent = service.events?.[0]?.message;
  const counts = { running: service.runningCount, desired: service.desiredCount };
  if (primary?.rolloutState === 'FAILED') return { phase: 'failed', ...counts, message: primary.rolloutStateReason ?? latestEvent };
  const settled = primary?.rolloutState === 'COMPLETED' && (service.deployments?.length ?? 0) === 1;
  if (settled && service.runningCount >= service.desiredCount) return { phase: 'healthy', ...counts, message: latestEvent ?? primary?.rolloutStateReason };
  return { phase: 'deploying', ...counts, message: latestEvent ?? primary?.rolloutStateReason };
}
