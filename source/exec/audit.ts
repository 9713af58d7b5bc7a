// The audit log: one JSON line per external command, secrets already replaced by ***.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditEntry {
  time: string;
  argv: string[];
  /** What the command read on stdin, by name (a secret's variable). */
  stdin?: string;
  exitCode: number | null;
  durationMs: number;
}

export type AuditSink = (entry: AuditEntry) => void;

export function fileAuditSink(path: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Appended synchronously so a kill right after a command still leaves its line.
  return (entry) => appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}
