// The troubleshooting checklist in a fake terminal: items fill in top to bottom, keys move,
// open details, run an item again and tick a manual step; the diagnosis waits for the last probe.
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../source/engine/event-bus.js';
import type { ChecklistItem, Finding } from '../../source/troubleshoot/checklist.js';
import { reportLines } from '../../source/troubleshoot/report.js';
import { createChecklistRunner, type ChecklistEvent } from '../../source/troubleshoot/run.js';
import { diagnose, initialChecklist, reduceChecklist } from '../../source/ui/checklist-store.js';
import { ChecklistView } from '../../source/ui/checklist-view.js';

const tick = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 20)));
/** Ink draws at most one frame per ~33 ms: wait (bounded) for the frame that shows `text`. */
async function frameWith(view: { lastFrame(): string | undefined }, text: string, present = true): Promise<string> {
  for (let waited = 0; waited < 2000; waited += 20) {
    const frame = view.lastFrame() ?? '';
    if (frame.includes(text) === present) return frame;
    await tick();
  }
  return view.lastFrame() ?? '';
}
const KEY = { down: '\u001B[B', up: '\u001B[A', enter: '\r' };

const mongoDown: Finding = {
  state: 'fail',
  summary: 'the service cannot reach MongoDB or Redis',
  evidence: ['MongoServerSelectionError: connect ECONNREFUSED 10.0.0.5:27017'],
  cause: { symptom: 'start', title: 'api cannot reach MongoDB or Redis', fix: 'Check MEMBRANE_MONGO_URI.', weight: 90 },
};

function items(probeLogs: () => Promise<Finding>): ChecklistItem[] {
  return [
    { id: 'logs:api', symptom: 'start', service: 'api', title: 'api: recent logs', probe: probeLogs },
    { id: 'databases', symptom: 'start', title: 'MongoDB and Redis reachable', manual: { command: 'nc -zv mongo 27017', expect: 'succeeded' } },
    { id: 'registry-login', symptom: 'pull', title: 'Registry login', probe: async () => ({ state: 'pass', summary: 'logged in', evidence: [] }) },
  ];
}

/** The command's wiring: a runner emitting on a bus, the view subscribed, keys back to the runner. */
function mount(checklist: ChecklistItem[]) {
  const bus = createEventBus<ChecklistEvent>();
  const run = createChecklistRunner(checklist, bus.emit);
  const onRerun = vi.fn((id: string) => void run.run(id));
  const onQuit = vi.fn();
  const view = render(<ChecklistView subscribe={bus.subscribe} items={checklist} header={['Not healthy: api']} onRerun={onRerun} onMarkDone={run.markDone} onQuit={onQuit} />);
  return { view, run, onRerun, onQuit };
}

/** Runs every probe and folds the events into the store, as the command does for the report. */
async function runAll(checklist: ChecklistItem[]) {
  const events: ChecklistEvent[] = [];
  await createChecklistRunner(checklist, (event) => events.push(event)).runAll();
  return events.reduce(reduceChecklist, initialChecklist(checklist));
}

describe('ChecklistView', () => {
  it('shows items by symptom, then the diagnosis once every probe has run', async () => {
    const { view, run } = mount(items(async () => mongoDown));
    expect(view.lastFrame()).toContain('Checking…');
    expect(view.lastFrame()).not.toContain('Diagnosis');
    await run.runAll();
    const frame = await frameWith(view, 'Diagnosis');
    expect(frame).toMatch(/Container fails to start[\s\S]*✖ api: recent logs: the service cannot reach MongoDB or Redis[\s\S]*☐ MongoDB and Redis reachable/);
    expect(frame).toMatch(/Cannot pull image[\s\S]*✔ Registry login: logged in/);
    expect(frame).toContain('Diagnosis: Container fails to start: api cannot reach MongoDB or Redis');
    expect(frame).toContain('Fix: Check MEMBRANE_MONGO_URI.');
    view.unmount();
  });

  it('opens an item\'s evidence with Enter, and a manual step\'s command', async () => {
    const { view, run } = mount(items(async () => mongoDown));
    await run.runAll();
    expect(await frameWith(view, 'Diagnosis')).not.toContain('ECONNREFUSED');
    view.stdin.write(KEY.enter);
    expect(await frameWith(view, 'ECONNREFUSED')).toContain('MongoServerSelectionError: connect ECONNREFUSED 10.0.0.5:27017');
    view.stdin.write(KEY.down);
    await tick();
    view.stdin.write(KEY.enter);
    expect(await frameWith(view, 'run: nc')).toContain('run: nc -zv mongo 27017');
    view.unmount();
  });

  it('runs the selected item again with r, and ticks a manual step with d', async () => {
    let calls = 0;
    const { view, run, onRerun, onQuit } = mount(items(async () => (++calls === 1 ? mongoDown : { state: 'pass', summary: 'no known error', evidence: [] })));
    await run.runAll();
    await frameWith(view, 'Diagnosis');
    view.stdin.write('r');
    const rerun = await frameWith(view, 'no known error');
    expect(onRerun).toHaveBeenCalledWith('logs:api');
    expect(rerun).toContain('✔ api: recent logs: no known error');
    expect(await frameWith(view, 'Diagnosis: No failure found')).toContain('Diagnosis: No failure found');
    view.stdin.write(KEY.down);
    await tick();
    view.stdin.write('d');
    expect(await frameWith(view, '☑')).toContain('☑ MongoDB and Redis reachable');
    // d again unticks it.
    view.stdin.write('d');
    expect(await frameWith(view, '☑', false)).toContain('☐ MongoDB and Redis reachable');
    // r on a manual step does nothing; q leaves.
    view.stdin.write('r');
    await tick();
    expect(onRerun).toHaveBeenCalledTimes(1);
    view.stdin.write('q');
    await tick();
    expect(onQuit).toHaveBeenCalledOnce();
    view.unmount();
  });
});

describe('createChecklistRunner', () => {
  it('turns a probe that throws into a skip with its reason, never a crash', async () => {
    const state = await runAll(items(async () => {
      throw new Error('aws logs filter-log-events failed (exit 255): AccessDeniedException');
    }));
    expect(state.results[0]).toMatchObject({ state: 'skip', finding: { summary: 'could not check: aws logs filter-log-events failed (exit 255): AccessDeniedException' } });
    expect(diagnose(state).summary).toBe('No failure found (1 items could not be checked).');
  });

  it('names the heaviest cause when several items fail, in the plain report too', async () => {
    const weak: Finding = { ...mongoDown, cause: { symptom: 'health', title: 'api gets only 30 s to start', fix: 'Allow 60 s.', weight: 50 } };
    const state = await runAll([
      { id: 'grace', symptom: 'health', title: 'grace', probe: async () => weak },
      ...items(async () => mongoDown),
    ]);
    const report = reportLines(state, ['header']);
    expect(report).toContain('Diagnosis: Container fails to start: api cannot reach MongoDB or Redis');
    expect(report).toContain('      MongoServerSelectionError: connect ECONNREFUSED 10.0.0.5:27017');
    expect(report).toContain('      run: nc -zv mongo 27017');
  });
});
