// The guide's troubleshooting section as data: three symptoms, each with the items that rule
// it in or out. An item is either a probe (run here, against the cloud or the registry) or a
// manual step with the exact command, for what can only be checked from inside the network.
import type { Settings } from '../answers/settings.js';
import type { CloudDiagnostics, ServiceInspection } from '../clouds/types.js';
import type { Runner } from '../exec/runner.js';
import { buildServiceEnvironment } from '../membrane/env.js';
import { PORT, SERVICES, serviceSpec, type ServiceId } from '../membrane/services.js';
import { checkImageExists, checkRegistryLogin } from './registry.js';
import { HEALTH_PATTERN, PULL_PATTERN, type SymptomId } from './symptoms.js';

export { SYMPTOM_TITLES, type SymptomId } from './symptoms.js';

/** What a failed item points to; the diagnosis picks the heaviest. */
export interface Cause {
  symptom: SymptomId;
  title: string;
  fix: string;
  weight: number;
}

export interface Finding {
  state: 'pass' | 'fail' | 'skip';
  summary: string;
  evidence: string[];
  cause?: Cause;
}

export interface ChecklistItem {
  id: string;
  symptom: SymptomId;
  title: string;
  service?: ServiceId;
  probe?: () => Promise<Finding>;
  manual?: { command: string; expect: string };
}

export interface ChecklistContext {
  settings: Settings;
  diagnostics: CloudDiagnostics;
  runner: Runner;
  /** Every service, as the cloud describes it now. */
  inspections: ServiceInspection[];
  /** The services to look into: those not healthy. */
  focus: ServiceId[];
  /** Needed for the registry login; the item is skipped without it. */
  registryPassword?: string;
  /** Why the registry is not tried at all (the demo's registry exists nowhere). */
  registryOutOfReach?: string;
  /** Keeps the logs the log items read, for the support bundle. */
  logs: Map<ServiceId, string[]>;
}

const DATABASE_PATTERN = /MongoServerSelectionError|MongoNetworkError|mongo.*(?:ECONNREFUSED|ETIMEDOUT|ENOTFOUND)|Redis.*(?:ECONNREFUSED|ETIMEDOUT|ENOTFOUND|connection)|ECONNREFUSED .*:(?:27017|6379)\b/i;

const LOG_LINES = 50;
/** The engine connects to MongoDB and Redis before it answers: give it at least this long. */
const MIN_STARTUP_SECONDS = 60;

const pass = (summary: string, evidence: string[] = []): Finding => ({ state: 'pass', summary, evidence });
const skip = (summary: string): Finding => ({ state: 'skip', summary, evidence: [] });
const fail = (summary: string, evidence: string[], cause: Cause): Finding => ({ state: 'fail', summary, evidence, cause });

