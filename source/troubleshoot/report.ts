// The checklist as plain lines: what a CI log, a support ticket and a terminal without a TTY
// get. The Ink view shows the same words, from the same store.
import { diagnose, type ChecklistState, type Diagnosis, type ItemState } from '../ui/checklist-store.js';
import { SYMPTOM_TITLES, type SymptomId } from './checklist.js';

export const GLYPH: Record<ItemState, string> = { pending: '○', running: '◐', pass: '✔', fail: '✖', skip: '–', manual: '☐', done: '☑' };
const EVIDENCE_LINES = 8;

/** `Diagnosis: <symptom>: <cause>`, or `Diagnosis: <summary>` when nothing failed for a known cause. */
export function diagnosisLine(diagnosis: Diagnosis): string {
  return `Diagnosis: ${diagnosis.cause ? `${SYMPTOM_TITLES[diagnosis.cause.symptom]}: ` : ''}${diagnosis.summary}`;
}

export function reportLines(state: ChecklistState, header: string[]): string[] {
  const lines = [...header];
  for (const symptom of Object.keys(SYMPTOM_TITLES) as SymptomId[]) {
    const results = state.results.filter((r) => r.item.symptom === symptom);
    if (results.length === 0) continue;
    lines.push('', `${SYMPTOM_TITLES[symptom]}:`);
    for (const { item, state: itemState, finding } of results) {
      lines.push(`  ${GLYPH[itemState]} ${item.title}${finding ? `: ${finding.summary}` : ''}`);
      if (itemState === 'fail') for (const evidence of finding?.evidence.slice(-EVIDENCE_LINES) ?? []) lines.push(`      ${evidence}`);
      if (item.manual && itemState === 'manual') lines.push(`      run: ${item.manual.command}`, `      expect: ${item.manual.expect}`);
    }
  }
  const diagnosis = diagnose(state);
  lines.push('', diagnosisLine(diagnosis));
  if (diagnosis.cause) lines.push(`Fix: ${diagnosis.cause.fix}`);
  return lines;
}
