// How this process talks to a person: a TTY gets Ink and prompts; CI and pipes get plain lines.

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI);
}

/** Plain output for checks and summaries; the same words in a TTY and in CI logs. */
export function line(text = ''): void {
  process.stdout.write(`${text}\n`);
}
