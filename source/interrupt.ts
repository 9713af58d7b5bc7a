// Ctrl-C while the engine runs: the first press asks for a clean stop, the second stops now.
// We own SIGINT for that time: conf's write-file library re-sends SIGINT to the process from
// its own listener, which would otherwise count as a second press.

export function takeOverInterrupts(handlers: { first(): void; second(): void }): () => void {
  const others = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  let presses = 0;
  const listener = () => (++presses === 1 ? handlers.first() : handlers.second());
  process.on('SIGINT', listener);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    process.off('SIGINT', listener);
    for (const other of others) process.on('SIGINT', other);
  };
}
