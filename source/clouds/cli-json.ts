// Small helpers every adapter uses to read the CLIs' JSON answers.
import { displayArgv, type Command } from '../exec/command.js';
import { CliError } from '../exec/errors.js';
import type { RunOptions, Runner } from '../exec/runner.js';

/**
 * The CLI's JSON answer. Exit 0 with no answer or a cut-off one is a lost answer, not success:
 * a transient failure, so the step runs again and looks for what the command may have made.
 */
export async function runJson<T = any>(runner: Runner, command: Command, options?: RunOptions): Promise<T> {
  const { stdout } = await runner.run(command, options);
  const text = stdout.trim();
  if (!text) throw new CliError('transient', displayArgv(command), 0, 'answered with no output where JSON was expected');
  try {
    return JSON.parse(text) as T;
  } catch {
    // Only the first character is shown: the output may hold a secret (get-secret-value).
    throw new CliError('transient', displayArgv(command), 0, `answered with ${text.length} characters that are not JSON (starting with ${JSON.stringify(text[0])})`);
  }
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

/** The command, or nothing when what it acts on is already gone. */
export async function unlessGone(run: Promise<unknown>): Promise<void> {
  try {
    await run;
  } catch (error) {
    if (!(error instanceof CliError && error.kind === 'not-found')) throw error;
  }
}
