// Ctrl-C, and the signals that stop a process the same way (SIGTERM from CI runners, systemd and
// container stops; SIGHUP when the terminal goes away), while the engine runs: the first asks for
// a clean stop, the second stops now. We own these signals for that time: conf's write-file
// library re-sends them to the process from its own listeners, which would count as a second one.
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's exit code for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export function exitCodeFor(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

export function takeOverInterrupts(handlers: { first(signal: StopSignal): void; second(signal: StopSignal): void }): () => void {
  const others = new Map(STOP_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  let presses = 0;
  const listeners = new Map(STOP_SIGNALS.map((signal) => [signal, () => (++presses === 1 ? handlers.first(signal) : handlers.second(signal))]));
  for (const signal of STOP_SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, listeners.get(signal)!);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const signal of STOP_SIGNALS) {
      process.off(signal, listeners.get(signal)!);
      for (const other of others.get(signal)!) process.on(signal, other as () => void);
    }
  };
}
