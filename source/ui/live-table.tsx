// The live per-service table shown on a TTY while the engine deploys.
// Rendering only: no exits, no spawning, no IO. Colour goes through Ink's <Text color>,
// whose chalk decides from the terminal whether to emit it.

import { Box, Text, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { OUTCOME_HEADLINE, type DeployOutcome, type EventListener, type ServicePhase, type ServiceProgress } from '../engine/events.js';
import { currentStep, initialProgress, isTerminal, reduce, singleLine, summaryLine } from './progress-store.js';
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

// Fixed column widths (content + 2 spaces gap); LATEST EVENT takes what is left.
const STATE_WIDTH = 13; // "◐ deploying" + gap
const TASKS_WIDTH = 7;
const ELAPSED_WIDTH = 9;
const NOTES_SHOWN = 3;

const OUTCOME_COLOR: Record<DeployOutcome, string> = { complete: 'green', failed: 'red', interrupted: 'yellow' };

/** m:ss; minutes keep counting past an hour (65:03) because deployments rarely get there. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function elapsed(row: ServiceProgress, now: number): string {
  if (row.startedAt === undefined) return '–';
  // A finished row without finishedAt (e.g. restored on resume) has no honest duration.
  if (row.finishedAt === undefined && isTerminal(row.phase)) return '–';
  return formatElapsed((row.finishedAt ?? now) - row.startedAt);
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

/** A full-width line cut to fit. */
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

export function LiveTable({ view, now, width }: LiveTableProps) {
  const { stdout } = useStdout();
  const columns = Math.max(20, width ?? stdout.columns ?? 80);
  const serviceWidth = Math.max('SERVICE'.length, ...view.services.map((r) => r.service.length)) + 2;
  const messageWidth = Math.max(0, columns - serviceWidth - STATE_WIDTH - TASKS_WIDTH - ELAPSED_WIDTH);

  const step = currentStep(view);
  const alsoRunning = view.running.length - 1;

  return (
    <Box flexDirection="column" width={columns}>
      <Box>
        <Cell width={serviceWidth} bold>SERVICE</Cell>
        <Cell width={STATE_WIDTH} bold>STATE</Cell>
        <Cell width={TASKS_WIDTH} bold>TASKS</Cell>
        <Cell width={ELAPSED_WIDTH} bold>ELAPSED</Cell>
        {messageWidth > 0 && <Cell width={messageWidth} bold>LATEST EVENT</Cell>}
      </Box>
      {view.services.map((row) => (
        <Box key={row.service}>
          <Cell width={serviceWidth}>{row.service}</Cell>
          <Cell width={STATE_WIDTH} color={COLOR[row.phase]}>{`${GLYPH[row.phase]} ${row.phase}`}</Cell>
          <Cell width={TASKS_WIDTH}>{`${row.running}/${row.desired}`}</Cell>
          <Cell width={ELAPSED_WIDTH}>{elapsed(row, now)}</Cell>
          {messageWidth > 0 && <Cell width={messageWidth}>{singleLine(row.message ?? '')}</Cell>}
        </Box>
      ))}
      <Box marginTop={1} flexDirection="column">
        {step && (
          <Line width={columns} color="cyan">
            {`▸ ${singleLine(step.title)}${step.detail ? ` — ${singleLine(step.detail)}` : ''}${alsoRunning > 0 ? ` (+${alsoRunning} more)` : ''}`}
          </Line>
        )}
        {view.failed.map((f) => (
          <Line key={f.stepId} width={columns} color="red" wrap>{`✖ ${singleLine(f.title)}: ${singleLine(f.error)}`}</Line>
        ))}
        {view.notes.slice(-NOTES_SHOWN).map((note, i) => (
          <Line key={i} width={columns} color="gray">{`• ${singleLine(note)}`}</Line>
        ))}
        <Line width={columns}>{summaryLine(view)}</Line>
        {view.done && (
          <Line width={columns} color={OUTCOME_COLOR[view.done.outcome]}>
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
