// Mounts the Ink views. Imported lazily by the CLI, only when a terminal shows them, so
// --help, status and CI runs never pay for loading Ink and React.
import { render } from 'ink';
import type { ReactElement } from 'react';
import type { EventBus } from '../engine/event-bus.js';
import type { PreflightEvent } from '../engine/preflight.js';
import type { ChecklistItem } from '../troubleshoot/checklist.js';
import type { ChecklistEvent, ChecklistRunner } from '../troubleshoot/run.js';
import { ChecklistView } from './checklist-view.js';
import { LiveDeployment } from './live-table.js';
import { PreflightChecklist } from './preflight-view.js';

export interface MountedView {
  /** Resolves after the last frame is drawn and Ink has let go of the terminal. */
  close(): Promise<void>;
}

/**
 * The one hand-over between @inquirer prompts and Ink (design.md section 4): they never
 * overlap, and each gets a working stdin. After a prompt stdin is paused and Ink would get
 * no keys; after Ink unmounts it unrefs stdin and the next prompt would fail.
 */
function mount(element: ReactElement): MountedView {
  process.stdin.resume();
  // Ten frames a second is smooth for a table, and keeps Ink's work small while polls arrive.
  const instance = render(element, { exitOnCtrlC: false, patchConsole: false, maxFps: 10 });
  return {
    async close() {
      // Let the last events render before unmounting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      instance.unmount();
      await instance.waitUntilExit();
      process.stdin.ref();
      process.stdin.pause();
    },
  };
}

/** The checks may finish before the tree subscribes: the bus replays them. */
export function mountPreflight(bus: EventBus<PreflightEvent>, titles: string[]): MountedView {
  return mount(<PreflightChecklist subscribe={bus.subscribe} titles={titles} />);
}

export function mountLiveDeployment(bus: EventBus, services: string[]): MountedView {
  const view = mount(<LiveDeployment subscribe={bus.subscribe} services={services} />);
  let summary: string[] = [];
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === 'done') summary = event.summary;
  });
  return {
    async close() {
      await view.close();
      unsubscribe();
      // Below the last frame as plain lines: URLs and the resume command stay whole and copyable.
      for (const text of summary) process.stdout.write(`${text}\n`);
    },
  };
}

/** The troubleshooting checklist; resolves `quit` when the user presses q. Keys go to the runner. */
export function mountChecklist(bus: EventBus<ChecklistEvent>, items: ChecklistItem[], runner: ChecklistRunner, header: string[]): MountedView & { quit: Promise<void> } {
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const view = mount(
    <ChecklistView subscribe={bus.subscribe} items={items} header={header} onRerun={(id) => void runner.run(id)} onMarkDone={runner.markDone} onQuit={() => quit()} />,
  );
  return { ...view, quit: quitting };
}
