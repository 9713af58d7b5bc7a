import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImageExists, checkRegistryLogin, type RegistryProbeResult } from '../../source/troubleshoot/registry.js';
import { startFakeRegistry, type FakeRegistry } from '../support/registry.js';

const USERNAME = 'robot$core+acme';
// A canary with characters that get encoded in URLs and headers, so a leak in any form is caught.
const PASSWORD = 'canary-registry-pw-Y5tG1c$+/=';
const IMAGES = { 'core/api': ['2025-09-19'], 'core/ui': ['2025-09-19'] };

/** Every string a result carries, for the canary checks. */
const allText = (result: RegistryProbeResult) => JSON.stringify(result);

function expectNoSecrets(results: RegistryProbeResult[], registries: FakeRegistry[] = []): void {
  const base64 = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
  for (const text of [...results.map(allText), ...registries.map((registry) => JSON.stringify(registry.requests))]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(encodeURIComponent(PASSWORD));
    expect(text).not.toContain(base64);
  }
  // No header values either: a token would follow "Bearer ", the credential "Basic ".
  for (const text of results.map(allText)) expect(text).not.toMatch(/authorization|bearer [a-z0-9]|basic [a-z0-9]/i);
}

describe('registry checks against a loopback Harbor-style registry', () => {
  let registry: FakeRegistry;
  const results: RegistryProbeResult[] = [];
  const login = async (password = PASSWORD) => {
    const result = await checkRegistryLogin({ server: registry.server, username: USERNAME, password });
    results.push(result);
    return result;
  };
  const image = async (name: string, tag: string) => {
    const result = await checkImageExists({ server: registry.server, username: USERNAME, password: PASSWORD, image: name, tag });
    results.push(result);
    return result;
  };

  beforeAll(async () => {
    registry = await startFakeRegistry({ username: USERNAME, password: PASSWORD, images: IMAGES });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('logs in with the robot account through the bearer-token flow', async () => {
    registry.requests.length = 0;
    const result = await login();
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.summary).toContain(USERNAME);
    expect(registry.requests).toEqual([
      { method: 'GET', path: '/v2/', authorization: 'none' },
      { method: 'GET', path: '/service/token?service=harbor-registry', authorization: 'basic' },
      { method: 'GET', path: '/v2/', authorization: 'bearer' },
    ]);
    expect(result.evidence).toEqual([
      `GET http://${registry.server}/v2/ -> 401`,
      'registry error UNAUTHORIZED: unauthorized: authentication required',
      `GET http://${registry.server}/service/token?service=harbor-registry -> 200`,
      `GET http://${registry.server}/v2/ -> 200`,
    ]);
  });

  it('reports a wrong password as rejected credentials with status 401', async () => {
    const result = await login('not-the-password');
    expect(result).toMatchObject({ ok: false, status: 401, summary: 'the registry rejected the username or password' });
    expect(result.evidence).toContain(`GET http://${registry.server}/service/token?service=harbor-registry -> 401`);
    expect(result.evidence).toContain('registry error UNAUTHORIZED: authentication required');
  });

  it('follows a password rotation', async () => {
    registry.setPassword('rotated');
    try {
      expect((await login()).summary).toBe('the registry rejected the username or password');
      expect((await login('rotated')).ok).toBe(true);
    } finally {
      registry.setPassword(PASSWORD);
    }
  });

  it('finds a known tag with a pull-scoped token and HEAD', async () => {
    registry.requests.length = 0;
    const result = await image('core/api', '2025-09-19');
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.summary).toMatch(/^core\/api:2025-09-19 exists in 127\.0\.0\.1:\d+ \(sha256:[0-9a-f]{64}\)$/);
    expect(registry.requests.map((request) => `${request.method} ${request.path} ${request.authorization}`)).toEqual([
      'GET /v2/ none',
      'GET /service/token?service=harbor-registry&scope=repository%3Acore%2Fapi%3Apull basic',
      'HEAD /v2/core/api/manifests/2025-09-19 bearer',
    ]);
  });

  it('reports an unknown tag with the registry\'s MANIFEST_UNKNOWN text', async () => {
    const result = await image('core/api', '2020-01-01');
    expect(result).toMatchObject({ ok: false, status: 404 });
    expect(result.summary).toContain('core/api:2020-01-01 was not found');
    expect(result.summary).toContain('MANIFEST_UNKNOWN');
    expect(result.evidence).toContain('registry error MANIFEST_UNKNOWN: manifest unknown: unknown tag=2020-01-01');
    // HEAD has no body; the GET that follows it carries the error text.
    expect(result.evidence.filter((line) => line.includes('/manifests/'))).toEqual([
      `HEAD http://${registry.server}/v2/core/api/manifests/2020-01-01 -> 404`,
      `GET http://${registry.server}/v2/core/api/manifests/2020-01-01 -> 404`,
    ]);
  });

  it('refuses image names and tags that would change the URL, without a request', async () => {
    registry.requests.length = 0;
    expect((await image('core/../api', '2025-09-19')).ok).toBe(false);
    expect((await image('core/api', '2025-09-19/../x')).ok).toBe(false);
    expect(registry.requests).toEqual([]);
  });

  it('never leaks the password, the Basic credential or a token', async () => {
    // Also with the canary as a wrong password, where the registry's answers are errors.
    registry.setPassword('something-else');
    try {
      await login();
      await image('core/api', '2025-09-19');
    } finally {
      registry.setPassword(PASSWORD);
    }
    expect(results.length).toBeGreaterThan(8);
    expectNoSecrets(results, [registry]);
  });
});

