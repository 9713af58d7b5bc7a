// uninstall on Cloud Run with the built CLI and the real gcloud against the loopback fake of
// Google's APIs (one fake for the file), asserted from the fake's state: after it, the project
// holds what the operator had before the installs, and nothing of the installer's.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../source/membrane/services.js';
import { CANARY_SECRETS, leakedCanaries, runCli, type CliRun } from '../support/cli.js';
import { gcloud, startGcpFake, type GcpHarness } from '../support/gcloud.js';
import { MARKER_VAR, runAndKill, waitForOrphans } from '../support/kill.js';

const PROJECT = 'acme-membrane';
const REGION = 'us-central1';
const ZONE = 'example-com';
const RUN_TIMEOUT_MS = 400_000;
const SECRET_NAMES = ['encryption-secret', 'jwt-secret', 'mongo-uri', 'redis-uri', 'registry-password'];

let gcp: GcpHarness;
let work: string;
/** The project as the operator had it, before any install. */
let before: Project;
/** Every output of the CLI in this file, for the leak check at the end. */
const outputs: CliRun[] = [];

const answers = (extra: Record<string, unknown> = {}) => ({
  cloud: 'gcp',
  domain: 'example.com',
  imageTag: '2025-09-19',
  registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
  gcp: { project: PROJECT, region: REGION },
  ...extra,
});
const state = () => join(work, 'state');
const env = (extra: Record<string, string> = {}) => ({ ...gcp.env, ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '100', CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '50', CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}', ...extra });
async function cli(...args: string[]): Promise<CliRun> {
  const run = await runCli([...args, '--state-dir', state()], env(), RUN_TIMEOUT_MS);
  outputs.push(run);
  return run;
}
const uninstall = (...args: string[]) => cli('uninstall', ...args);
/** Requests that change something (reads, the IAM policy reads POSTed as …:getIamPolicy, and token grants left out). */
const changes = (from: number) => gcp.fake.requests.slice(from)
  .filter((r) => r.method !== 'GET' && !r.path.endsWith(':getIamPolicy') && r.host !== 'token.fake')
  .map((r) => `${r.method} ${r.path}`);

interface Project {
  services: string[];
  secrets: string[];
  repositories: string[];
  mappings: Record<string, string>;
  records: string[];
  apis: string[];
}

/** What the fake holds now. */
function project(): Project {
  return {
    services: Object.keys(gcp.fake.services()).sort(),
    secrets: Object.keys(gcp.fake.secrets()).sort(),
    repositories: Object.keys(gcp.fake.repositories()).sort(),
    mappings: Object.fromEntries(Object.entries(gcp.fake.domainMappings()).map(([domain, m]) => [domain, m.spec.routeName])),
    records: gcp.fake.recordSets(ZONE).map((set) => `${set.name} ${set.type} ${set.rrdatas.join(',')}`).sort(),
    apis: gcp.fake.enabledApis(),
  };
}
const serviceNames = (prefix: string) => SERVICES.map((spec) => `${prefix}-${spec.id}`).sort();
const secretNames = (prefix: string) => SECRET_NAMES.map((name) => `${prefix}-${name}`);

beforeAll(async () => {
  gcp = await startGcpFake({ project: PROJECT, managedZones: [{ name: ZONE, dnsName: 'example.com.', recordSets: [{ name: 'www.example.com.', type: 'CNAME', ttl: 300, rrdatas: ['web.example.net.'] }] }] });
  gcp.fake.setReadyAfterPolls(0);
  gcp.fake.setVerifiedDomains(['example.com']);
  work = await mkdtemp(join(tmpdir(), 'membrane-gcp-uninstall-'));
  // The operator's own: a Cloud Run service, and a secret under a name the installer would use, neither labelled.
  await gcloud(gcp.env, ['run', 'deploy', 'website', '--image=us-docker.pkg.dev/cloudrun/container/hello', `--region=${REGION}`, '--no-allow-unauthenticated', `--project=${PROJECT}`, '--format=json']);
  await gcloud(gcp.env, ['secrets', 'create', 'membrane-smtp-password', '--data-file=-', `--project=${PROJECT}`, '--format=json'], { input: 'operator-smtp' });
  before = project();
  // "default" writes the domain mappings and their records in the zone; "second" (installed after it) does not.
  await writeFile(join(work, 'default.json'), JSON.stringify(answers({ dns: { zone: ZONE } })));
  await writeFile(join(work, 'second.json'), JSON.stringify(answers()));
  for (const [name, file] of [['default', 'default.json'], ['second', 'second.json']]) {
    const installed = await cli('--name', name!, '--config', join(work, file!), '--yes');
    expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
  }
}, RUN_TIMEOUT_MS * 2);

afterAll(async () => {
  await gcp?.stop();
});

describe('uninstall on Cloud Run against the fake Google APIs', () => {
  it('--dry-run lists what the installer made, in reverse order, and changes nothing', async () => {
    const installed = project();
    expect(installed.services).toEqual([...serviceNames('membrane'), ...serviceNames('membrane-second'), 'website'].sort());
    expect(installed.mappings).toEqual({ 'api.example.com': 'membrane-api', 'ui.example.com': 'membrane-ui', 'console.example.com': 'membrane-console' });
    const from = gcp.fake.requests.length;
    const run = await uninstall('--dry-run');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const titles = [
      'DNS record api.example.com CNAME ghs.googlehosted.com. (Cloud DNS zone example-com: the zone stays)',
      'Domain mapping api.example.com -> membrane-api',
      'Cloud Run service membrane-console (us-central1)',
      'Cloud Run service membrane-custom-code-runner (us-central1)',
      'Artifact Registry repository membrane-harbor (us-central1)',
    ];
    const at = titles.map((title) => run.stdout.indexOf(`  - ${title}`));
    expect(at.every((index) => index >= 0), run.stdout).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(run.stdout.match(/^ {2}- /gm)).toHaveLength(3 + 3 + 7 + 1);
    expect(run.stdout).toContain(`$ gcloud run services delete membrane-api --region=${REGION} --project=${PROJECT} --format=json --quiet`);
    expect(run.stdout).toContain(`$ gcloud beta run domain-mappings delete --domain=api.example.com --region=${REGION}`);
    expect(run.stdout).toContain(`$ gcloud dns record-sets delete api.example.com. --zone=${ZONE} --type=CNAME`);
    expect(run.stdout).toContain('Secret membrane-mongo-uri stays, with the access the install granted on it: secrets go only with --delete-secrets');
    expect(run.stdout).toContain('Secret membrane-smtp-password does not carry the label membrane-deployment=default, so the installer did not make it: left as it is');
    expect(run.stdout).toContain(`Never touched: your project ${PROJECT} and its enabled APIs`);
    expect(run.stdout).not.toMatch(/website|www\.example\.com|membrane-second/);
    expect(changes(from)).toEqual([]);
    expect(project()).toEqual(installed);
  });

  it('interrupted (kill -9) while the services are being deleted: run again, it finishes, and leaves what the operator owns', async () => {
    const marker = randomUUID();
    const killed = await runAndKill({
      args: ['uninstall', '--yes', '--state-dir', state()],
      env: env({ [MARKER_VAR]: marker }),
      auditLog: join(state(), 'default', 'audit.log'),
      killWhen: (lines) => lines.some((line) => line.includes('"run","services","delete"')),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(killed.exited, 'the uninstall finished before the kill point').toBeUndefined();
    await waitForOrphans(marker);
    const half = project();
    expect(half.mappings).toEqual({});
    expect(half.repositories).toContain(`${REGION}/membrane-harbor`);

    const again = await uninstall('--yes');
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('✔ removed Artifact Registry repository membrane-harbor');
    expect(again.stdout).not.toContain('✔ removed DNS record');
    expect(again.stdout).toContain('Deployment "default" is uninstalled');

    const after = project();
    expect(after.services).toEqual([...serviceNames('membrane-second'), 'website'].sort());
    expect(after.repositories).toEqual([`${REGION}/membrane-second-harbor`]);
    expect(after.mappings).toEqual({});
    expect(after.records).toEqual(before.records);
    expect(after.apis).toEqual(before.apis);
    // Secrets stay without --delete-secrets, with who may read them.
    expect(after.secrets).toEqual([...before.secrets, ...secretNames('membrane'), ...secretNames('membrane-second')].sort());
    expect(gcp.fake.secrets()['membrane-mongo-uri']!.iamBindings).not.toEqual([]);

    const status = await cli('status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'uninstalled', installed: false });
  }, RUN_TIMEOUT_MS);

  it('--delete-secrets deletes the installer\'s secrets, and says it cannot be undone', async () => {
    const run = await uninstall('--yes', '--delete-secrets');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✔ removed Secret membrane-mongo-uri and all its versions: deleted at once, not recoverable');
    expect(run.stdout).toContain('Secret Manager deletes a secret and every version of it at once: there is no recovery window');
    expect(project().secrets).toEqual([...before.secrets, ...secretNames('membrane-second')].sort());
  }, RUN_TIMEOUT_MS);

  it('with the journal lost, --config finds what the installer made by its labels', async () => {
    await rm(join(state(), 'second'), { recursive: true, force: true });
    const nothing = await uninstall('--name', 'second', '--yes');
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('give the answers it was installed with: --config answers.json');

    const run = await uninstall('--name', 'second', '--config', join(work, 'second.json'), '--yes', '--delete-secrets');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const title of ['Cloud Run service membrane-second-api', 'Artifact Registry repository membrane-second-harbor', 'Secret membrane-second-jwt-secret']) {
      expect(run.stdout).toContain(`✔ removed ${title}`);
    }
    // The project is as the operator had it.
    expect(project()).toEqual(before);
    expect(gcp.fake.secrets()['membrane-smtp-password']!.versions).toEqual(['operator-smtp']);
  }, RUN_TIMEOUT_MS);

  it('leaks no secret and sends nothing off loopback', async () => {
    const text = outputs.map((run) => run.stdout + run.stderr).join('\n') + await readFile(join(state(), 'default', 'audit.log'), 'utf8');
    expect(leakedCanaries(text)).toEqual([]);
    expect(gcp.fake.strayRequests).toEqual([]);
  });
});
