// The preflight checklist: one row per read-only check, in the adapter's order, filled in as
// the checks (which run concurrently) finish. Rendering only: no exits, no spawning, no IO.
// preflight-text.ts prints the same words as plain lines when no terminal shows the checklist.

import { Box, Text, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { PreflightEvent } from '../engine/preflight.js';
import { preflightSummary } from './preflight-text.js';
import { singleLine, stripControl } from './progress-store.js';

export type PreflightRowState = 'pending' | 'running' | 'passed' | 'failed';

export interface PreflightRow {
  title: string;
  state: PreflightRowState;
  /** Set once the check has finished. */
  detail?: string;
  /** Set when the check failed and said how to fix it. */
  fix?: string;
}

/** Registers a listener for preflight events and returns the function that removes it. */
export type PreflightSubscribe = (listener: (event: PreflightEvent) => void) => () => void;

// Static glyphs rather than a spinner, as in the live table: frames stay stable.
const GLYPH: Record<PreflightRowState, string> = { pending: '○', running: '◐', passed: '✔', failed: '✖' };
const COLOR: Record<PreflightRowState, string> = { pending: 'gray', running: 'yellow', passed: 'green', failed: 'red' };

/** The rows before any event: every known check pending. */
export function initialPreflight(titles: string[]): PreflightRow[] {
  return titles.map((title) => ({ title, state: 'pending' }));
}

/**
 * Folds one event into the rows. Rows are addressed by the check's index, so the order is the
 * adapter's whatever order the checks finish in. Pure; a replayed history gives the same rows.
 */
export function reducePreflight(rows: PreflightRow[], event: PreflightEvent): PreflightRow[] {
  const next = rows.slice();
  // An index beyond the known titles (none were given): grow the list to reach it.
  for (let i = next.length; i <= event.index; i++) next.push({ title: `check ${i + 1}`, state: 'pending' });
  const previous = next[event.index]!;
  switch (event.type) {
    case 'check-started':
      // A late or replayed start never undoes a result.
      if (previous.state === 'passed' || previous.state === 'failed') return rows;
      next[event.index] = { title: event.title || previous.title, state: 'running' };
      return next;
    case 'check-finished': {
      const { check } = event;
      next[event.index] = {
        title: check.title || previous.title,
        state: check.ok ? 'passed' : 'failed',
        detail: check.detail,
        ...(!check.ok && check.fix ? { fix: check.fix } : {}),
      };
      return next;
    }
  }
}

const isFinished = (row: PreflightRow) => row.state === 'passed' || row.state === 'failed';

/** True when there is at least one check and every check has finished. */
export function preflightDone(rows: PreflightRow[]): boolean {
  return rows.length > 0 && rows.every(isFinished);
}

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
          {row.state === 'failed' && row.fix && (
            <Box width={columns} paddingLeft={4}>
              <Text wrap="wrap">{`fix: ${stripControl(row.fix).trim()}`}</Text>
            </Box>
          )}
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
