// Registry checks of the troubleshooting mode: a real login against the Harbor registry with the
// robot account, and whether IMAGE:TAG exists. They speak the Docker Registry HTTP API v2 directly
// (no docker CLI needed on this machine) and keep three failures apart because each has its own
// fix: the registry is not reachable from here (network), the credentials are rejected (robot
// account), the tag is missing (imageTag).
//
// Secrets: the password only ever goes into a Basic Authorization header, and the token only into
// a Bearer one; evidence lists method + URL + status, never headers. As a second line of defence
// every returned string is scrubbed of the password, the Basic credential and the token, and the
// checks never throw (an unexpected error becomes an ok:false result, scrubbed too).

export interface RegistryProbeResult {
  ok: boolean;
  status?: number;
  summary: string;
  evidence: string[];
}

interface Credentials {
  server: string;
  username: string;
  password: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Hosts that may be spoken to over plain http: this machine only (tests run a loopback registry). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const REJECTED = 'the registry rejected the username or password';
/** Multi-arch images are indexes / manifest lists; ask for every shape so the registry never answers 404 for a type mismatch. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
// Reference grammar of the distribution spec; checked so a name or tag cannot change the URL path.
const IMAGE_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Ends a check early with this result (caught in `run`). */
class Stop {
  constructor(readonly result: Omit<RegistryProbeResult, 'evidence'>) {}
}

interface Probe {
  /** scheme://host[:port] of the registry. */
  base: string;
  host: string;
  username: string;
  password: string;
  fetch: typeof fetch;
  /** One deadline for the whole check, not per request: the check as a whole stays bounded. */
  signal: AbortSignal;
  timeoutMs: number;
  evidence: string[];
  /** Strings that must not appear in the result. */
  secrets: string[];
}

interface Answer {
  res: Response;
  /** The body of a GET ('' for HEAD). */
  body: string;
  /** The registry's `errors[]` as "CODE: message". */
  errors: string[];
}

/**
 * A real login against the registry's /v2/ endpoint with the robot account (Docker Registry HTTP
 * API v2 with Harbor's bearer-token flow: GET /v2/ -> 401 with WWW-Authenticate: Bearer
 * realm=...,service=... ; GET realm?service=...&scope=... with Basic auth -> {token}; then GET /v2/
 * with Bearer). Registries that ask for Basic auth directly are logged in to with it.
 */
export function checkRegistryLogin(options: Credentials): Promise<RegistryProbeResult> {
  return run(options, async (probe) => {
    const authorization = await authorize(probe);
    if (!authorization) {
      return { ok: true, status: 200, summary: `${probe.host} answers without a login; the credentials were not needed` };
    }
    const { res, errors } = await send(probe, 'GET', `${probe.base}/v2/`, { authorization });
    if (res.status === 401) return { ok: false, status: 401, summary: REJECTED };
    if (res.ok) return { ok: true, status: res.status, summary: `logged in to ${probe.host} as ${probe.username}` };
    return unexpected(res, errors);
  });
}

/**
 * Does IMAGE:TAG exist? HEAD (fall back to GET) /v2/<name>/manifests/<tag> with the Accept headers
 * for OCI index, OCI manifest, Docker manifest list and v2 manifest, using a token for scope
 * repository:<name>:pull. 404 / MANIFEST_UNKNOWN -> ok:false with the registry's error text.
 */
export function checkImageExists(options: Credentials & { image: string; tag: string }): Promise<RegistryProbeResult> {
  return run(options, async (probe) => {
    const { image, tag } = options;
    if (!IMAGE_NAME.test(image)) throw new Stop({ ok: false, summary: `"${image}" is not an image name like core/api (no registry host, no tag)` });
    if (!IMAGE_TAG.test(tag)) throw new Stop({ ok: false, summary: `"${tag}" is not an image tag like 2025-09-19` });

    const authorization = await authorize(probe, `repository:${image}:pull`);
    const url = `${probe.base}/v2/${image}/manifests/${tag}`;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) };
    let answer = await send(probe, 'HEAD', url, headers);
    // A HEAD answer has no body: ask again with GET for the registry's error text (and for
    // registries that do not support HEAD on manifests).
    if (!answer.res.ok) answer = await send(probe, 'GET', url, headers);
    const { res, errors } = answer;

    if (res.ok) {
      const digest = res.headers.get('docker-content-digest');
      return { ok: true, status: res.status, summary: `${image}:${tag} exists in ${probe.host}${digest ? ` (${digest})` : ''}` };
    }
    if (res.status === 404) {
      return { ok: false, status: 404, summary: `${image}:${tag} was not found in ${probe.host}${errors.length ? `: ${errors[0]}` : ''}` };
    }
    // The token was issued, so the credentials are fine, but the robot account may not pull this repository.
    const insufficient = res.status === 401 && /error="?insufficient_scope/i.test(res.headers.get('www-authenticate') ?? '');
    if (res.status === 403 || insufficient) {
      return { ok: false, status: res.status, summary: `the credentials are valid but may not pull ${image} (check the robot account's permissions)` };
    }
    if (res.status === 401) return { ok: false, status: 401, summary: REJECTED };
    return unexpected(res, errors);
  });
}

