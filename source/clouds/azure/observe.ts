// One `az containerapp list` per poll gives every app's provisioning state and whether its
// latest revision is the ready one. Only for an app whose provisioning finished but whose
// revision is not ready does it ask that revision why (health and running state).
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES } from '../../membrane/services.js';
import { runJson } from '../cli-json.js';
import type { ServiceObservation } from '../types.js';
import { azArgv, azureNames } from './names.js';

export interface ContainerApp {
  name: string;
  properties: { provisioningState?: string; latestRevisionName?: string; latestReadyRevisionName?: string; runningStatus?: string };
}

export interface Revision {
  properties: { healthState?: string; runningState?: string; runningStateDetails?: string; provisioningState?: string };
}

export async function observeAzure(settings: SettingsFor<'azure'>, runner: Runner): Promise<ServiceObservation[]> {
  const { subscription, resourceGroup } = settings.answers.azure;
  const names = azureNames(settings);
  const listed = await runJson<ContainerApp[]>(runner, { argv: azArgv(subscription, 'containerapp', 'list', '--resource-group', resourceGroup) });
  const apps = Array.isArray(listed) ? listed : [];
  return Promise.all(
    SERVICES.map(async (spec): Promise<ServiceObservation> => {
      const desired = settings.sizing[spec.id].replicas;
      const app = apps.find((a) => a.name === names.app(spec.id));
      if (!app) return { service: spec.id, running: 0, desired };
      const state = await appState(runner, settings, app);
      return { service: spec.id, running: state.phase === 'healthy' ? desired : 0, desired, phase: state.phase, message: state.message };
    }),
  );
}

/**
 * An app's phase, asking its latest revision why only when provisioning finished but the
 * revision is not ready (the one extra call a poll may make). Shared with troubleshoot.
 */
export async function appState(runner: Runner, settings: SettingsFor<'azure'>, app: ContainerApp): Promise<Pick<ServiceObservation, 'phase' | 'message'> & { revision?: Revision }> {
  const phase = phaseOf(app);
  if (phase !== 'waiting-for-revision') return phase;
  const { subscription, resourceGroup } = settings.answers.azure;
  const revision = await runJson<Revision>(runner, {
    argv: azArgv(subscription, 'containerapp', 'revision', 'show', '--name', app.name, '--resource-group', resourceGroup, '--revision', app.properties.latestRevisionName!),
  });
  return { ...revisionPhase(revision), revision };
}

export function phaseOf(app: ContainerApp): Pick<ServiceObservation, 'phase' | 'message'> | 'waiting-for-revision' {
  const { provisioningState, latestRevisionName, latestReadyRevisionName } = app.properties;
  if (provisioningState === 'Failed') return { phase: 'failed', message: `provisioning of ${latestRevisionName ?? app.name} failed` };
  if (provisioningState !== 'Succeeded') return { phase: 'deploying', message: `provisioning: ${provisioningState ?? 'unknown'}` };
  if (latestRevisionName && latestRevisionName === latestReadyRevisionName) return { phase: 'healthy', message: `${latestRevisionName} is running` };
  return 'waiting-for-revision';
}

export function revisionPhase(revision: Revision): Pick<ServiceObservation, 'phase' | 'message'> {
  const { healthState, runningState, runningStateDetails } = revision.properties;
  if (healthState === 'Unhealthy' || runningState === 'Failed' || runningState === 'Degraded') {
    return { phase: 'failed', message: runningStateDetails ?? `revision ${runningState ?? healthState}` };
  }
  return { phase: 'deploying', message: runningStateDetails ?? `revision ${runningState ?? 'starting'}` };
}
