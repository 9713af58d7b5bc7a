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

/** Plain lines for finished checks (non-TTY output): `✔ title — detail`, and `    fix: …` under a failure. */
export function preflightLines(checks: PreflightCheck[]): string[] {
  return checks.flatMap((check) => [
    `${check.ok ? '✔' : '✖'} ${check.title} — ${check.detail}`,
    // A fix may be several commands, one a line: each under the other, indented alike.
    ...(check.ok || !check.fix ? [] : check.fix.split('\n').map((line, index) => `${index === 0 ? '    fix: ' : '         '}${line}`)),
  ]);
}
