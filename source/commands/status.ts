// status: where a deployment stands, from its journal (no cloud call, so it works offline).
import type { CliOptions } from '../args.js';
import { endpointLines, recordedEndpoints } from '../clouds/endpoints.js';
import { toServiceState } from '../engine/events.js';
import { releaseTime } from '../engine/journal.js';
import { SERVICE_IDS } from '../membrane/services.js';
import { line } from '../ui/terminal.js';
import { openJournal } from './journal-of.js';

export async function status(options: CliOptions): Promise<number> {
  const journal = openJournal(options);
  const state = journal.state;
  const services = Object.fromEntries(
    SERVICE_IDS.map((id) => {
      const progress = state?.services[id];
      return [id, { state: progress ? toServiceState(progress.phase) : 'pending', running: progress?.running ?? 0, desired: progress?.desired ?? 0, ...(progress?.message ? { message: progress.message } : {}) }];
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
  for (const [id, service] of Object.entries(services)) {
    line(`  ${id.padEnd(19)} ${service.state.padEnd(10)} ${`${service.running}/${service.desired}`.padEnd(6)} ${service.message ?? ''}`.trimEnd());
  }
  if (report.endpoints) for (const text of endpointLines(report.endpoints)) line(text);
  if (report.releases.length) line(`Releases: ${report.releases.map((release) => `${release.imageTag} (${release.command}, ${releaseTime(release)})`).join(' → ')}`);
  line(`Audit log: ${journal.auditLogPath}`);
  return 0;
}
