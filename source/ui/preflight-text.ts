// The preflight results as words: the plain lines for CI and pipes, and the summary the Ink
// checklist shows too. No Ink here, so the non-TTY path never loads it.
import type { PreflightCheck } from '../clouds/types.js';

/** `All 4 checks passed.` or `1 of 4 checks failed. Nothing was changed in the cloud.` */
export function preflightSummary(checks: Array<{ ok: boolean }>): string {
  const total = checks.length;
  const failed = checks.filter((check) => !check.ok).length;
  const noun = total === 1 ? 'check' : 'checks';
  return failed === 0 ? `All ${total} ${noun} passed.` : `${failed} of ${total} ${noun} failed. Nothing was changed in the cloud.`;
}

/** What goes under a finished check: the fix of a failure, or the note of a pass that differs from the guide. */
export function afterword(check: { ok: boolean; fix?: string; note?: string }): { label: 'fix' | 'note'; text: string } | undefined {
  if (!check.ok) return check.fix ? { label: 'fix', text: check.fix } : undefined;
  return check.note ? { label: 'note', text: check.note } : undefined;
}

/** Plain lines for finished checks (non-TTY output): `✔ title — detail`, and `    fix: …` under a failure (`    note: …` under a pass that differs from the guide). */
export function preflightLines(checks: PreflightCheck[]): string[] {
  return checks.flatMap((check) => {
    const after = afterword(check);
    const label = after ? `    ${after.label}: ` : '';
    return [
      `${check.ok ? '✔' : '✖'} ${check.title} — ${check.detail}`,
      // A fix may be several commands, one a line: each under the other, indented alike.
      ...(after ? after.text.split('\n').map((line, index) => `${index === 0 ? label : ' '.repeat(label.length)}${line}`) : []),
    ];
  });
}
