// DNS: the host resolves, and to the platform address when the cloud has said which.
// Only queries the system's DNS servers about names; it connects to no host.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Cloud } from '../answers/schema.js';
import { TEST_RESOLVE } from './knobs.js';
import { frontOf } from './platform.js';
import { failed, passed, type CheckResult, type VerifyHost } from './result.js';

const MAX_CNAMES = 8;
// c-ares gives up on a query after its tries (2 s, then 4 s): every DNS wait is bounded.
const resolver = new Resolver({ timeout: 2_000, tries: 2 });
/** The name has no such record, as opposed to a DNS server that fails or does not answer. */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

interface Resolution {
  /** The CNAME chain from the name, in order. */
  cnames: string[];
  addresses: string[];
  /** Why there are no addresses: a c-ares code. */
  error?: string;
}

const normal = (name: string): string => name.toLowerCase().replace(/\.$/, '');

async function resolveName(name: string): Promise<Resolution> {
  if (TEST_RESOLVE) return resolveFromMap(TEST_RESOLVE, name);
  // Side by side, so a silent DNS server costs one timeout, not two; resolve4/resolve6 follow the CNAMEs themselves.
  const [cnames, answers] = await Promise.all([cnameChain(name), Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)])]);
  const addresses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
  if (addresses.length) return { cnames, addresses };
  const codes = answers.map((answer) => (answer.status === 'rejected' ? String((answer.reason as NodeJS.ErrnoException).code) : 'ENODATA'));
  // A failing server says more than "no AAAA record".
  return { cnames, addresses, error: codes.find((code) => !NO_RECORD.has(code)) ?? codes[0] };
}

async function cnameChain(name: string): Promise<string[]> {
  const cnames: string[] = [];
  for (let current = name; cnames.length < MAX_CNAMES; ) {
    // A name with A records only answers ENODATA; whatever else stops the chain, the address lookups report.
    const [next] = await resolver.resolveCname(current).catch(() => []);
    if (!next) break;
    cnames.push(next);
    current = next;
  }
  return cnames;
}

function resolveFromMap(map: ReadonlyMap<string, string>, name: string): Resolution {
  const cnames: string[] = [];
  for (let value = map.get(normal(name)); value !== undefined && cnames.length < MAX_CNAMES; value = map.get(normal(value))) {
    if (isIP(value)) return { cnames, addresses: [value] };
    cnames.push(value);
  }
  return { cnames, addresses: [], error: 'ENOTFOUND' };
}

/** The record that makes `host` point at `target`. */
function recordFor(host: string, target: string): string {
  const family = isIP(target);
  return family ? `an ${family === 6 ? 'AAAA' : 'A'} record ${host} -> ${target}` : `a CNAME ${host} -> ${target}`;
}

/** How the host reaches the expected target, if it does: by its CNAME chain, its addresses, or an alias (same addresses as the target's). */
async function reaches(found: Resolution, expected: string): Promise<'cname' | 'address' | 'alias' | undefined> {
  const target = normal(expected);
  if (isIP(target)) return found.addresses.includes(target) ? 'address' : undefined;
  if (found.cnames.map(normal).includes(target)) return 'cname';
  const { addresses } = await resolveName(target);
  return addresses.some((address) => found.addresses.includes(address)) ? 'alias' : undefined;
}

export interface DnsOutcome {
  result: CheckResult;
  /** Where TLS and health connect: the address DNS gave, so that all checks see the same server. */
  address?: string;
}

export async function checkDns({ host, service, expectedTarget }: VerifyHost, cloud: Cloud): Promise<DnsOutcome> {
  const pointAt = expectedTarget ?? frontOf(cloud, service).address;
  const found = await resolveName(host);
  if (found.error) return { result: unresolved(host, found.error, found.cnames, pointAt) };
  const shown = found.cnames.length ? `${found.cnames.join(' → ')} (CNAME)` : found.addresses.join(', ');
  if (!expectedTarget) return { result: passed('dns', `DNS → ${shown}`), address: found.addresses[0] };
  const how = await reaches(found, expectedTarget);
  if (how === 'alias') return { result: passed('dns', `DNS → ${shown} (alias of ${expectedTarget})`), address: found.addresses[0] };
  if (how) return { result: passed('dns', `DNS → ${shown}, the platform address`), address: found.addresses[0] };
  const elsewhere = found.cnames.length ? `${host} is a CNAME to ${found.cnames[0]}` : `${host} resolves to ${shown}`;
  return { result: failed('dns', `DNS → ${shown}`, `${elsewhere}, not to the platform address ${expectedTarget}`, `replace its record with ${recordFor(host, expectedTarget)}`) };
}

function unresolved(host: string, code: string, cnames: string[], pointAt: string): CheckResult {
  if (NO_RECORD.has(code)) {
    return cnames.length
      ? failed('dns', `DNS → ${cnames.join(' → ')} (CNAME), which does not resolve`, `${host} is a CNAME to ${cnames.at(-1)}, which does not resolve`,
        cnames.map(normal).includes(normal(pointAt)) ? `${pointAt} itself does not resolve: check that it still exists in the cloud` : `point the CNAME ${host} at ${pointAt}`)
      : failed('dns', 'DNS: no record', `${host} does not resolve (no A, AAAA or CNAME record)`, `create ${recordFor(host, pointAt)}`);
  }
  if (code === 'ESERVFAIL') {
    return failed('dns', 'DNS: SERVFAIL', `the DNS servers fail for ${host}: the zone's name servers are broken or its DNSSEC does not validate`,
      'check the domain\'s NS records at its registrar and its DS (DNSSEC) records');
  }
  return failed('dns', `DNS: ${code}`, `no DNS server answered for ${host} (${code})`, 'check this machine\'s DNS servers (/etc/resolv.conf) and its network, then run verify again');
}
