// status: where a deployment stands, from its journal (no cloud call, so it works offline).
import type { CliOptions } from '../args.js';
import { endpointLines, recordedEndpoints } from '../clouds/endpoints.js';
import { toServiceState } from '../engine/events.js';
import { releaseTime } from '../engine/journal.js';
import { SERVICE_IDS } from '../membrane/services.js';
import { line } from '../ui/terminal.js';
import type { RawAnswers } from '../answers/load.js';
import type { ServiceId } from '../membrane/services.js';
import { openJournal } from './journal-of.js';

/**
 * Each service's scaling as the recorded answers make it, "2–10 tasks on CPU 50 %". Loaded only
 * here (status otherwise needs the journal alone); undefined for answers this version cannot read.
 */
async function scalingOf(name: string, raw: RawAnswers): Promise<Record<ServiceId, { min: number; max: number; text: string }> | undefined> {
  const [{ validateAnswers }, { deriveSettings }, { CLOUD_MODULES }, { scalingOf: cloudScaling }, { scalingText }] = await Promise.all([
    import('../answers/load.js'), import('../answers/settings.js'), import('../clouds/index.js'), import('./review.js'), import('../clouds/types.js'),
  ]);
  let settings;
  try {
    settings = deriveSettings(name, validateAnswers(raw));
  } catch {
    return undefined;
  }
  const unit = CLOUD_MODULES[settings.answers.cloud].platform.unit;
  return Object.fromEntries(cloudScaling(settings.answers.cloud, settings).map((s) => [s.service, { min: s.min, max: s.max, text: scalingText(s, unit) }])) as Record<ServiceId, { min: number; max: number; text: string }>;
}

export async function status(options: CliOptions): Promise<number> {
  const journal = openJournal(options);
  const state = journal.state;
  const scaling = state ? await scalingOf(options.name, state.answers) : undefined;
  const services = Object.fromEntries(
    SERVICE_IDS.map((id) => {
      const progress = state?.services[id];
      const scaled = scaling?.[id];
      return [id, {
        state: progress ? toServiceState(progress.phase) : 'pending',
        running: progress?.running ?? 0,
        desired: progress?.desired ?? 0,
        ...(progress?.message ? { message: progress.message } : {}),
        // The range the cloud scales it in, and on what (from the journal's answers).
        ...(scaled ? { minReplicas: scaled.min, maxReplicas: scaled.max, scaling: scaled.text } : {}),
      }];
    }),
  );
  const report = {
    name: options.name,
    installed: Boolean(state) && state?.status !== 'uninstalled',
    cloud: state?.cloud ?? null,
    status: state?.status ?? 'not-installed',
    // The last run: install, upgrade or rollback (an upgrade that failed and went back is a rollback).
    command: state?.command ?? null,
    auditLog: journal.auditLogPath,
    stateFile: journal.path,
    updatedAt: state?.updatedAt ?? null,
    services,
    // Read from the cloud at the end of the last complete run: the platform addresses and the DNS records.
    endpoints: recordedEndpoints(journal.outputs()) ?? null,
    // Oldest first; rollback goes to the last one whose answers differ from the running ones.
    releases: (state?.releases ?? []).map(({ imageTag, command, finishedAt }) => ({ imageTag, command, finishedAt })),
  };
  if (options.json) {
    line(JSON.stringify(report, null, 2));
    return 0;
  }
  if (!state) {
    line(`No deployment named "${options.name}" is recorded in ${journal.dir}.`);
    return 0;
  }
  line(`Deployment "${options.name}" (${state.cloud}): ${state.command} ${state.status}, updated ${state.updatedAt}`);
  const scalingWidth = Math.max(0, ...Object.values(scaling ?? {}).map((s) => s.text.length));
  for (const [id, service] of Object.entries(services)) {
    line(`  ${id.padEnd(19)} ${service.state.padEnd(10)} ${`${service.running}/${service.desired}`.padEnd(6)} ${service.scaling ? `${service.scaling.padEnd(scalingWidth)}  ` : ''}${service.message ?? ''}`.trimEnd());
  }
  if (report.endpoints) for (const text of endpointLines(report.endpoints)) line(text);
  if (report.releases.length) line(`Releases: ${report.releases.map((release) => `${release.imageTag} (${release.command}, ${releaseTime(release)})`).join(' → ')}`);
  line(`Audit log: ${journal.auditLogPath}`);
  return 0;
}
