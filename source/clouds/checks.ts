// Building blocks of every adapter's preflight: a check is a titled promise of a result,
// and a CLI failure becomes a failed result with a fix instead of an exception.
import { CliError } from '../exec/errors.js';
import type { PreflightCheckDefinition, PreflightResult } from './types.js';

export type Check = () => Promise<PreflightResult>;

export const pass = (detail: string): PreflightResult => ({ ok: true, detail });
export const fail = (detail: string, fix: string): PreflightResult => ({ ok: false, detail, fix });

/** Runs each check through the cloud's own translation of CLI errors into results. */
export function definitions(checks: [string, Check][], describeFailure: (error: CliError) => PreflightResult): PreflightCheckDefinition[] {
  return checks.map(([title, check]) => ({
    title,
    run: () =>
      check().catch((error: unknown) => {
        if (!(error instanceof CliError)) throw error;
        return describeFailure(error);
      }),
  }));
}
