// The checklist as plain lines: what a CI log, a support ticket and a terminal without a TTY
// get. The Ink view shows the same words.
import { SYMPTOM_TITLES, type SymptomId } from './checklist.js';
import type { ChecklistRun, ItemState } from './run.js';

export const GLYPH: Record<ItemState, string> = { pending: '○', running: '◐', pass: '✔', fail: '✖', skip: '–', manual: '☐', done: '☑' };
const EVIDENCE_LINES = 8;

export function reportLines(run: ChecklistRun, header: string[]): string[] {
  const lines = [...header];
  for (const symptom of Object.keys(SYMPTOM_TITLES) as SymptomId[]) {
    const results = run.results.filter((r) => r.item.symptom === symptom);
    if (results.length === 0) continue;
    lines.push('', `${SYMPTOM_TITLES[symptom]}:`);
    for (const { item, state, finding } of results) {
      lines.push(`  ${GLYPH[state]} ${item.title}${finding ? `: ${finding.summary}` : ''}`);
      if (state === 'fail') for (const evidence of finding?.evidence.slice(-EVIDENCE_LINES) ?? []) lines.push(`      ${evidence}`);
      if (item.manual && state === 'manual') lines.push(`      run: ${item.manual.command}`, `      expect: ${item.manual.expect}`);
    }
  }
  const diagnosis = run.diagnosis();
  lines.push('', `Diagnosis: ${diagnosis.cause ? `${SYMPTOM_TITLES[diagnosis.cause.symptom]}: ${diagnosis.summary}` : diagnosis.summary}`);
  if (diagnosis.cause) lines.push(`Fix: ${diagnosis.cause.fix}`);
  return lines;
}
