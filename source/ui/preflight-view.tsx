// The preflight checklist: one row per read-only check, in the adapter's order, filled in as
// the checks (which run concurrently) finish. Rendering only: the rows come from
// preflight-store.ts; no exits, no spawning, no IO. preflight-text.ts prints the same words as
// plain lines when no terminal shows the checklist.

import { Box, Text, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { PreflightEvent } from '../engine/preflight.js';
import { afterword, preflightSummary } from './preflight-text.js';
import { initialPreflight, preflightDone, reducePreflight, type PreflightRow, type PreflightRowState } from './preflight-store.js';
import { singleLine, stripControl } from './progress-store.js';

/** Registers a listener for preflight events and returns the function that removes it. */
export type PreflightSubscribe = (listener: (event: PreflightEvent) => void) => () => void;

// Static glyphs rather than a spinner, as in the live table: frames stay stable.
const GLYPH: Record<PreflightRowState, string> = { pending: '○', running: '◐', passed: '✔', failed: '✖' };
const COLOR: Record<PreflightRowState, string> = { pending: 'gray', running: 'yellow', passed: 'green', failed: 'red' };

function rowText(row: PreflightRow): string {
  const title = singleLine(row.title);
  switch (row.state) {
    case 'pending':
      return title;
    case 'running':
      return `${title} — checking…`;
    default: {
      const detail = singleLine(row.detail ?? '');
      return detail ? `${title} — ${detail}` : title;
    }
  }
}

export interface PreflightListProps {
  rows: PreflightRow[];
  /** Columns available; defaults to the terminal's width (stdout.columns, 80 when unknown). */
  width?: number;
}

/** The checklist for given rows: title lines are cut to the width, fix lines wrap (indented). */
export function PreflightList({ rows, width }: PreflightListProps) {
  const { stdout } = useStdout();
  const columns = Math.max(20, width ?? stdout.columns ?? 80);
  const done = preflightDone(rows);
  const failed = rows.some((row) => row.state === 'failed');
  return (
    <Box flexDirection="column" width={columns}>
      {rows.map((row, index) => (
        <Box key={index} flexDirection="column" width={columns}>
          <Box width={columns}>
            <Text wrap="truncate-end">
              <Text color={COLOR[row.state]}>{GLYPH[row.state]}</Text>
              {` ${rowText(row)}`}
            </Text>
          </Box>
          {(() => {
            const after = row.state === 'passed' || row.state === 'failed' ? afterword({ ok: row.state === 'passed', fix: row.fix, note: row.note }) : undefined;
            return after && (
              <Box width={columns} paddingLeft={4}>
                <Text wrap="wrap" color={after.label === 'note' ? 'yellow' : undefined}>{`${after.label}: ${stripControl(after.text).trim()}`}</Text>
              </Box>
            );
          })()}
        </Box>
      ))}
      {done && (
        <Box width={columns} marginTop={1}>
          <Text wrap="wrap" color={failed ? 'red' : 'green'}>
            {preflightSummary(rows.map((row) => ({ ok: row.state === 'passed' })))}
          </Text>
        </Box>
      )}
    </Box>
  );
}

export interface PreflightChecklistProps {
  /** Must replay earlier events to a late listener: the tree subscribes after its first render. */
  subscribe: PreflightSubscribe;
  /** Check titles in the adapter's order: the rows, pending, before any event arrives. */
  titles: string[];
  width?: number;
}

/** Holds the rows in React state, folded from the subscribed events. */
export function PreflightChecklist({ subscribe, titles, width }: PreflightChecklistProps) {
  const [rows, setRows] = useState(() => initialPreflight(titles));
  useEffect(() => subscribe((event) => setRows((current) => reducePreflight(current, event))), [subscribe]);
  return <PreflightList rows={rows} width={width} />;
}
