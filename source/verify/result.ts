// What verify finds, as data: each check of each host, with the cause and fix of a failure.
// The checks never print; commands/verify.ts (and install, later) decide how to show them.
import type { Cloud } from '../answers/schema.js';
import type { PublicServiceId } from '../membrane/services.js';

export type CheckName = 'dns' | 'tls' | 'health';

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** What was seen, e.g. "DNS → membrane-alb-1.us-east-1.elb.amazonaws.com (CNAME)". */
  detail: string;
  /** Why it failed, in a platform engineer's words. */
  cause?: string;
  /** What to do about it. */
  fix?: string;
}

/**
 * One public host of the deployment and what it should be: a public service with its health
 * path, or the static files' CDN or bucket, which has no health endpoint (DNS and TLS are all).
 */
export type VerifyHost = {
  host: string;
  /** The platform address the host must point at (a CNAME target or an IP address), when the cloud says it. */
  expectedTarget?: string;
} & ({ service: PublicServiceId; healthPath: string } | { service: 'static' });

export interface HostResult {
  host: string;
  ok: boolean;
  /** In order dns, tls, health; they stop at the first failure, which the later ones depend on. */
  checks: CheckResult[];
}

/** What every check of one host needs besides the host itself. */
export interface CheckContext {
  /** Whose words the causes and fixes use. */
  cloud: Cloud;
  /** The command that looks into the services, named in the fix of a failing health check. */
  troubleshoot: string;
}

export function passed(check: CheckName, detail: string): CheckResult {
  return { check, ok: true, detail };
}

export function failed(check: CheckName, detail: string, cause: string, fix: string): CheckResult {
  return { check, ok: false, detail, cause, fix };
}
