// The service catalogue: the one place that knows what Membrane is made of
// (membrane-docs/deployment/services.md and the guide's deployment order).

export const SERVICE_IDS = [
  'custom-code-runner',
  'orchestrator',
  'queued-worker',
  'instant-worker',
  'api',
  'ui',
  'console',
] as const;

export type ServiceId = (typeof SERVICE_IDS)[number];

export type Exposure = 'internal' | 'none' | 'public';

/**
 * What a service scales on, per autoscaling.md's "Scaling Recommendations": each cloud maps it to
 * what it can do (clouds/<cloud>/scaling.ts) and says where it cannot.
 */
export type ScalingMetric =
  /** Average CPU utilization of the service's instances, in percent. */
  | 'cpu'
  /** (instant_tasks_jobs_active + instant_tasks_jobs_waiting) per worker. */
  | 'jobs-per-worker'
  /** queued_tasks_workers_required plus a 30 % buffer (Prometheus only). */
  | 'workers-required'
  /** Share of the runner's job spaces in use (Prometheus only). */
  | 'capacity'
  /** Never scaled: the orchestrator runs exactly its replicas (HA). */
  | 'fixed';

export interface ScalingRule {
  metric: ScalingMetric;
  /** The docs' threshold: percent CPU, jobs per worker, or the capacity share. */
  target?: number;
  /** The docs' maximum replicas; the minimum is defaultReplicas. */
  defaultMaxReplicas: number;
}

export interface ServiceSpec {
  id: ServiceId;
  /** Image path below the registry host; the tag comes from the answers. */
  image: 'core/api' | 'core/ui' | 'core/console' | 'core/custom-code-runner';
  /** The env flag that selects this mode of the shared core/api image. */
  modeFlag?: 'IS_API' | 'IS_INSTANT_TASKS_WORKER' | 'IS_QUEUED_TASKS_WORKER' | 'IS_ORCHESTRATOR';
  healthPath: string;
  exposure: Exposure;
  /** Subdomain of the answers' domain, for public services. */
  subdomain?: 'api' | 'ui' | 'console';
  /** Documented minimums; the installer never goes below them. */
  minCpuMillicores: number;
  minMemoryMiB: number;
  /** Defaults the installer proposes (autoscaling.md's production minimum of 2 replicas). */
  defaultCpuMillicores: number;
  defaultMemoryMiB: number;
  defaultReplicas: number;
  /** How it scales between replicas (the minimum) and maxReplicas. */
  scaling: ScalingRule;
  /**
   * Services of one wave are created in catalogue order and roll out together; the next
   * wave starts when all of them are healthy: the runner, then the background services
   * (workers before the API), then the user-facing ones.
   */
  wave: 1 | 2 | 3;
}

export const PORT = 5000;

const engine = { image: 'core/api', minCpuMillicores: 500, minMemoryMiB: 2048, defaultCpuMillicores: 512, defaultMemoryMiB: 2048, defaultReplicas: 2 } as const;
const frontend = { minCpuMillicores: 250, minMemoryMiB: 512, defaultCpuMillicores: 512, defaultMemoryMiB: 1024, defaultReplicas: 2, exposure: 'public', healthPath: '/' } as const;

// autoscaling.md's "Scaling Recommendations" table: min 2 everywhere, the max and metric per service.
export const SERVICES: readonly ServiceSpec[] = [
  { id: 'custom-code-runner', image: 'core/custom-code-runner', healthPath: '/api/v2/health', exposure: 'internal', minCpuMillicores: 500, minMemoryMiB: 2048, defaultCpuMillicores: 512, defaultMemoryMiB: 2048, defaultReplicas: 2, scaling: { metric: 'capacity', target: 0.45, defaultMaxReplicas: 20 }, wave: 1 },
  { id: 'orchestrator', ...engine, modeFlag: 'IS_ORCHESTRATOR', healthPath: '/', exposure: 'none', scaling: { metric: 'fixed', defaultMaxReplicas: 2 }, wave: 2 },
  { id: 'queued-worker', ...engine, modeFlag: 'IS_QUEUED_TASKS_WORKER', healthPath: '/prometheus/queued-tasks', exposure: 'none', scaling: { metric: 'workers-required', target: 0.3, defaultMaxReplicas: 50 }, wave: 2 },
  { id: 'instant-worker', ...engine, modeFlag: 'IS_INSTANT_TASKS_WORKER', healthPath: '/', exposure: 'none', scaling: { metric: 'jobs-per-worker', target: 5, defaultMaxReplicas: 20 }, wave: 2 },
  // The guide's task definition gives the API a full vCPU.
  { id: 'api', ...engine, modeFlag: 'IS_API', healthPath: '/', exposure: 'public', subdomain: 'api', defaultCpuMillicores: 1024, scaling: { metric: 'cpu', target: 50, defaultMaxReplicas: 10 }, wave: 3 },
  { id: 'ui', image: 'core/ui', ...frontend, subdomain: 'ui', scaling: { metric: 'cpu', target: 50, defaultMaxReplicas: 5 }, wave: 3 },
  { id: 'console', image: 'core/console', ...frontend, subdomain: 'console', scaling: { metric: 'cpu', target: 50, defaultMaxReplicas: 5 }, wave: 3 },
];

export const PUBLIC_SERVICES = ['api', 'ui', 'console'] as const;
export type PublicServiceId = (typeof PUBLIC_SERVICES)[number];

export function serviceSpec(id: ServiceId): ServiceSpec {
  const spec = SERVICES.find((s) => s.id === id);
  if (!spec) throw new Error(`unknown service ${id}`);
  return spec;
}

/** "custom-code-runner /api/v2/health, queued-worker /prometheus/queued-tasks, the others /": the guide's "Monitoring" paths, for notes. */
export function healthPaths(): string {
  const special = SERVICES.filter((spec) => spec.healthPath !== '/');
  return [...special.map((spec) => `${spec.id} ${spec.healthPath}`), 'the others /'].join(', ');
}