describe('registries that take Basic auth directly', () => {
  let registry: FakeRegistry;
  beforeAll(async () => {
    registry = await startFakeRegistry({ username: USERNAME, password: PASSWORD, images: IMAGES, auth: 'basic' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('logs in, finds tags and reports a wrong password', async () => {
    const ok = await checkRegistryLogin({ server: registry.server, username: USERNAME, password: PASSWORD });
    const bad = await checkRegistryLogin({ server: registry.server, username: USERNAME, password: 'wrong' });
    const known = await checkImageExists({ server: registry.server, username: USERNAME, password: PASSWORD, image: 'core/ui', tag: '2025-09-19' });
    const unknown = await checkImageExists({ server: registry.server, username: USERNAME, password: PASSWORD, image: 'core/console', tag: '2025-09-19' });
    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(bad).toMatchObject({ ok: false, status: 401, summary: 'the registry rejected the username or password' });
    expect(known).toMatchObject({ ok: true, status: 200 });
    expect(unknown).toMatchObject({ ok: false, status: 404 });
    expect(registry.requests.some((request) => request.path.startsWith('/service/token'))).toBe(false);
    expectNoSecrets([ok, bad, known, unknown], [registry]);
  });
});

describe('network failures', () => {
  it('reports a closed port as not reachable, not as rejected credentials', async () => {
    const registry = await startFakeRegistry({ username: USERNAME, password: PASSWORD, images: IMAGES });
    await registry.stop(); // its port on 127.0.0.1 is now closed
    const results = [
      await checkRegistryLogin({ server: registry.server, username: USERNAME, password: PASSWORD }),
      await checkImageExists({ server: registry.server, username: USERNAME, password: PASSWORD, image: 'core/api', tag: '2025-09-19' }),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(result.status).toBeUndefined();
      expect(result.summary).toBe(`the registry ${registry.server} was not reachable from this machine (ECONNREFUSED)`);
      expect(result.summary).not.toContain('rejected');
      expect(result.evidence).toEqual([`GET http://${registry.server}/v2/ -> no answer (ECONNREFUSED)`]);
    }
    expectNoSecrets(results);
  });

  it('gives up after the timeout when the registry never answers', async () => {
    const server: Server = createServer(() => {}); // accepts connections, never answers
    const sockets = new Set<import('node:net').Socket>();
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const started = Date.now();
      const result = await checkRegistryLogin({ server: `127.0.0.1:${port}`, username: USERNAME, password: PASSWORD, timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result).toMatchObject({ ok: false, summary: `the registry 127.0.0.1:${port} was not reachable from this machine (timed out after 300 ms)` });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('scrubs the password from errors that carry it', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: new Error(`bad header value ${PASSWORD}`) });
    }) as typeof fetch;
    const result = await checkRegistryLogin({ server: 'harbor.example.com', username: USERNAME, password: PASSWORD, fetchImpl });
    expect(result.summary).toContain('not reachable');
    expect(result.summary).toContain('[redacted]');
    expectNoSecrets([result]);
  });
});

describe('transport', () => {
  /** A fetch that records URLs and answers like Harbor, without any network. */
  function recordingFetch() {
    const urls: string[] = [];
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      urls.push(url);
      if (url.includes('/service/token')) return Response.json({ token: 'T' });
      return new Response('{}', { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://harbor.example.com/service/token",service="harbor-registry"' } });
    }) as typeof fetch;
    return { urls, fetchImpl };
  }

  it.each(['harbor.example.com', 'harbor.example.com:80', 'http://harbor.example.com', 'HTTP://harbor.example.com/'])(
    'never asks a non-loopback host (%s) over plain http',
    async (server) => {
      const { urls, fetchImpl } = recordingFetch();
      await checkRegistryLogin({ server, username: USERNAME, password: PASSWORD, fetchImpl });
      await checkImageExists({ server, username: USERNAME, password: PASSWORD, image: 'core/api', tag: '2025-09-19', fetchImpl });
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url).toMatch(/^https:\/\/harbor\.example\.com(:80)?\//);
    },
  );

  it('uses http for loopback hosts only', async () => {
    for (const server of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000']) {
      const { urls, fetchImpl } = recordingFetch();
      await checkRegistryLogin({ server, username: USERNAME, password: PASSWORD, fetchImpl });
      expect(urls[0]).toBe(`http://${server}/v2/`);
    }
  });

  it('does not send the credentials to a plain-http token service', async () => {
    const urls: string[] = [];
    const fetchImpl = (async (input: string | URL | Request) => {
      urls.push(String(input));
      return new Response('{}', { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://harbor.example.com/service/token",service="harbor-registry"' } });
    }) as typeof fetch;
    const result = await checkRegistryLogin({ server: 'harbor.example.com', username: USERNAME, password: PASSWORD, fetchImpl });
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('not https');
    expect(urls).toEqual(['https://harbor.example.com/v2/']);
  });

  it('rejects a server with a path or credentials without contacting it', async () => {
    const { urls, fetchImpl } = recordingFetch();
    const withPath = await checkRegistryLogin({ server: 'harbor.example.com/core', username: USERNAME, password: PASSWORD, fetchImpl });
    const withUser = await checkRegistryLogin({ server: `u:${PASSWORD}@harbor.example.com`, username: USERNAME, password: PASSWORD, fetchImpl });
    expect(withPath.ok).toBe(false);
    expect(withUser.ok).toBe(false);
    expect(urls).toEqual([]);
    expectNoSecrets([withPath, withUser]);
  });
});
