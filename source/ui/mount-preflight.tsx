// Mounts the preflight checklist. Imported lazily by the CLI, only when a terminal shows it,
// so --help, status and CI runs never pay for loading Ink and React.
import { render } from 'ink';
import { PreflightChecklist, type PreflightSubscribe } from './preflight-view.js';

export interface MountedPreflight {
  /** Resolves after the last frame is drawn and Ink has let go of the terminal. */
  close(): Promise<void>;
}

/**
 * `subscribe` must replay earlier events to a late listener (as the engine's event bus does):
 * the checks may start, or even finish, before the Ink tree subscribes.
 */
export function mountPreflight(subscribe: PreflightSubscribe, titles: string[]): MountedPreflight {
  // After an @inquirer prompt stdin is paused, and Ink would get no keys (design.md section 4).
  process.stdin.resume();
  const instance = render(<PreflightChecklist subscribe={subscribe} titles={titles} />, { exitOnCtrlC: false, patchConsole: false });
  return {
    async close() {
      // Let the last events render before unmounting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      instance.unmount();
      await instance.waitUntilExit();
      // Ink unrefs stdin on unmount; the next prompt needs it referenced again.
      process.stdin.ref();
      process.stdin.pause();
    },
  };
}
