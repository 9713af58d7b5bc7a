// verify: for each public host of a deployment, DNS, then TLS, then health. What install (at
// its end) and the verify command call; returns data and prints nothing.
import type { Settings } from '../answers/settings.js';
import { PUBLIC_SERVICES, serviceSpec } from '../membrane/services.js';
import { checkDns } from './dns.js';
import { checkHealth } from './health.js';
import type { CheckContext, CheckResult, HostResult, VerifyHost } from './result.js';
import { checkTls } from './tls.js';

export type { CheckResult, HostResult, VerifyHost } from './result.js';

/**
 * The deployment's public hosts: api., ui., console. DOMAIN, and the static files' host when it
 * is on the domain (a bucket's own URL is not the user's to check). `expected` maps a host to its
 * platform address (CNAME target or IP), when the cloud has said it.
 */
export function publicHosts(settings: Settings, expected: Readonly<Record<string, string>> = {}): VerifyHost[] {
  const domain = settings.answers.domain.toLowerCase();
  const hosts: VerifyHost[] = PUBLIC_SERVICES.map((service) => ({ host: new URL(settings.urls[service]).hostname, service, healthPath: serviceSpec(service).healthPath }));
  const staticHost = new URL(settings.urls.static).hostname;
  if (staticHost === domain || staticHost.endsWith(`.${domain}`)) hosts.push({ host: staticHost, service: 'static' });
  return hosts.map((host) => (expected[host.host] ? { ...host, expectedTarget: expected[host.host] } : host));
}

export interface VerifyOptions extends CheckContext {
  hosts: VerifyHost[];
}

/** Every host at once; each host's checks in order, stopping at the first failure (the later ones depend on it). */
export function verifyHosts({ hosts, ...context }: VerifyOptions): Promise<HostResult[]> {
  return Promise.all(hosts.map((host) => verifyHost(host, context)));
}

async function verifyHost(target: VerifyHost, context: CheckContext): Promise<HostResult> {
  const checks: CheckResult[] = [];
  const done = (): HostResult => ({ host: target.host, ok: checks.every((check) => check.ok), checks });
  const dns = await checkDns(target, context.cloud);
  checks.push(dns.result);
  if (!dns.address) return done();
  const tls = await checkTls(target, dns.address, context.cloud);
  checks.push(tls);
  if (!tls.ok || target.service === 'static') return done();
  checks.push(await checkHealth(target.host, target.service, dns.address, target.healthPath, context));
  return done();
}

/** The results as a person reads them: one line per check, its cause and fix below, then the verdict. */
export function resultLines(results: HostResult[]): string[] {
  const width = Math.max(...results.map(({ host }) => host.length));
  const lines = results.flatMap(({ host, checks }) => checks.flatMap((check) => [
    `${check.ok ? '✔' : '✖'} ${host.padEnd(width)}   ${check.detail}`,
    ...(check.cause ? [`    cause: ${check.cause}`] : []),
    ...(check.fix ? [`    fix:   ${check.fix}`] : []),
  ]));
  const failing = results.filter((result) => !result.ok).length;
  return [...lines, failing ? `${failing} of ${results.length} hosts fail.` : `All ${results.length} hosts pass.`];
}