export function buildChecklist(context: ChecklistContext): ChecklistItem[] {
  const { settings, diagnostics, focus } = context;
  const inspection = (service: ServiceId) => context.inspections.find((i) => i.service === service)!;
  const perService = (make: (service: ServiceId) => ChecklistItem) => focus.map(make);
  const { registry, imageTag } = settings.answers;

  return [
    // Container fails to start
    ...perService((service) => ({
      id: `reasons:${service}`,
      symptom: 'start',
      service,
      title: `${service}: what the cloud says`,
      probe: async () => reasonsFinding(service, inspection(service)),
    })),
    ...perService((service) => ({
      id: `logs:${service}`,
      symptom: 'start',
      service,
      title: `${service}: recent logs`,
      probe: async () => {
        const lines = await diagnostics.logs(context.runner, service, LOG_LINES);
        context.logs.set(service, lines);
        if (lines.length === 0) return skip(`no log lines in the last hour (${diagnostics.logsCommand(service)})`);
        const database = lines.filter((l) => DATABASE_PATTERN.test(l));
        if (database.length) {
          return fail('the service cannot reach MongoDB or Redis', database.slice(-5), {
            symptom: 'start',
            title: `${service} cannot reach MongoDB or Redis`,
            fix: 'Check MEMBRANE_MONGO_URI / MEMBRANE_REDIS_URI and that the service\'s network can reach them (firewall, IP allow-list of a managed database, VPC peering); then resume.',
            weight: 90,
          });
        }
        return pass(`${lines.length} lines, no known error`, lines.slice(-10));
      },
    })),
    ...perService((service) => ({
      id: `env:${service}`,
      symptom: 'start',
      service,
      title: `${service}: environment variables present and well-formed`,
      probe: async () => envFinding(service, inspection(service), settings, diagnostics),
    })),
    // The manual items below need a shell inside; say now if the way in is shut.
    ...(diagnostics.shellAccess
      ? [{
          id: 'shell-access',
          symptom: 'start' as const,
          title: 'A shell in the running containers, for the checks below',
          // Not a cause of any failure, so no diagnosis: the fix goes with the evidence.
          probe: async (): Promise<Finding> => {
            const access = await diagnostics.shellAccess!(context.runner);
            if (access.ok) return pass(access.summary, access.evidence);
            return { state: 'fail', summary: access.summary, evidence: [...access.evidence, ...(access.fix ?? '').split('\n').filter(Boolean).map((line) => `fix: ${line}`)] };
          },
        }]
      : []),
    {
      id: 'databases',
      symptom: 'start',
      title: 'MongoDB and Redis reachable from the services\' network',
      manual: {
        command: `${diagnostics.insideCommand(focus[0] ?? 'api')}  then: nc -zv <mongo host> 27017; nc -zv <redis host> 6379`,
        expect: 'Only a shell inside the deployment\'s network can tell; both ports answer "succeeded".',
      },
    },
    // Cannot pull image
    {
      id: 'registry-login',
      symptom: 'pull',
      title: `Registry login to ${registry.server} as ${registry.username}`,
      probe: async () => {
        if (context.registryOutOfReach) return skip(context.registryOutOfReach);
        if (!context.registryPassword) return skip('set MEMBRANE_REGISTRY_PASSWORD to test the login');
        const result = await checkRegistryLogin({ server: registry.server, username: registry.username, password: context.registryPassword });
        if (result.ok) return pass(result.summary, result.evidence);
        const rejected = result.status === 401 || result.status === 403;
        return fail(result.summary, result.evidence, {
          symptom: 'pull',
          title: rejected ? `${registry.server} rejects the robot account ${registry.username}` : `${registry.server} is not reachable from here`,
          fix: rejected
            ? 'Get the robot account\'s current password from Membrane, run install again with it in MEMBRANE_REGISTRY_PASSWORD (it updates the stored secret), then resume.'
            : 'Check the registry host (registry.server) and this machine\'s network; the services need the same route.',
          weight: rejected ? 100 : 40,
        });
      },
    },
    {
      id: 'images',
      symptom: 'pull',
      title: `Images exist with tag ${imageTag}`,
      probe: async () => {
        if (context.registryOutOfReach) return skip(context.registryOutOfReach);
        if (!context.registryPassword) return skip('set MEMBRANE_REGISTRY_PASSWORD to look the images up');
        const images = [...new Set(SERVICES.map((s) => s.image))];
        const results = await Promise.all(images.map((image) => checkImageExists({ server: registry.server, username: registry.username, password: context.registryPassword!, image, tag: imageTag })));
        // Only the registry's own 404 says a tag is missing; no answer at all is the login item's to explain.
        const missing = images.filter((_, i) => results[i]!.status === 404);
        const evidence = results.map((r, i) => `${images[i]}:${imageTag}: ${r.summary}`);
        if (results.every((r) => r.ok)) return pass(`${images.length} images found`, evidence);
        if (missing.length === 0) return skip(`could not look the images up: ${results.find((r) => !r.ok)!.summary}`);
        return fail(`not found: ${missing.map((i) => `${i}:${imageTag}`).join(', ')}`, evidence, {
          symptom: 'pull',
          title: `image tag ${imageTag} does not exist for ${missing.join(', ')}`,
          fix: 'Set imageTag (or --image-tag) to a published Membrane version, then run install again.',
          weight: 95,
        });
      },
    },
    {
      id: 'registry-route',
      symptom: 'pull',
      title: 'The services\' network reaches the registry',
      manual: {
        command: `${diagnostics.insideCommand(focus[0] ?? 'api')}  then: curl -sS -o /dev/null -w '%{http_code}\\n' https://${registry.server}/v2/`,
        expect: '401 (the registry answers and asks for a login); a timeout means no route (NAT, firewall).',
      },
    },
    // Health checks failing
    ...perService((service) => ({
      id: `port:${service}`,
      symptom: 'health',
      service,
      title: `${service}: listens on the port the platform checks`,
      probe: async () => portFinding(service, inspection(service)),
    })),
    ...perService((service) => ({
      id: `grace:${service}`,
      symptom: 'health',
      service,
      title: `${service}: startup grace period long enough`,
      probe: async () => {
        const seconds = inspection(service).startupGraceSeconds;
        if (seconds === undefined) return skip('the platform reports no startup grace period for this service');
        if (seconds >= MIN_STARTUP_SECONDS) return pass(`${seconds} s before health checks count`);
        return fail(`only ${seconds} s before health checks count`, [], {
          symptom: 'health',
          title: `${service} gets only ${seconds} s to start`,
          fix: `Allow at least ${MIN_STARTUP_SECONDS} s (the engine connects to MongoDB and Redis first).`,
          weight: 50,
        });
      },
    })),
    ...perService((service) => ({
      id: `health-path:${service}`,
      symptom: 'health',
      service,
      title: `${service}: the health path answers`,
      manual: healthPathStep(service, settings, diagnostics),
    })),
  ];
}

