// Test support: a loopback Docker registry (HTTP API v2) with Harbor's login flow, for the
// troubleshooting registry checks. Bound to 127.0.0.1 on a random port, so the checks may use
// plain http (they do so only for loopback hosts).
//
//  GET /v2/                         -> 401 + WWW-Authenticate: Bearer realm=".../service/token",service="harbor-registry"
//                                      (200 with a valid token)
//  GET /service/token?service&scope -> Basic auth: 200 {token, access_token, expires_in}, or 401 UNAUTHORIZED
//  GET|HEAD /v2/<name>/manifests/<tag> -> valid token: 200 + Docker-Content-Digest, or 404 MANIFEST_UNKNOWN;
//                                      401 without one
//
// With `auth: 'basic'` it is a registry that takes Basic auth directly (WWW-Authenticate: Basic).
// Requests are recorded as method, path and the kind of Authorization only: never a credential.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const HOST = '127.0.0.1';
const SERVICE = 'harbor-registry';
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export interface FakeRegistryOptions {
  username: string;
  password: string;
  /** Repository name -> its tags, e.g. { 'core/api': ['2025-09-19'] }. */
  images: Record<string, string[]>;
  /** 'bearer' (Harbor, the default) or 'basic' (a registry that takes Basic auth directly). */
  auth?: 'bearer' | 'basic';
}

export interface RecordedRegistryRequest {
  method: string;
  /** Path and query, e.g. /service/token?service=harbor-registry&scope=... */
  path: string;
  authorization: 'basic' | 'bearer' | 'none';
}

export interface FakeRegistry {
  /** '127.0.0.1:PORT', as the registry.server answer would be written. */
  server: string;
  requests: RecordedRegistryRequest[];
  /** Rotates the robot account's password; tokens already issued stay valid, as Harbor's do until they expire. */
  setPassword(password: string): void;
  /** Ends open connections and closes the server. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startFakeRegistry(options: FakeRegistryOptions): Promise<FakeRegistry> {
  let password = options.password;
  const mode = options.auth ?? 'bearer';
  const tokens = new Set<string>();
  const requests: RecordedRegistryRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const header = req.headers.authorization ?? '';
    const kind = /^basic /i.test(header) ? 'basic' : /^bearer /i.test(header) ? 'bearer' : 'none';
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: kind });
    if (req.method !== 'GET' && req.method !== 'HEAD') return errorJson(res, 405, 'UNSUPPORTED', 'method not allowed');

    const basicOk = () => {
      const match = /^basic (.+)$/i.exec(header);
      const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      return colon > 0 && decoded.slice(0, colon) === options.username && decoded.slice(colon + 1) === password;
    };
    const authorized = () => (mode === 'basic' ? basicOk() : tokens.has(/^bearer (.+)$/i.exec(header)?.[1] ?? ''));
    const challenge = (scope?: string) => {
      if (mode === 'basic') return 'Basic realm="fake-registry"';
      return `Bearer realm="http://${address}/service/token",service="${SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
    };

    if (url.pathname === '/service/token' && mode === 'bearer') {
      if (!basicOk()) return errorJson(res, 401, 'UNAUTHORIZED', 'authentication required');
      const token = randomBytes(24).toString('hex');
      tokens.add(token);
      return json(res, 200, { token, access_token: token, expires_in: 1800, issued_at: new Date().toISOString() });
    }

    if (url.pathname === '/v2/') {
      if (!authorized()) return errorJson(res, 401, 'UNAUTHORIZED', 'unauthorized: authentication required', challenge());
      return json(res, 200, {});
    }

    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const [, name, tag] = manifest as unknown as [string, string, string];
      if (!authorized()) {
        return errorJson(res, 401, 'UNAUTHORIZED', 'unauthorized to access repository', challenge(`repository:${name}:pull`));
      }
      if (!options.images[name]?.includes(tag)) return errorJson(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: unknown tag=${tag}`);
      const body = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPE, name, tag });
      res.writeHead(200, {
        'content-type': MANIFEST_TYPE,
        'content-length': Buffer.byteLength(body),
        'docker-content-digest': `sha256:${createHash('sha256').update(body).digest('hex')}`,
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }

    return errorJson(res, 404, 'NOT_FOUND', `not found: ${url.pathname}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = `${HOST}:${(server.address() as AddressInfo).port}`;

  let stopping: Promise<void> | undefined;
  return {
    server: address,
    requests,
    setPassword(next) {
      password = next;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function json(res: ServerResponse<IncomingMessage>, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Harbor's error shape: {"errors":[{"code":"...","message":"..."}]}. */
function errorJson(res: ServerResponse<IncomingMessage>, status: number, code: string, message: string, challenge?: string): void {
  json(res, status, { errors: [{ code, message }] }, challenge ? { 'www-authenticate': challenge } : {});
}
