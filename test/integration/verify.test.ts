// verify, run by the built CLI against one loopback HTTPS server: the deployment's hosts resolve
// to 127.0.0.1 through the test-only resolver knob, its port replaces 443, and the test's own CA
// is trusted with NODE_EXTRA_CA_CERTS. Each failure the server is made to show has its own cause.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { awsAnswersRaw } from '../unit/fixtures.js';

const HOSTS = ['api.example.com', 'ui.example.com', 'console.example.com', 'static.example.com'];
const ALB = 'membrane-alb-123.us-east-1.elb.amazonaws.com';
/** api through a CNAME to the load balancer, as on AWS; the others straight to loopback. */
const RESOLVE = { 'api.example.com': ALB, [ALB]: '127.0.0.1', 'ui.example.com': '127.0.0.1', 'console.example.com': '127.0.0.1', 'static.example.com': '127.0.0.1' };

interface Pair {
  key: string;
  cert: string;
}

let work: string;
let server: Server;
let env: Record<string, string>;
let certs: Record<'good' | 'expired' | 'soon' | 'otherNames' | 'selfSigned', Pair>;
/** How the server answers GET: 200, 503, or never. */
let answer: 200 | 503 | 'never';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
}

/** A P-256 key and a certificate for `names`, valid for `days` (negative: already expired), signed by the CA or by itself. */
async function leaf(file: string, names: string[], days: number, signer: 'ca' | 'self' = 'ca'): Promise<Pair> {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${names[0]}`]);
  await writeFile(join(work, `${file}.ext`), `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}\n`);
  const signing = signer === 'ca' ? ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'] : ['-signkey', `${file}.key`];
  openssl(['x509', '-req', '-in', `${file}.csr`, ...signing, '-days', String(days), '-extfile', `${file}.ext`, '-out', `${file}.pem`]);
  return { key: await readFile(join(work, `${file}.key`), 'utf8'), cert: await readFile(join(work, `${file}.pem`), 'utf8') };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'membrane-verify-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Verify Test CA']);
  certs = {
    good: await leaf('good', HOSTS, 90),
    expired: await leaf('expired', HOSTS, -1),
    soon: await leaf('soon', HOSTS, 5),
    otherNames: await leaf('other', ['www.example.org', 'example.org'], 90),
    selfSigned: await leaf('self', HOSTS, 90, 'self'),
  };
  await writeFile(join(work, 'answers.json'), JSON.stringify(awsAnswersRaw()));
  server = createServer(certs.good, (req, res) => {
    if (answer === 'never') return; // holds the request open: verify must give up by itself
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(req.url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = {
    NODE_EXTRA_CA_CERTS: join(work, 'ca.pem'),
    CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: JSON.stringify(RESOLVE),
    CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT: String((server.address() as AddressInfo).port),
  };
});

afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  answer = 200;
  server.setSecureContext(certs.good);
});

function verify(extra: string[] = [], envOverrides: Record<string, string> = {}) {
  return runCli(['verify', '--config', join(work, 'answers.json'), '--state-dir', join(work, 'state'), ...extra], { ...env, ...envOverrides }, 30_000);
}

/** The output's lines about one host: its checks, each followed by its cause and fix. */
function linesOf(stdout: string, host: string): string {
  let mine = false;
  return stdout.split('\n').filter((text) => {
    if (!text.startsWith('    ')) mine = /^[✔✖] /.test(text) && text.split(/ +/)[1] === host;
    return mine;
  }).join('\n');
}

describe('verify', () => {
  it('passes when every host resolves, has a trusted certificate for its name and answers 200 (exit 0)', async () => {
    const run = await verify();
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Verifying https://api.example.com, https://ui.example.com, https://console.example.com, https://static.example.com …');
    expect(run.stdout).toMatch(new RegExp(`✔ api\\.example\\.com +DNS → ${ALB.replaceAll('.', '\\.')} \\(CNAME\\)`));
    expect(run.stdout).toMatch(/✔ api\.example\.com +TLS certificate for api\.example\.com, valid until \d{4}-\d\d-\d\d/);
    expect(run.stdout).toMatch(/✔ console\.example\.com +GET \/  answered 200 in \d+\.\d s/);
    // The static files have no health endpoint: DNS and TLS only.
    expect(linesOf(run.stdout, 'static.example.com').split('\n')).toHaveLength(2);
    expect(run.stdout).not.toContain('✖');
    expect(run.stdout).toContain('All 4 hosts pass.');
  });

  it('a certificate for other names: says which names it has (exit 1)', async () => {
    server.setSecureContext(certs.otherNames);
    const run = await verify();
    expect(run.exitCode).toBe(1);
    const api = linesOf(run.stdout, 'api.example.com');
    expect(api).toMatch(/✖ api\.example\.com +TLS certificate is for www\.example\.org, example\.org\n/);
    expect(api).toContain('cause: the certificate is for www.example.org, example.org, not for api.example.com');
    expect(api).toContain('fix:   attach a certificate for api.example.com (or *.example.com) to the load balancer\'s HTTPS listener');
    expect(api).not.toContain('GET /');
  });

  it('an expired certificate: says when it expired', async () => {
    server.setSecureContext(certs.expired);
    const run = await verify();
    expect(run.exitCode).toBe(1);
    expect(linesOf(run.stdout, 'ui.example.com')).toMatch(/cause: the certificate for ui\.example\.com expired on \d{4}-\d\d-\d\d\n {4}fix: {3}renew it/);
  });

  it('a certificate that expires within 14 days fails, naming the date', async () => {
    server.setSecureContext(certs.soon);
    const run = await verify();
    expect(run.exitCode).toBe(1);
    expect(linesOf(run.stdout, 'console.example.com')).toMatch(/cause: the certificate for console\.example\.com expires on \d{4}-\d\d-\d\d, in [45] days/);
  });

  it('a self-signed certificate, and a CA this machine does not trust, are each their own cause', async () => {
    server.setSecureContext(certs.selfSigned);
    const selfSigned = await verify();
    expect(selfSigned.exitCode).toBe(1);
    expect(linesOf(selfSigned.stdout, 'api.example.com')).toContain('cause: the certificate for api.example.com is self-signed');

    server.setSecureContext(certs.good);
    const untrusted = await verify([], { NODE_EXTRA_CA_CERTS: '' });
    expect(untrusted.exitCode).toBe(1);
    expect(linesOf(untrusted.stdout, 'api.example.com')).toContain('cause: the certificate for api.example.com, issued by Verify Test CA, does not chain to a CA this machine trusts');
  });

  it('a 503: the load balancer has no healthy target for the service', async () => {
    answer = 503;
    const run = await verify();
    expect(run.exitCode).toBe(1);
    const api = linesOf(run.stdout, 'api.example.com');
    expect(api).toMatch(/✖ api\.example\.com +GET \/  answered 503 in \d+\.\d s/);
    expect(api).toContain('cause: the load balancer has no healthy target for api');
    expect(api).toContain(`fix:   create-membrane-deploy troubleshoot --name default --state-dir ${join(work, 'state')} --config ${join(work, 'answers.json')}`);
    expect(run.stdout).toContain('3 of 4 hosts fail.');
  });

  it('a server that never answers the GET: a timeout after 5 s, not a hang', async () => {
    answer = 'never';
    const started = Date.now();
    const run = await verify();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.exitCode).toBe(1);
    expect(linesOf(run.stdout, 'ui.example.com')).toContain('cause: ui.example.com accepts the connection but the ui service does not answer GET / within 5 s');
  });

  it('a name that does not resolve, and a CNAME to nowhere: says which record to make; the other hosts are still checked', async () => {
    const resolve = Object.fromEntries(Object.entries(RESOLVE).filter(([host]) => host !== 'console.example.com'));
    // api: a CNAME left behind to a load balancer that is gone.
    const run = await verify([], { CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: JSON.stringify({ ...resolve, 'api.example.com': 'gone-alb.elb.amazonaws.com' }) });
    expect(run.exitCode).toBe(1);
    const console = linesOf(run.stdout, 'console.example.com');
    expect(console).toContain('cause: console.example.com does not resolve (no A, AAAA or CNAME record)');
    expect(console).toContain('fix:   create a CNAME console.example.com -> the load balancer\'s DNS name');
    expect(console).not.toContain('TLS');
    expect(linesOf(run.stdout, 'api.example.com')).toContain('cause: api.example.com is a CNAME to gone-alb.elb.amazonaws.com, which does not resolve\n    fix:   point the CNAME api.example.com at the load balancer\'s DNS name');
    expect(run.stdout).toMatch(/✔ ui\.example\.com +GET \//);
  });

  it('--json: one JSON document on stdout with every host\'s checks, and nothing else', async () => {
    answer = 503;
    const run = await verify(['--json']);
    expect(run.exitCode).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual(['name', 'domain', 'ok', 'hosts']);
    expect(report).toMatchObject({ name: 'default', domain: 'example.com', ok: false });
    expect(report.hosts.map((host: { host: string }) => host.host)).toEqual(HOSTS);
    const [api] = report.hosts;
    expect(api.checks.map((check: { check: string; ok: boolean }) => [check.check, check.ok])).toEqual([['dns', true], ['tls', true], ['health', false]]);
    expect(api.checks[0]).toEqual({ check: 'dns', ok: true, detail: `DNS → ${ALB} (CNAME)` });
    expect(api.checks[2]).toMatchObject({ check: 'health', ok: false, cause: 'the load balancer has no healthy target for api: the service is not ready' });
    expect(api.checks[2].fix).toMatch(/^create-membrane-deploy troubleshoot --name default/);
  });

  it('with the platform address known (verifyHosts, as install calls it): a CNAME elsewhere fails, an alias to it passes', async () => {
    // The knobs are read once, at import: set them first.
    process.env.CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE = JSON.stringify({ ...RESOLVE, 'other-alb.elb.amazonaws.com': '192.0.2.1' });
    process.env.CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT = env.CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT!;
    try {
      const { verifyHosts } = await import('../../source/verify/index.js');
      const [elsewhere, alias] = await verifyHosts({
        hosts: [
          { host: 'api.example.com', service: 'api', healthPath: '/', expectedTarget: 'other-alb.elb.amazonaws.com' },
          { host: 'ui.example.com', service: 'ui', healthPath: '/', expectedTarget: ALB },
        ],
        cloud: 'aws',
        troubleshoot: 'create-membrane-deploy troubleshoot --name default',
      });
      expect(elsewhere!.checks).toEqual([{
        check: 'dns', ok: false, detail: `DNS → ${ALB} (CNAME)`,
        cause: `api.example.com is a CNAME to ${ALB}, not to the platform address other-alb.elb.amazonaws.com`,
        fix: 'replace its record with a CNAME api.example.com -> other-alb.elb.amazonaws.com',
      }]);
      expect(alias!.checks[0]).toEqual({ check: 'dns', ok: true, detail: `DNS → 127.0.0.1 (alias of ${ALB})` });
    } finally {
      delete process.env.CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE;
      delete process.env.CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT;
    }
  });

  it('refuses without a recorded deployment or --config, and refuses --demo, each with exit 2', async () => {
    const none = await runCli(['verify', '--state-dir', join(work, 'state')], env, 30_000);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('No deployment named "default" is recorded here. Give --config answers.json');
    const demo = await runCli(['verify', '--demo', '--state-dir', join(work, 'state')], env, 30_000);
    expect(demo.exitCode).toBe(2);
    expect(demo.stderr).toContain('verify has nothing to check in the demo');
    expect(demo.stdout).toBe('');
  });
});
