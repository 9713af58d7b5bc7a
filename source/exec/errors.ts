// Turns a CLI's failure into a typed error that keeps the CLI's own message, so the engine
// can tell "try again" from "stop and tell the user".

export type CliErrorKind =
  | 'missing-cli' // the executable is not installed
  | 'throttled' // the cloud refused the request before acting on it: safe to send again
  | 'transient' // 5xx, timeouts, connection resets: worth a retry, but the request may have taken effect
  | 'not-found'
  | 'conflict' // it already exists: a create whose earlier answer was lost, or a race
  | 'access-denied'
  | 'invalid' // the request or its arguments were refused
  | 'failed'; // anything else

export class CliError extends Error {
  constructor(
    readonly kind: CliErrorKind,
    /** argv as displayed (redacted). */
    readonly argv: string[],
    readonly exitCode: number | undefined,
    /** The CLI's own message, redacted. */
    readonly cliMessage: string,
  ) {
    super(`${argv.slice(0, 3).join(' ')} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${cliMessage}`);
  }
}

// Patterns from the real CLIs' output: aws ("An error occurred (Code) ..."), gcloud and az.
const PATTERNS: [CliErrorKind, RegExp][] = [
  ['throttled', /Throttl|TooManyRequests|RequestLimitExceeded|Rate exceeded|SlowDown|RESOURCE_EXHAUSTED|\b429\b/i],
  ['transient', /ServiceUnavailable|InternalError|InternalFailure|\b50[0234]\b|timed out|Read timeout|Connection reset|ECONNRESET|Could not connect to the endpoint|EndpointConnectionError|UNAVAILABLE/i],
  ['conflict', /ResourceExistsException|AlreadyExists|ALREADY_EXISTS|already exists|ConflictException/i],
  ['access-denied', /AccessDenied|UnrecognizedClientException|SignatureDoesNotMatch|AuthFailure|UnauthorizedOperation|not authorized|AuthorizationError|PERMISSION_DENIED|AuthorizationFailed|Unable to locate credentials|ExpiredToken|InvalidClientTokenId|UNAUTHENTICATED|az login/i],
  ['not-found', /NotFound|Cannot find service|Unable to describe task definition|does not exist|NoSuchEntity|ClusterNotFoundException|ServiceNotFoundException|NOT_FOUND|could not be found|was not found/i],
  ['invalid', /InvalidParameter|ValidationError|ValidationException|InvalidRequest|ClientException|INVALID_ARGUMENT|unrecognized arguments|Unknown options|invalid choice|argument .* expected/i],
];

export function classifyFailure(stderr: string, exitCode: number | undefined): CliErrorKind {
  for (const [kind, pattern] of PATTERNS) if (pattern.test(stderr)) return kind;
  // aws exits 2 for argument errors, before sending anything.
  return exitCode === 2 ? 'invalid' : 'failed';
}

/** The CLI's message without blank lines and usage banners: the part a person needs. */
export function cliMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^usage:|^To see help text|^aws help|^aws <command>/i.test(line));
  return lines.slice(-3).join(' ') || 'no error message';
}

/**
 * Failures after which the whole step is worth another go: it looks first, so a create that
 * took effect although its answer was lost is found and adopted instead of made twice.
 */
export function isWorthAnotherLook(error: unknown): boolean {
  return error instanceof CliError && (error.kind === 'throttled' || error.kind === 'transient' || error.kind === 'conflict');
}