function reasonsFinding(service: ServiceId, inspection: ServiceInspection): Finding {
  if (!inspection.found) {
    return fail('the cloud has no such service', [], { symptom: 'start', title: `${service} is not deployed`, fix: 'Run install (or resume) to create it.', weight: 30 });
  }
  if (inspection.healthy) return pass('healthy');
  const reasons = inspection.reasons;
  const text = reasons.join(' ');
  if (PULL_PATTERN.test(text)) {
    return fail('the image could not be pulled', reasons, {
      symptom: 'pull',
      title: `${service} cannot pull its image`,
      fix: 'Check the registry credentials and that the services\' network reaches the registry (see the items under "Cannot pull image").',
      weight: 80,
    });
  }
  if (HEALTH_PATTERN.test(text)) {
    return fail('health checks fail', reasons, {
      symptom: 'health',
      title: `${service} fails its health checks`,
      fix: `Make sure it listens on port ${PORT} and answers ${serviceSpec(service).healthPath}; give it longer to start if its logs show it is still starting.`,
      weight: 70,
    });
  }
  return fail(reasons.length ? 'the container stopped' : 'not healthy, and the cloud gives no reason yet', reasons, {
    symptom: 'start',
    title: `${service} fails to start`,
    fix: 'Read its logs (the item below) for the error it exits with.',
    weight: 60,
  });
}

function envFinding(service: ServiceId, inspection: ServiceInspection, settings: Settings, diagnostics: CloudDiagnostics): Finding {
  if (!inspection.found) return skip('not deployed');
  // Only the names matter here, so the cloud-specific values are placeholders.
  const expected = buildServiceEnvironment(serviceSpec(service), settings, { customCodeRunnerUri: 'x', storage: {}, reservedEnv: diagnostics.reservedEnv });
  const missing = [
    ...Object.keys(expected.env).filter((name) => !(name in inspection.env)),
    ...expected.secrets.map((ref) => ref.env).filter((name) => !inspection.secretEnv.includes(name)),
  ];
  const malformed = Object.entries(inspection.env)
    .filter(([name, value]) => (/_URI$/.test(name) && !isUrl(value)) || (name === 'PORT' && value !== String(PORT)))
    .map(([name, value]) => `${name}=${value}`);
  if (!missing.length && !malformed.length) return pass(`${Object.keys(inspection.env).length} values and ${inspection.secretEnv.length} secrets as expected`);
  const problems = [...missing.map((name) => `missing: ${name}`), ...malformed.map((entry) => `malformed: ${entry}`)];
  return fail(problems.join('; '), problems, {
    symptom: 'start',
    title: `${service} has ${missing.length ? 'missing' : 'malformed'} environment variables`,
    fix: 'Run install again so the service gets the documented environment (plan --out shows it).',
    weight: 85,
  });
}

function portFinding(service: ServiceId, inspection: ServiceInspection): Finding {
  if (!inspection.found) return skip('not deployed');
  const { containerPort, checkedPort } = inspection;
  if (containerPort === undefined && checkedPort === undefined) return skip('no port is configured (a service without ingress)');
  const ports = [containerPort, checkedPort].filter((p) => p !== undefined);
  if (ports.every((p) => p === PORT)) return pass(`port ${PORT}`);
  return fail(`container port ${containerPort ?? '?'}, checked port ${checkedPort ?? '?'}`, [], {
    symptom: 'health',
    title: `${service} is checked on port ${checkedPort ?? containerPort}, but Membrane listens on ${PORT}`,
    fix: `Set the container and target port to ${PORT} (run install again).`,
    weight: 75,
  });
}

function healthPathStep(service: ServiceId, settings: Settings, diagnostics: CloudDiagnostics) {
  const spec = serviceSpec(service);
  if (spec.subdomain) return { command: `curl -fsS -o /dev/null -w '%{http_code}\\n' ${settings.urls[spec.subdomain]}${spec.healthPath}`, expect: '200' };
  return { command: `${diagnostics.insideCommand(service)}  then: wget -qO- http://localhost:${PORT}${spec.healthPath}`, expect: 'an answer, not "connection refused"' };
}

function isUrl(value: string): boolean {
  try {
    return Boolean(new URL(value).protocol);
  } catch {
    return false;
  }
}
