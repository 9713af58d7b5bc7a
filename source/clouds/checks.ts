// Building blocks of every adapter's preflight: a check is a titled promise of a result,
// and a CLI failure becomes a failed result with a fix instead of an exception.
import { CliError } from '../exec/errors.js';
import type { PreflightCheckDefinition, PreflightResult, ReviewResource } from './types.js';

export type Check = () => Promise<PreflightResult>;

/** Each promise is made on first use, so concurrent checks share one call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}

/** `seen`: what the review should say of a resource, now that the cloud has been asked; `note`: what works but differs from the guide. */
export const pass = (detail: string, seen?: ReviewResource[], note?: string): PreflightResult => ({ ok: true, detail, ...(seen ? { seen } : {}), ...(note ? { note } : {}) });
export const fail = (detail: string, fix: string): PreflightResult => ({ ok: false, detail, fix });

/** How to fix a failed check, per kind of CLI failure, in the words of the cloud's CLI. */
export interface FailureFixes {
  /** What to say when the CLI is not installed, and where to get it. */
  missingCli: [detail: string, fix: string];
  accessDenied: string;
  /** The answers name something the cloud does not have, or the CLI refused them. */
  badAnswer: string;
  other: string;
}

/** Runs each check; a CLI failure becomes a failed result with the CLI's message and the fix. */
export function definitions(checks: [string, Check][], fixes: FailureFixes): PreflightCheckDefinition[] {
  const describe = (error: CliError): PreflightResult => {
    switch (error.kind) {
      case 'missing-cli':
        return fail(...fixes.missingCli);
      case 'access-denied':
        return fail(error.cliMessage, fixes.accessDenied);
      case 'not-found':
      case 'invalid':
        return fail(error.cliMessage, fixes.badAnswer);
      default:
        return fail(error.cliMessage, fixes.other);
    }
  };
  return checks.map(([title, check]) => ({
    title,
    run: () =>
      check().catch((error: unknown) => {
        if (!(error instanceof CliError)) throw error;
        return describe(error);
      }),
  }));
}