/** Sets up the probe, runs the check, and returns its result with evidence, scrubbed of every secret. */
async function run(options: Credentials, check: (probe: Probe) => Promise<Omit<RegistryProbeResult, 'evidence'>>): Promise<RegistryProbeResult> {
  const evidence: string[] = [];
  const secrets = [options.password];
  let result: Omit<RegistryProbeResult, 'evidence'>;
  try {
    const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
    const { base, host } = registryBase(options.server, evidence);
    result = await check({
      base,
      host,
      username: options.username,
      password: options.password,
      fetch: options.fetchImpl ?? fetch,
      signal: AbortSignal.timeout(timeoutMs),
      timeoutMs,
      evidence,
      secrets,
    });
  } catch (error) {
    result = error instanceof Stop
      ? error.result
      : { ok: false, summary: `the registry check failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
  }
  return scrub({ ...result, evidence }, secrets);
}

/**
 * https://host[:port] of a registry given as host[:port] (a scheme is tolerated). Plain http only
 * for loopback hosts: a real registry is never asked over http, whatever the server says.
 */
function registryBase(server: string, evidence: string[]): { base: string; host: string } {
  const trimmed = server.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  const wanted = scheme?.[1]!.toLowerCase();
  let url: URL | undefined;
  try {
    url = new URL(`https://${scheme ? trimmed.slice(scheme[0].length) : trimmed}`);
  } catch {
    // reported below
  }
  // The server itself is not echoed: it is not valid, and might carry credentials (user:pass@host).
  if (!url || (wanted && wanted !== 'http' && wanted !== 'https') || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new Stop({ ok: false, summary: 'the registry server is not a host like harbor.integration.app (host[:port], no path)' });
  }
  const loopback = LOOPBACK.has(url.hostname);
  if (wanted === 'http' && !loopback) evidence.push(`plain http is only used for loopback hosts; asking ${url.host} over https`);
  return { base: `${loopback && wanted !== 'https' ? 'http' : 'https'}://${url.host}`, host: url.host };
}

/**
 * Asks GET /v2/ how to log in and does so: the Authorization header value for the following
 * requests, or undefined when the registry answers without a login. Bearer (Harbor): a token from
 * the realm for `scope`, fetched with Basic auth; Basic: the credentials themselves.
 */
async function authorize(probe: Probe, scope?: string): Promise<string | undefined> {
  const ping = await send(probe, 'GET', `${probe.base}/v2/`);
  if (ping.res.ok) return undefined;
  if (ping.res.status !== 401) throw new Stop(unexpected(ping.res, ping.errors));

  const basic = `Basic ${Buffer.from(`${probe.username}:${probe.password}`, 'utf8').toString('base64')}`;
  probe.secrets.push(basic.slice('Basic '.length));
  const challenge = parseChallenge(ping.res.headers.get('www-authenticate'));
  if (challenge?.scheme === 'basic') return basic;
  if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
    throw new Stop({ ok: false, status: 401, summary: 'the registry asked for a login it does not describe (no Bearer or Basic WWW-Authenticate challenge)' });
  }

  let realm: URL;
  try {
    realm = new URL(challenge.params.realm);
  } catch {
    throw new Stop({ ok: false, status: 401, summary: 'the registry names a token service that is not a valid URL' });
  }
  // The token request carries the password: never over plain http to another machine.
  if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && LOOPBACK.has(realm.hostname))) {
    throw new Stop({ ok: false, summary: `the registry sends logins to ${shown(realm.href)}, which is not https; the credentials were not sent` });
  }
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  if (scope) realm.searchParams.set('scope', scope);

  const { res, body, errors } = await send(probe, 'GET', realm.href, { authorization: basic });
  if (res.status === 401) throw new Stop({ ok: false, status: 401, summary: REJECTED });
  if (!res.ok) throw new Stop(unexpected(res, errors));
  let token: unknown;
  try {
    const parsed = JSON.parse(body) as { token?: unknown; access_token?: unknown };
    token = parsed.token ?? parsed.access_token;
  } catch {
    // reported below
  }
  if (typeof token !== 'string' || token === '') {
    throw new Stop({ ok: false, status: res.status, summary: 'the registry\'s token service answered without a token' });
  }
  probe.secrets.push(token);
  return `Bearer ${token}`;
}

