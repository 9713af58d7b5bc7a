// Small helpers every adapter uses to read the CLIs' JSON answers.
import type { Command } from '../exec/command.js';
import { CliError } from '../exec/errors.js';
import type { RunOptions, Runner } from '../exec/runner.js';

export async function runJson<T = any>(runner: Runner, command: Command, options?: RunOptions): Promise<T> {
  const { stdout } = await runner.run(command, options);
  return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
}

/** The answer, or null when the CLI says the thing does not exist. */
export async function findOrNull<T = any>(runner: Runner, command: Command): Promise<T | null> {
  try {
    return await runJson<T>(runner, command);
  } catch (error) {
    if (error instanceof CliError && error.kind === 'not-found') return null;
    throw error;
  }
}
