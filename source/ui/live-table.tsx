// The live per-service table shown on a TTY while the engine deploys.
// Rendering only: no exits, no spawning, no IO. Colour goes through Ink's <Text color>,
// whose chalk decides from the terminal whether to emit it.

import { Box, Text, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { OUTCOME_HEADLINE, type DeployOutcome, type EventListener, type ServicePhase, type ServiceProgress } from '../engine/events.js';
import { currentStep, formatElapsed, initialProgress, isTerminal, reduce, singleLine, summaryLine } from './progress-store.js';
import type { DeploymentView } from './progress-store.js';

// Static glyphs rather than a spinner, so frames are stable in snapshots and logs.
const GLYPH: Record<ServicePhase, string> = {
  pending: '○',
  creating: '◐',
  deploying: '◐',
  healthy: '✔',
  failed: '✖',
};

const COLOR: Record<ServicePhase, string | undefined> = {
  pending: 'gray',
  creating: 'yellow',
  deploying: 'cyan',
  healthy: 'green',
  failed: 'red',
};

const NOTES_SHOWN = 3;

const OUTCOME_COLOR: Record<DeployOutcome, string> = { complete: 'green', failed: 'red', interrupted: 'yellow' };

function elapsed(row: ServiceProgress, now: number): string {
  if (row.startedAt === undefined) return '–';
  // A finished row without finishedAt (e.g. restored on resume) has no honest duration.
  if (row.finishedAt === undefined && isTerminal(row.phase)) return '–';
  return formatElapsed((row.finishedAt ?? now) - row.startedAt);
}

/** One column of the table: adding a column is adding one of these to COLUMNS. */
export interface Column {
  header: string;
  /**
   * Characters, the 2-space gap to the next column included: a number, `fit` (the widest of
   * the header and the cells) or `fill` (what the other columns leave; hidden when that is 0).
   */
  width: number | 'fit' | 'fill';
  /** Plain text; a cell never wraps, it is cut with an ellipsis. */
  cell(row: ServiceProgress, now: number): string;
  color?(row: ServiceProgress): string | undefined;
}

export const COLUMNS: readonly Column[] = [
  { header: 'SERVICE', width: 'fit', cell: (row) => row.service },
  { header: 'STATE', width: 13, cell: (row) => `${GLYPH[row.phase]} ${row.phase}`, color: (row) => COLOR[row.phase] }, // "◐ deploying" + gap
  { header: 'TASKS', width: 7, cell: (row) => `${row.running}/${row.desired}` },
  { header: 'ELAPSED', width: 9, cell: elapsed },
  { header: 'LATEST EVENT', width: 'fill', cell: (row) => singleLine(row.message ?? '') },
];

const GAP = 2;

/** Each column's width in characters for these rows, in the columns' order. */
function columnWidths(columns: readonly Column[], rows: ServiceProgress[], now: number, total: number): number[] {
  const sized = columns.map((column) =>
    column.width === 'fit' ? Math.max(column.header.length, ...rows.map((row) => column.cell(row, now).length)) + GAP : column.width,
  );
  const fixed = sized.reduce<number>((sum, width) => sum + (width === 'fill' ? 0 : width), 0);
  const fills = sized.filter((width) => width === 'fill').length;
  const rest = fills ? Math.floor(Math.max(0, total - fixed) / fills) : 0;
  return sized.map((width) => (width === 'fill' ? rest : width));
}

export interface LiveTableProps {
  view: DeploymentView;
  /** Epoch ms used for the elapsed time of rows still in progress. */
  now: number;
  /**
   * Columns available; defaults to the terminal's width (stdout.columns, 80 when unknown).
   * Every line is cut to fit, so a row never wraps.
   */
  width?: number;
  /** The table's columns, left to right; COLUMNS unless given. */
  columns?: readonly Column[];
}

/** One cell: fixed width, cut with an ellipsis rather than wrapped. */
function Cell({ width, color, bold, children }: { width: number; color?: string | undefined; bold?: boolean; children: string }) {
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate-end" color={color} bold={bold}>
        {children}
      </Text>
    </Box>
  );
}

/** A line cut to fit; `wrap` for text a person must read whole (errors, the resume command). */
function Line({ width, color, wrap, children }: { width: number; color?: string; wrap?: boolean; children: string }) {
  return (
    <Box width={width}>
      <Text wrap={wrap ? 'wrap' : 'truncate-end'} color={color}>
        {children}
      </Text>
    </Box>
  );
}

export function LiveTable({ view, now, width, columns = COLUMNS }: LiveTableProps) {
  const { stdout } = useStdout();
  const total = Math.max(20, width ?? stdout.columns ?? 80);
  const widths = columnWidths(columns, view.services, now, total);
  // A column with no room (a `fill` on a narrow terminal) is left out rather than drawn 0 wide.
  const shown = columns.flatMap((column, index) => (widths[index]! > 0 ? [{ column, width: widths[index]! }] : []));

  const step = currentStep(view);
  const alsoRunning = view.running.length - 1;

  return (
    <Box flexDirection="column" width={total}>
      <Box>
        {shown.map(({ column, width }) => (
          <Cell key={column.header} width={width} bold>
            {column.header}
          </Cell>
        ))}
      </Box>
      {view.services.map((row) => (
        <Box key={row.service}>
          {shown.map(({ column, width }) => (
            <Cell key={column.header} width={width} color={column.color?.(row)}>
              {column.cell(row, now)}
            </Cell>
          ))}
        </Box>
      ))}
      <Box marginTop={1} flexDirection="column">
        {step && (
          <Line width={total} color="cyan">
            {`▸ ${singleLine(step.title)}${step.detail ? ` — ${singleLine(step.detail)}` : ''}${alsoRunning > 0 ? ` (+${alsoRunning} more)` : ''}`}
          </Line>
        )}
        {view.failed.map((f) => (
          <Line key={f.stepId} width={total} color="red" wrap>{`✖ ${singleLine(f.title)}: ${singleLine(f.error)}`}</Line>
        ))}
        {view.notes.slice(-NOTES_SHOWN).map((note, i) => (
          <Line key={i} width={total} color="gray">{`• ${singleLine(note)}`}</Line>
        ))}
        <Line width={total}>{summaryLine(view)}</Line>
        {view.done && (
          <Line width={total} color={OUTCOME_COLOR[view.done.outcome]}>
            {OUTCOME_HEADLINE[view.done.outcome]}
          </Line>
        )}
      </Box>
    </Box>
  );
}

export interface LiveDeploymentProps {
  /** Registers a listener for engine events and returns the function that removes it. */
  subscribe: (listener: EventListener) => () => void;
  /** Service ids in deployment order: the table's rows before any event arrives. */
  services: string[];
  width?: number;
}

/**
 * Holds the view in React state and ticks once a second so elapsed times move.
 * It subscribes after the first render, so the caller should start the engine
 * (or replay past events) only once this is mounted.
 */
export function LiveDeployment({ subscribe, services, width }: LiveDeploymentProps) {
  const [view, setView] = useState(() => initialProgress(services));
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => subscribe((event) => setView((v) => reduce(v, event))), [subscribe]);

  const finished = view.done !== undefined;
  useEffect(() => {
    // Stop ticking once done, so the last frame stays as it was.
    if (finished) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [finished]);

  return <LiveTable view={view} now={now} width={width} />;
}
