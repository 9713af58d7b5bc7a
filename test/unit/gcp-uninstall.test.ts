// The Cloud Run uninstall against a scripted gcloud: the order it removes in (the reverse of the
// install's), and the rule that what the user owns stays, even under the installer's names.
import { describe, expect, it } from 'vitest';
import { gcpUninstall } from '../../source/clouds/gcp/uninstall.js';
import { gcpSteps } from '../../source/clouds/gcp/steps.js';
import { CliError } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { gcpSettings, scriptedRunner } from './fixtures.js';

const LABEL = { 'membrane-deployment': 'default' };
const SECRETS = ['jwt-secret', 'encryption-secret', 'mongo-uri', 'redis-uri', 'registry-password'];

interface Scenario {
  /** What exists under the installer's names without its label, or is not what it writes. */
  foreign?: { service?: string; secret?: string; repository?: boolean; uiRecord?: string; consoleMappedTo?: string };
}

/** A scripted gcloud answering the reads; every command is recorded. */
function fakeGcloud({ foreign = {} }: Scenario = {}) {
  const label = (name: string | boolean | undefined, own: string | boolean) => (name === own ? {} : LABEL);
  const answers: [string, () => unknown][] = [
    ['beta run domain-mappings list', () => ['api', 'ui', 'console'].map((host) => ({
      metadata: { name: `${host}.example.com` },
      spec: { routeName: host === 'console' && foreign.consoleMappedTo ? foreign.consoleMappedTo : `membrane-${host}` },
    }))],
    ['dns managed-zones list', () => [{ name: 'example-com', dnsName: 'example.com.', visibility: 'public' }]],
    ['dns record-sets list', () => [
      { name: 'example.com.', type: 'NS', rrdatas: ['ns-cloud-a1.googledomains.com.'] },
      { name: 'www.example.com.', type: 'CNAME', rrdatas: ['web.example.net.'] },
      ...['api', 'ui', 'console'].map((host) => ({ name: `${host}.example.com.`, type: 'CNAME', rrdatas: [host === 'ui' && foreign.uiRecord ? foreign.uiRecord : 'ghs.googlehosted.com.'] })),
    ]],
    ['run services list', () => [
      ...SERVICE_IDS.map((id) => ({ metadata: { name: `membrane-${id}`, labels: label(foreign.service, `membrane-${id}`) } })),
      { metadata: { name: 'website', labels: {} } },
      { metadata: { name: 'membrane-second-api', labels: { 'membrane-deployment': 'second' } } },
    ]],
    ['artifacts repositories describe', () => ({ name: 'projects/acme-membrane/locations/us-central1/repositories/membrane-harbor', labels: label(foreign.repository, true) })],
    ['secrets list', () => [
      ...SECRETS.map((name) => ({ name: `projects/123/secrets/membrane-${name}`, labels: label(foreign.secret, `membrane-${name}`) })),
      { name: 'projects/123/secrets/membrane-smtp-password' },
      { name: 'projects/123/secrets/billing-key', labels: {} },
    ]],
  ];
  return scriptedRunner((argv) => answers.find(([command]) => argv.slice(1).join(' ').startsWith(command))?.[1]() ?? {});
}

const zoned = () => gcpSettings((raw) => (raw.dns = { zone: 'example-com' }));
const changing = (calls: string[][]) => calls.filter((argv) => argv.includes('delete')).map((argv) => argv.slice(1).join(' '));

