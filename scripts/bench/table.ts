// The bench's one table: figure, measured, target, verdict; plain text, colour only on a terminal
// without NO_COLOR.

export interface Row {
  figure: string;
  measured: string;
  /** '' when the figure has no target (it is there to be read beside the others). */
  target: string;
  /** undefined: no target, or nothing to judge. */
  meets?: boolean;
}

export interface Section {
  title: string;
  rows: Row[];
}

/** A row with a target the figure must stay at or under (`strict`: under). */
export function judged(figure: string, value: number, measured: string, limit: number, target: string, strict = false): Row {
  return { figure, measured, target, meets: Number.isFinite(value) ? (strict ? value < limit : value <= limit) : false };
}

/** A figure that could not be measured: why, on one short line, and it misses. */
export function failed(figure: string, error: unknown): Row {
  const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return { figure, measured: `failed: ${why.length > 100 ? `${why.slice(0, 99)}…` : why}`, target: '', meets: false };
}

export function info(figure: string, measured: string): Row {
  return { figure, measured, target: '' };
}

const colour = (code: number, text: string, on: boolean) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

export function renderTable(sections: Section[], notes: string[], useColour: boolean): string {
  const header: Row & { verdict: string } = { figure: 'figure', measured: 'measured', target: 'target', verdict: 'verdict' };
  const verdict = (row: Row) => (row.meets === undefined ? '' : row.meets ? 'meets' : 'misses');
  const all = [header, ...sections.flatMap((s) => s.rows.map((row) => ({ ...row, figure: `  ${row.figure}`, verdict: verdict(row) })))];
  const width = (key: 'figure' | 'measured' | 'target') => Math.max(...all.map((row) => row[key].length));
  const [wf, wm, wt] = [width('figure'), width('measured'), width('target')];
  const line = (row: { figure: string; measured: string; target: string; verdict: string; meets?: boolean }) => {
    const text = `${row.figure.padEnd(wf)}  ${row.measured.padStart(wm)}  ${row.target.padEnd(wt)}  ${row.verdict}`.trimEnd();
    if (row.meets === undefined || !row.verdict) return text;
    return text.slice(0, text.length - row.verdict.length) + colour(row.meets ? 32 : 31, row.verdict, useColour);
  };
  const rule = '-'.repeat(wf + wm + wt + 6 + 'misses'.length);
  const out = [line(header), rule];
  for (const section of sections) {
    out.push(colour(1, section.title, useColour));
    for (const row of section.rows) out.push(line({ ...row, figure: `  ${row.figure}`, verdict: verdict(row) }));
  }
  out.push(rule);
  if (notes.length) out.push('Notes:', ...notes.map((note) => `- ${note}`));
  return out.join('\n');
}
