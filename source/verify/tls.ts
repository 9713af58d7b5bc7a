// TLS: a handshake with the host's address, sending its name (SNI); the certificate must be
// for the name, trusted (Node's CAs plus NODE_EXTRA_CA_CERTS) and not expire within 14 days.
import { isIPv6 } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import type { Cloud } from '../answers/schema.js';
import { HTTPS_PORT } from './knobs.js';
import { frontOf } from './platform.js';
import { failed, passed, type CheckResult, type VerifyHost } from './result.js';

const TIMEOUT_MS = 5_000;
const RENEW_WITHIN_DAYS = 14;
const DAY_MS = 86_400_000;
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
]);

const day = (date: Date): string => date.toISOString().slice(0, 10);

/** The names a certificate is for: its DNS subject alternative names, else its common name. */
function namesOf(cert: PeerCertificate): string[] {
  const names = (cert.subjectaltname ?? '').split(', ').filter((name) => name.startsWith('DNS:')).map((name) => name.slice(4));
  return names.length ? names : [cert.subject?.CN].filter((name): name is string => Boolean(name));
}

export function checkTls({ host, service }: VerifyHost, address: string, cloud: Cloud, now = new Date()): Promise<CheckResult> {
  const { terminator } = frontOf(cloud, service);
  const at = `${isIPv6(address) ? `[${address}]` : address}:${HTTPS_PORT}`;
  return new Promise((resolve) => {
    // Not rejecting lets us read the certificate and say what is wrong with it; authorizationError still holds Node's verdict.
    const socket = connect({ host: address, port: HTTPS_PORT, servername: host, rejectUnauthorized: false });
    const finish = (result: CheckResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(failed('tls', `TLS: no handshake within ${TIMEOUT_MS / 1000} s`,
      `${at} does not complete a TLS handshake within ${TIMEOUT_MS / 1000} s: a firewall or security group drops the connection`,
      `allow inbound TCP ${HTTPS_PORT} from the internet to ${terminator}`)), TIMEOUT_MS);
    socket.once('secureConnect', () => {
      // Node sets authorizationError to the failure's code (a string), whatever its type says.
      const error = socket.authorized ? undefined : String(socket.authorizationError);
      finish(judge(host, error, socket.getPeerCertificate(), terminator, now));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED'
      ? failed('tls', `TLS: ${at} refuses the connection`, `nothing accepts connections on ${at}`, `make ${terminator} listen for HTTPS on port ${HTTPS_PORT}`)
      : failed('tls', `TLS: handshake failed (${error.code ?? error.message})`,
        `the TLS handshake with ${at} failed (${error.message}): it has no certificate for ${host} (SNI) or no TLS version in common`,
        `attach a certificate for ${host} to ${terminator}`)));
  });
}

function judge(host: string, error: string | undefined, cert: PeerCertificate, terminator: string, now: Date): CheckResult {
  const names = namesOf(cert);
  const validFrom = new Date(cert.valid_from);
  const validTo = new Date(cert.valid_to);
  const issuer = cert.issuer?.CN ?? cert.issuer?.O ?? 'an unnamed issuer';
  const wildcard = `*.${host.slice(host.indexOf('.') + 1)}`;
  if (error === 'CERT_HAS_EXPIRED') {
    return failed('tls', `TLS certificate for ${names.join(', ')} expired on ${day(validTo)}`, `the certificate for ${host} expired on ${day(validTo)}`,
      `renew it (or issue a new one) and attach it to ${terminator}`);
  }
  if (error === 'CERT_NOT_YET_VALID') {
    return failed('tls', `TLS certificate for ${names.join(', ')} is valid from ${day(validFrom)}`, `the certificate for ${host} is not valid before ${day(validFrom)}`,
      `check this machine's clock (date -u); if it is right, attach a certificate for ${host} that is valid now to ${terminator}`);
  }
  if (error === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return failed('tls', `TLS certificate for ${names.join(', ')} is self-signed`, `the certificate for ${host} is self-signed: no browser or client trusts it`,
      `attach a certificate for ${host} from a public CA (ACM, an Azure or Google managed certificate, Let's Encrypt) to ${terminator}`);
  }
  if (error && UNTRUSTED.has(error)) {
    return failed('tls', `TLS certificate issued by ${issuer} is not trusted (${error})`,
      `the certificate for ${host}, issued by ${issuer}, does not chain to a CA this machine trusts: an intermediate certificate is missing, or the CA is private`,
      `attach the full chain (certificate and intermediates) to ${terminator}; for a private CA, trust it here with NODE_EXTRA_CA_CERTS=ca.pem`);
  }
  if (error === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return failed('tls', `TLS certificate is for ${names.join(', ')}`, `the certificate is for ${names.join(', ') || 'no name'}, not for ${host}`,
      `attach a certificate for ${host} (or ${wildcard}) to ${terminator}`);
  }
  if (error) return failed('tls', `TLS certificate refused (${error})`, `the certificate for ${host} is refused: ${error}`, `attach a certificate for ${host} to ${terminator}`);
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < RENEW_WITHIN_DAYS) {
    return failed('tls', `TLS certificate for ${host}, valid until ${day(validTo)}`, `the certificate for ${host} expires on ${day(validTo)}, in ${daysLeft} days`,
      `renew it before then and attach it to ${terminator}`);
  }
  return passed('tls', `TLS certificate for ${host}, valid until ${day(validTo)}`);
}