describe('Cloud Run uninstall', () => {
  it('removes in the reverse of the install\'s order: records, domain mappings, services (last wave first), repository, secrets', async () => {
    const plan = await gcpUninstall(zoned(), fakeGcloud().runner, {}, { deleteSecrets: true });
    expect([...new Set(plan.removals.map((r) => r.kind))]).toEqual(['dns-record', 'domain-mapping', 'cloud-run-service', 'artifact-repository', 'secret']);
    expect(plan.removals.filter((r) => r.kind === 'cloud-run-service').map((r) => r.id)).toEqual([...SERVICE_IDS].reverse().map((id) => `membrane-${id}`));
    // The same order, read from the install: each kind's step comes later than the next kind's.
    const steps = gcpSteps(zoned()).map((step) => step.id);
    const created = ['service:api', 'service:custom-code-runner', 'repository', 'secret:mongoUri'].map((id) => steps.indexOf(id));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(plan.removals.filter((r) => r.kind === 'secret').map((r) => r.id)).toEqual(SECRETS.map((name) => `membrane-${name}`));
    expect(plan.notes.join('\n')).toContain('there is no recovery window');
  });

  it('never removes what the user owns, even under the installer\'s names: it says what stays and why', async () => {
    const foreign = { service: 'membrane-ui', secret: 'membrane-mongo-uri', repository: true, uiRecord: 'legacy-ui.example.net.', consoleMappedTo: 'legacy-console' };
    const { runner, calls } = fakeGcloud({ foreign });
    const plan = await gcpUninstall(zoned(), runner, {}, { deleteSecrets: true });
    const noLabel = 'does not carry the label membrane-deployment=default, so the installer did not make it: left as it is';
    expect(plan.kept).toEqual(expect.arrayContaining([
      `Cloud Run service membrane-ui in us-central1 ${noLabel}`,
      `Artifact Registry repository membrane-harbor in us-central1 ${noLabel}`,
      `Secret membrane-mongo-uri ${noLabel}`,
      `Secret membrane-smtp-password ${noLabel}`,
      'DNS record ui.example.com CNAME legacy-ui.example.net. in zone example-com: not the CNAME ghs.googlehosted.com. the install writes: left as it is',
      'DNS record console.example.com CNAME ghs.googlehosted.com. in zone example-com: console.example.com is mapped to Cloud Run service legacy-console, not membrane-console: left as it is',
      'Domain mapping console.example.com: console.example.com is mapped to Cloud Run service legacy-console, not membrane-console: left as it is',
      // The user's membrane-ui: its mapping serves it, so the mapping stays too.
      'Domain mapping ui.example.com: ui.example.com is mapped to membrane-ui, which the installer did not deploy (no label membrane-deployment=default): left as it is',
    ]));
    expect(plan.kept.at(-1)).toMatch(/^Never touched: your project acme-membrane and its enabled APIs .*, VPC network default\/default, .* and Cloud DNS zone example-com$/);
    for (const removal of plan.removals) await removal.remove(runner);
    const said = changing(calls);
    expect(said.filter((text) => /membrane-ui |membrane-mongo-uri|membrane-smtp|billing-key|website|membrane-second|artifacts|ui\.example\.com|console\.example\.com|www|managed-zones|services (disable|enable)|iam/.test(text))).toEqual([]);
    expect(said.filter((text) => text.startsWith('dns record-sets delete'))).toEqual(['dns record-sets delete api.example.com. --zone=example-com --type=CNAME --project=acme-membrane --format=json --quiet']);
  });

  it('keeps the secrets without --delete-secrets, and the domain mappings and records when the install did not write them (no dns.zone)', async () => {
    const { runner, calls } = fakeGcloud();
    const plan = await gcpUninstall(gcpSettings(), runner, {}, { deleteSecrets: false });
    expect([...new Set(plan.removals.map((r) => r.kind))]).toEqual(['cloud-run-service', 'artifact-repository']);
    expect(plan.kept).toContain('Secret membrane-mongo-uri stays, with the access the install granted on it: secrets go only with --delete-secrets');
    expect(plan.kept).toContain('Domain mapping api.example.com -> membrane-api: the install did not make it (no dns.zone), so it stays; with membrane-api gone it serves nothing. Remove it with: gcloud beta run domain-mappings delete --domain=api.example.com --region=us-central1 --project=acme-membrane');
    expect(calls.some((argv) => argv[1] === 'dns')).toBe(false);
    expect(plan.notes).toEqual([]);
  });

  it('counts what is already gone as removed, so a re-run finishes an interrupted uninstall', async () => {
    const plan = await gcpUninstall(zoned(), fakeGcloud().runner, {}, { deleteSecrets: true });
    const gone: Runner = {
      run: async (command) => {
        throw new CliError('not-found', command.argv.map(String), 1, 'ERROR: (gcloud) NOT_FOUND: Resource does not exist.');
      },
      backoff: async () => {},
    };
    for (const removal of plan.removals) await expect(removal.remove(gone), removal.title).resolves.toBeUndefined();
    const denied: Runner = { ...gone, run: async (command) => { throw new CliError('access-denied', command.argv.map(String), 1, 'PERMISSION_DENIED'); } };
    await expect(plan.removals[0]!.remove(denied)).rejects.toThrow('PERMISSION_DENIED');
  });
});
