// The troubleshooting checklist: items top to bottom with pass/fail/skip and their evidence,
// and the diagnosis once every probe has run. Keys: ↑/↓ move, Enter opens an item's detail,
// r runs it again, d marks a manual step done, q leaves. Rendering only: the command owns the
// run and passes callbacks in.
import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { SYMPTOM_TITLES } from '../troubleshoot/symptoms.js';
import { GLYPH } from '../troubleshoot/report.js';
import type { ChecklistRun, ItemState } from '../troubleshoot/run.js';
import { singleLine, stripControl } from './progress-store.js';

const COLOR: Record<ItemState, string> = { pending: 'gray', running: 'yellow', pass: 'green', fail: 'red', skip: 'gray', manual: 'cyan', done: 'green' };

export interface ChecklistViewProps {
  run: ChecklistRun;
  header: string[];
  onRerun(id: string): void;
  onMarkDone(id: string): void;
  onQuit(): void;
}

export function ChecklistView({ run, header, onRerun, onMarkDone, onQuit }: ChecklistViewProps) {
  const [, setVersion] = useState(0);
  const [selected, setSelected] = useState(0);
  const [open, setOpen] = useState<string | undefined>();
  useEffect(() => run.onChange(() => setVersion((v) => v + 1)), [run]);

  const results = run.results;
  useInput((input, key) => {
    const current = results[selected];
    if (key.upArrow || input === 'k') setSelected((i) => Math.max(0, i - 1));
    else if (key.downArrow || input === 'j') setSelected((i) => Math.min(results.length - 1, i + 1));
    else if (key.return && current) setOpen((id) => (id === current.item.id ? undefined : current.item.id));
    else if (input === 'r' && current?.item.probe) onRerun(current.item.id);
    else if (input === 'd' && current?.item.manual) onMarkDone(current.item.id);
    else if (input === 'q' || key.escape) onQuit();
  });

  // The diagnosis waits until every probe has run.
  const diagnosis = run.finished ? run.diagnosis() : undefined;
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
            {`Diagnosis: ${diagnosis.cause ? `${SYMPTOM_TITLES[diagnosis.cause.symptom]}: ` : ''}${diagnosis.summary}`}
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
