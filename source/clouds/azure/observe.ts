// Every poll of a rollout wait is ONE az call. `az containerapp list` gives every app's provisioning
// state and whether its latest revision is the ready one, but not why a revision is not ready: the
// app's runningStatus (Progressing, Running, Stopped, Suspended, Ready) has no failed state, and no
// ARM call lists the revisions of several apps. So while apps of the wave wait on a revision that
// is provisioned but not ready, the polls alternate: a list, then one such app's `revision show`
// (the one explained longest ago first), merged into that list's observations. Each waiting app of
// a wave of k is asked at least every 2k polls, and a failed revision is reported with its details.
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICE_IDS, SERVICES, type ServiceId } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { Poll, ServiceObservation } from '../types.js';
import { azArgv, azureNames } from './names.js';

export interface ContainerApp {
  name: string;
  properties: { provisioningState?: string; latestRevisionName?: string; latestReadyRevisionName?: string; runningStatus?: string };
}

export interface Revision {
  properties: { healthState?: string; runningState?: string; runningStateDetails?: string; provisioningState?: string };
}

type AppState = Pick<ServiceObservation, 'phase' | 'message'>;

/** What a revision said when it was asked, for as long as it is the app's latest. */
interface Explanation {
  revision: string;
  state: AppState;
  /** The poll that asked it. */
  poll: number;
}

/** One list: every app as that list shows it (an app waiting on its revision is deploying). */
export function observeAzure(settings: SettingsFor<'azure'>, runner: Runner): Promise<ServiceObservation[]> {
  return watchAzure(settings, SERVICE_IDS)(runner);
}

/**
 * The poller of one rollout wait of `services`: one az call per poll. It lives for that wait only,
 * so a list or an answer from before the steps that ran since is never reported.
 */
export function watchAzure(settings: SettingsFor<'azure'>, services: readonly ServiceId[]): Poll {
  const names = azureNames(settings);
  const waited = new Set(services.map((service) => names.app(service)));
  const order = (app: ContainerApp) => SERVICES.findIndex((spec) => names.app(spec.id) === app.name);
  let listed: ContainerApp[] | undefined;
  let explainNext = false;
  let polls = 0;
  const explained = new Map<string, Explanation>();
  const explanationOf = (app: ContainerApp) => {
    const explanation = explained.get(app.name);
    return explanation?.revision === app.properties.latestRevisionName ? explanation : undefined;
  };
  return async (runner) => {
    polls++;
    const waiting = (listed ?? []).filter((app) => waited.has(app.name) && app.properties.latestRevisionName && phaseOf(app) === 'waiting-for-revision');
    if (explainNext && waiting.length) {
      // The app whose latest revision was never asked, or asked longest ago; ties in the guide's order.
      const [app] = waiting.sort((a, b) => (explanationOf(a)?.poll ?? 0) - (explanationOf(b)?.poll ?? 0) || order(a) - order(b));
      const revision = await showRevision(runner, settings, app!);
      explained.set(app!.name, { revision: app!.properties.latestRevisionName!, state: revisionPhase(revision), poll: polls });
      explainNext = false;
    } else {
      listed = await listApps(runner, settings);
      explainNext = true;
    }
    return SERVICES.map((spec): ServiceObservation => {
      const desired = settings.sizing[spec.id].replicas;
      const app = listed!.find((a) => a.name === names.app(spec.id));
      if (!app) return { service: spec.id, running: 0, desired };
      const phase = phaseOf(app);
      if (phase !== 'waiting-for-revision') return { service: spec.id, running: phase.phase === 'healthy' ? desired : 0, desired, ...phase };
      const explanation = explanationOf(app);
      if (explanation) return { service: spec.id, running: 0, desired, ...explanation.state };
      // Not what this wait waits for, and not asked: no news (the service keeps the phase it had).
      if (!waited.has(app.name)) return { service: spec.id, running: 0, desired };
      return { service: spec.id, running: 0, desired, phase: 'deploying', message: `${app.properties.latestRevisionName ?? app.name} is provisioned, not ready yet` };
    });
  };
}

async function listApps(runner: Runner, settings: SettingsFor<'azure'>): Promise<ContainerApp[]> {
  const { subscription, resourceGroup } = settings.answers.azure;
  const listed = await runJson<ContainerApp[]>(runner, { argv: azArgv(subscription, 'containerapp', 'list', '--resource-group', resourceGroup) });
  return Array.isArray(listed) ? listed : [];
}

function showRevision(runner: Runner, settings: SettingsFor<'azure'>, app: ContainerApp): Promise<Revision> {
  const { subscription, resourceGroup } = settings.answers.azure;
  return runJson<Revision>(runner, {
    argv: azArgv(subscription, 'containerapp', 'revision', 'show', '--name', app.name, '--resource-group', resourceGroup, '--revision', app.properties.latestRevisionName!),
  });
}

/**
 * An app's phase, asking its latest revision why when provisioning finished but the revision is
 * not ready. For troubleshoot, which runs once; a rollout wait spreads these asks (watchAzure).
 */
export async function appState(runner: Runner, settings: SettingsFor<'azure'>, app: ContainerApp): Promise<AppState & { revision?: Revision }> {
  const phase = phaseOf(app);
  if (phase !== 'waiting-for-revision') return phase;
  const revision = await showRevision(runner, settings, app);
  return { ...revisionPhase(revision), revision };
}

export function phaseOf(app: ContainerApp): AppState | 'waiting-for-revision' {
  const { provisioningState, latestRevisionName, latestReadyRevisionName } = app.properties;
  if (provisioningState === 'Failed') return { phase: 'failed', message: `provisioning of ${latestRevisionName ?? app.name} failed` };
  if (provisioningState !== 'Succeeded') return { phase: 'deploying', message: `provisioning: ${provisioningState ?? 'unknown'}` };
  if (latestRevisionName && latestRevisionName === latestReadyRevisionName) return { phase: 'healthy', message: `${latestRevisionName} is running` };
  return 'waiting-for-revision';
}

export function revisionPhase(revision: Revision): AppState {
  const { healthState, runningState, runningStateDetails } = revision.properties;
  if (healthState === 'Unhealthy' || runningState === 'Failed' || runningState === 'Degraded') {
    return { phase: 'failed', message: runningStateDetails ?? `revision ${runningState ?? healthState}` };
  }
  return { phase: 'deploying', message: runningStateDetails ?? `revision ${runningState ?? 'starting'}` };
}
