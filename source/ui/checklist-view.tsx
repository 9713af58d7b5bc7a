// The troubleshooting checklist: items top to bottom with pass/fail/skip and their evidence,
// and the diagnosis once every probe has run. Keys: ↑/↓ move, Enter opens an item's detail,
// r runs it again, d marks a manual step done, q leaves. Rendering only: it folds the runner's
// events through checklist-store.ts, and a key only asks the command (through the callbacks)
// to run an item or tick a step; the change comes back as an event.
import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { ChecklistItem } from '../troubleshoot/checklist.js';
import { GLYPH, diagnosisLine } from '../troubleshoot/report.js';
import type { ChecklistEvent } from '../troubleshoot/run.js';
import { SYMPTOM_TITLES } from '../troubleshoot/symptoms.js';
import { diagnose, initialChecklist, reduceChecklist, type ItemState } from './checklist-store.js';
import { singleLine, stripControl } from './progress-store.js';

const COLOR: Record<ItemState, string> = { pending: 'gray', running: 'yellow', pass: 'green', fail: 'red', skip: 'gray', manual: 'cyan', done: 'green' };

export interface ChecklistViewProps {
  /** Must replay earlier events to a late listener: the tree subscribes after its first render. */
  subscribe: (listener: (event: ChecklistEvent) => void) => () => void;
  /** The checklist's items: the rows, pending, before any event arrives. */
  items: ChecklistItem[];
  header: string[];
  onRerun(id: string): void;
  /** `done` is what the step should become: d ticks an unticked step and unticks a ticked one. */
  onMarkDone(id: string, done: boolean): void;
  onQuit(): void;
}

export function ChecklistView({ subscribe, items, header, onRerun, onMarkDone, onQuit }: ChecklistViewProps) {
  const [state, setState] = useState(() => initialChecklist(items));
  const [selected, setSelected] = useState(0);
  const [open, setOpen] = useState<string | undefined>();
  useEffect(() => subscribe((event) => setState((current) => reduceChecklist(current, event))), [subscribe]);

  const { results } = state;
  useInput((input, key) => {
    const current = results[selected];
    if (key.upArrow || input === 'k') setSelected((i) => Math.max(0, i - 1));
    else if (key.downArrow || input === 'j') setSelected((i) => Math.min(results.length - 1, i + 1));
    else if (key.return && current) setOpen((id) => (id === current.item.id ? undefined : current.item.id));
    else if (input === 'r' && current?.item.probe) onRerun(current.item.id);
    else if (input === 'd' && current?.item.manual) onMarkDone(current.item.id, current.state !== 'done');
    else if (input === 'q' || key.escape) onQuit();
  });

  // The diagnosis waits until every probe has run.
  const diagnosis = state.finished ? diagnose(state) : undefined;
  let lastSymptom: string | undefined;
  return (
    <Box flexDirection="column">
      {header.map((text, index) => (
        <Text key={`h${index}`}>{text}</Text>
      ))}
      {results.map((result, index) => {
        const { item, state, finding } = result;
        const heading = item.symptom !== lastSymptom ? SYMPTOM_TITLES[item.symptom] : undefined;
        lastSymptom = item.symptom;
        const isOpen = open === item.id;
        return (
          <Box key={item.id} flexDirection="column">
            {heading ? <Text bold>{`\n${heading}`}</Text> : null}
            <Text inverse={index === selected}>
              <Text color={COLOR[state]}>{` ${GLYPH[state]} `}</Text>
              {singleLine(item.title)}
              {finding ? <Text color="gray">{`: ${singleLine(finding.summary)}`}</Text> : null}
            </Text>
            {isOpen && finding?.evidence.length ? finding.evidence.slice(-12).map((text, i) => <Text key={i} color="gray">{`     ${stripControl(text)}`}</Text>) : null}
            {isOpen && item.manual ? (
              <>
                <Text>{`     run: ${item.manual.command}`}</Text>
                <Text color="gray">{`     expect: ${item.manual.expect}`}</Text>
              </>
            ) : null}
          </Box>
        );
      })}
      <Text> </Text>
      {diagnosis ? (
        <Box flexDirection="column">
          <Text bold color={diagnosis.cause ? 'red' : 'green'}>
            {diagnosisLine(diagnosis)}
          </Text>
          {diagnosis.cause ? <Text>{`Fix: ${diagnosis.cause.fix}`}</Text> : null}
        </Box>
      ) : (
        <Text color="yellow">Checking…</Text>
      )}
      <Text color="gray">↑/↓ move · Enter details · r run again · d mark a manual step done · q quit</Text>
    </Box>
  );
}
