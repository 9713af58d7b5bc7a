// Turns a CLI's failure into a typed error that keeps the CLI's own message, so the engine
// can tell "try again" from "stop and tell the user".

export type CliErrorKind =
  | 'missing-cli' // the executable is not installed
  | 'transient' // throttling, 5xx, timeouts, connection resets: worth a retry
  | 'not-found'
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
  ['transient', /Throttl|TooManyRequests|RequestLimitExceeded|Rate exceeded|SlowDown|ServiceUnavailable|InternalError|InternalFailure|\b50[0234]\b|timed out|Read timeout|Connection reset|ECONNRESET|Could not connect to the endpoint|EndpointConnectionError|RESOURCE_EXHAUSTED|UNAVAILABLE/i],
  ['access-denied', /AccessDenied|UnrecognizedClientException|SignatureDoesNotMatch|AuthFailure|UnauthorizedOperation|not authorized|AuthorizationError|PERMISSION_DENIED|AuthorizationFailed|Unable to locate credentials|ExpiredToken|InvalidClientTokenId|UNAUTHENTICATED|az login/i],
  ['not-found', /NotFound|Unable to describe task definition|does not exist|NoSuchEntity|ClusterNotFoundException|ServiceNotFoundException|NOT_FOUND|could not be found/i],
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
