// Errors that carry their exit code (design.md section 2). Anything else is a bug
// and is reported with its stack.

/** Invalid input or usage: exit 2, and nothing was changed in the cloud. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    /** One line per problem, each naming the field and the fix. */
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

/** A step failed: exit 1; the journal is kept and `resume` continues. */
export class StepFailedError extends Error {
  readonly exitCode = 1;
}

/**
 * The state directory refused a write (full disk, read-only): exit 1, as for a failed step,
 * since the cloud may already have changed; the journal keeps its last saved copy for resume.
 */
export class StateError extends Error {
  readonly exitCode = 1;
}

/** The user pressed Ctrl-C: exit 130. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
}

export function exitCodeOf(error: unknown): number | undefined {
  return error instanceof UsageError || error instanceof StepFailedError || error instanceof StateError || error instanceof InterruptedError
    ? error.exitCode
    : undefined;
}