/**
 * One request, recorded in the evidence as method, URL and status (never its headers). A network
 * failure ends the check: the registry was not reachable, which says nothing about the credentials.
 */
async function send(probe: Probe, method: 'GET' | 'HEAD', url: string, headers: Record<string, string> = {}): Promise<Answer> {
  let res: Response;
  let body = '';
  try {
    // Redirects are not followed: one could lead to plain http, or elsewhere with the credentials.
    res = await probe.fetch(url, { method, headers, redirect: 'manual', signal: probe.signal });
    // Read inside the try: the deadline covers the body too. Bodies here are small JSON.
    if (method === 'GET') body = await res.text();
  } catch (error) {
    const code = networkCode(error, probe.timeoutMs);
    probe.evidence.push(`${method} ${shown(url)} -> no answer (${code})`);
    throw new Stop({ ok: false, summary: `the registry ${new URL(url).host} was not reachable from this machine (${code})` });
  }
  const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
  probe.evidence.push(`${method} ${shown(url)} -> ${res.status}${location ? ` (redirect to ${shown(location, url)})` : ''}`);
  const errors = res.ok ? [] : registryErrors(body);
  for (const error of errors) probe.evidence.push(`registry error ${error}`);
  return { res, body, errors };
}

function unexpected(res: Response, errors: string[]): Omit<RegistryProbeResult, 'evidence'> {
  return { ok: false, status: res.status, summary: `the registry answered HTTP ${res.status}${errors.length ? `: ${errors[0]}` : ''}` };
}

/** The error code of a failed fetch: undici puts the system error (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, ...) in `cause`. */
function networkCode(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && cause.code) return String(cause.code);
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** `Bearer realm="...",service="..."` -> { scheme: 'bearer', params: { realm, service } }. */
function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  const match = header ? /^\s*([A-Za-z]+)\s*(.*)$/.exec(header) : null;
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of match[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g)) {
    params[key!.toLowerCase()] = quoted ?? bare ?? '';
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

/** The registry's error JSON `{"errors":[{"code","message"}]}` as "CODE: message" lines; anything else gives none. */
function registryErrors(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.slice(0, 5).flatMap((error: { code?: unknown; message?: unknown }) => {
      const code = typeof error?.code === 'string' ? error.code : '';
      const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : '';
      return code || message ? [[code, message].filter(Boolean).join(': ')] : [];
    });
  } catch {
    return [];
  }
}

/** A URL for the evidence, without any user:password@ part. */
function shown(url: string, base?: string): string {
  try {
    const parsed = new URL(url, base);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return '(not a URL)';
  }
}

/** Replaces every secret (also URL-encoded) in the result's strings. */
function scrub(result: RegistryProbeResult, secrets: string[]): RegistryProbeResult {
  const variants = [...new Set(secrets.filter(Boolean).flatMap((secret) => [secret, encodeURIComponent(secret)]))]
    .sort((a, b) => b.length - a.length);
  const clean = (text: string) => variants.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  return { ...result, summary: clean(result.summary), evidence: result.evidence.map(clean) };
}
