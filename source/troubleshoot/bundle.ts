// troubleshoot --bundle FILE: what support needs to help, and nothing secret. Every file goes
// through the redactor for the secret values this process knows, on top of each source
// already keeping secrets out (the journal and audit log never hold values).
import { readFile } from 'node:fs/promises';
import type { ServiceInspection } from '../clouds/types.js';
import type { Redactor } from '../exec/redact.js';
import type { ServiceId } from '../membrane/services.js';
import { writeTarGz, type BundleFile } from './tarball.js';

export interface BundleInput {
  file: string;
  report: string[];
  /** plan.json as `plan --out` writes it. */
  plan: unknown;
  journalPath: string;
  auditLogPath: string;
  inspections: ServiceInspection[];
  logs: Map<ServiceId, string[]>;
  redact: Redactor;
}

const ROOT = 'membrane-support';

export async function writeBundle(input: BundleInput): Promise<string[]> {
  const optional = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  const [journal, auditLog] = await Promise.all([optional(input.journalPath), optional(input.auditLogPath)]);
  const files: BundleFile[] = [
    { path: 'report.txt', content: `${input.report.join('\n')}\n` },
    { path: 'plan.json', content: `${JSON.stringify(input.plan, null, 2)}\n` },
    { path: 'services.json', content: `${JSON.stringify(input.inspections, null, 2)}\n` },
    ...(journal === undefined ? [] : [{ path: 'journal.json', content: journal }]),
    ...(auditLog === undefined ? [] : [{ path: 'audit.log', content: auditLog }]),
    ...[...input.logs].map(([service, lines]) => ({ path: `logs/${service}.log`, content: `${lines.join('\n')}\n` })),
  ];
  const redacted = files.map((f) => ({ path: `${ROOT}/${f.path}`, content: input.redact(String(f.content)) }));
  await writeTarGz(input.file, redacted);
  return redacted.map((f) => f.path);
}
