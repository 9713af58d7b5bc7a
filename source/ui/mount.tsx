// Mounts the live table. Imported lazily by the CLI, only when a terminal shows it, so
// --help, status and CI runs never pay for loading Ink and React.
import { render } from 'ink';
import type { EventBus } from '../engine/event-bus.js';
import { LiveDeployment } from './live-table.js';

export interface MountedView {
  /** Resolves after the last frame is drawn and Ink has let go of the terminal. */
  close(): Promise<void>;
}

export function mountLiveDeployment(bus: EventBus, services: string[]): MountedView {
  // After an @inquirer prompt stdin is paused, and Ink would get no keys (design.md section 4).
  process.stdin.resume();
  const instance = render(<LiveDeployment subscribe={bus.subscribe} services={services} />, { exitOnCtrlC: false, patchConsole: false });
  let summary: string[] = [];
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === 'done') summary = event.summary;
  });
  return {
    async close() {
      // Let the last events render before unmounting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      instance.unmount();
      await instance.waitUntilExit();
      unsubscribe();
      // Below the last frame as plain lines: URLs and the resume command stay whole and copyable.
      for (const text of summary) process.stdout.write(`${text}\n`);
      // Ink unrefs stdin on unmount; the next prompt needs it referenced again.
      process.stdin.ref();
      process.stdin.pause();
    },
  };
}
