// The review printed before anything changes: the user's own resources it will use, the steps
// grouped so the whole of it fits a 40-row terminal (every step with verbose), and on resume what is done.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../source/answers/settings.js';
import { CLOUD_MODULES } from '../../source/clouds/index.js';
import type { Step } from '../../source/clouds/types.js';
import { lookAlikeWarning } from '../../source/answers/look-alikes.js';
import { reviewLines, upgradeLine } from '../../source/commands/review.js';
import { withRollouts } from '../../source/engine/plan.js';
import { awsSettings, azureSettings, gcpSettings } from './fixtures.js';

function review(settings: Settings, options?: Parameters<typeof reviewLines>[3]) {
  const adapter = CLOUD_MODULES[settings.answers.cloud].adapter(settings as never);
  const steps = withRollouts(adapter.plan());
  const notes = adapter.notes();
  return { steps, notes, lines: reviewLines(settings, steps, notes, options) };
}

/** Terminal rows at the width of the e2e terminal (120): a long line takes more than one. */
const rows = (lines: string[], columns = 120) => lines.reduce((sum, line) => sum + Math.max(1, Math.ceil([...line].length / columns)), 0);

const FIXTURES: [string, () => Settings][] = [
  ['aws', () => awsSettings()],
  ['aws, execution role made, three subnets, named deployment', () => awsSettings((raw) => {
    delete raw.aws.executionRoleArn;
    raw.aws.subnets = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'];
    raw.aws.securityGroups = ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'];
  }, 'staging')],
  ['azure', () => azureSettings()],
  ['azure, own identity and storage account', () => azureSettings((raw) => Object.assign(raw.azure, { identity: 'acme-membrane-id', storageAccount: 'acmemembranefiles' }))],
  ['gcp', () => gcpSettings()],
  ['gcp, own service account and network', () => gcpSettings((raw) => Object.assign(raw.gcp, { serviceAccount: 'membrane@acme-membrane.iam.gserviceaccount.com', network: 'prod', subnet: 'prod-us' }))],
];

describe('reviewLines', () => {
  it.each(FIXTURES)('fits a 40-row terminal with room for the prompt by default (%s)', (_, settings) => {
    const { lines, steps } = review(settings());
    // 40 rows less the confirm prompt, the blank line before the review and a little slack.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(32);
    expect(rows(lines), lines.join('\n')).toBeLessThanOrEqual(35);
    // Grouped, yet every step is accounted for: the groups' counts add up to the plan's action steps and waits.
    const listed = lines.slice(lines.findIndex((line) => line.startsWith('Steps (')) + 1, lines.findIndex((line) => line.startsWith('• ')));
    // Every count in a line: the services' line also counts the autoscaling steps after them.
    const counted = listed.flatMap((line) => [...line.matchAll(/ ×(\d+)/g)].map((match) => Number(match[1]))).reduce((a, b) => a + b, 0);
    const alone = listed.filter((line) => steps.some((step) => line === `  ${step.title}`)).length;
    expect(alone + listed.filter((line) => line.includes(' ×')).length).toBe(listed.length);
    expect(counted + alone).toBe(steps.filter((step) => step.kind === 'action').length);
  });

  it.each(FIXTURES)('with verbose lists every step on its own line, in order, and every note in full (%s)', (_, settings) => {
    const { lines, steps, notes } = review(settings(), { verbose: true });
    const listed = lines.filter((line) => /^\s+\d+\. /.test(line));
    expect(listed).toEqual(steps.map((step, index) => `  ${String(index + 1).padStart(2)}. ${step.title}`));
    for (const note of notes) expect(lines).toContain(`• ${note}`);
  });

  it('keeps the three-argument call: the compact review, no step marked done', () => {
    const settings = awsSettings();
    const { steps, notes, lines } = review(settings);
    expect(reviewLines(settings, steps, notes)).toEqual(lines);
    expect(lines.join('\n')).not.toContain('done');
    expect(lines.filter((line) => line.startsWith('• '))).toEqual([
      `• ${notes[0]}`,
      `• ${notes.length - 1} more notes on how this deployment works: --verbose shows them here, plan --out DIR writes them to plan.json.`,
    ]);
  });

  it('upgrade says the image tag every service moves from and to, and which other answers change', () => {
    expect(upgradeLine({ imageTag: 'a', domain: 'd', services: { api: { replicas: 2 } } }, { imageTag: 'b', domain: 'd', services: { api: { replicas: 3 } } }))
      .toBe('Upgrade: image tag a → b for every service; other answers that change: services.api.');
    expect(upgradeLine({ imageTag: 'a', domain: 'd' }, { imageTag: 'a', domain: 'd' })).toBe('Upgrade: image tag a (unchanged); no other answer changes.');
  });

  it('warns about a punycode domain whose letters mix scripts, and not about one of a single script or a plain one', () => {
    expect(lookAlikeWarning('xn--pple-43d.com')).toBe('xn--pple-43d.com is "аpple.com" in Unicode, and its label xn--pple-43d mixes Latin and Cyrillic letters: make sure it is the domain you own, not a look-alike of another.');
    expect(lookAlikeWarning('xn--80ak6aa92e.com')).toBeUndefined();
    expect(lookAlikeWarning('xn--wgv71a119e.jp')).toBeUndefined();
    expect(lookAlikeWarning('example.com')).toBeUndefined();
    const { lines } = review(awsSettings((raw) => Object.assign(raw, { domain: 'xn--pple-43d.com' })));
    expect(lines[1]).toMatch(/^⚠ xn--pple-43d\.com is "аpple\.com" in Unicode/);
  });

  it('warns under the services when one runs a single replica (the guide keeps 2 through updates), and only then', () => {
    expect(review(awsSettings()).lines.join('\n')).not.toContain('⚠');
    const { lines } = review(awsSettings((raw) => Object.assign(raw, { services: { api: { replicas: 1 }, ui: { replicas: 1 } } })));
    expect(lines).toContain('  ⚠ api, ui run 1 replica: nothing answers while it is replaced or fails; the guide keeps at least 2 (services.ID.replicas).');
  });

  it('keeps the note an adapter leads with (the demo\'s "This is a demo") and counts the rest', () => {
    const settings = awsSettings();
    const { steps } = review(settings);
    const lead = 'This is a demo: nothing is created anywhere.';
    expect(reviewLines(settings, steps, [lead, 'second', 'third']).slice(-2)).toEqual([
      `• ${lead}`,
      '• 2 more notes on how this deployment works: --verbose shows them here, plan --out DIR writes them to plan.json.',
    ]);
    expect(reviewLines(settings, steps, [lead]).at(-1)).toBe(`• ${lead}`);
  });

  it('groups alike steps by kind, and the services with their waves in the guide\'s order', () => {
    const { lines } = review(awsSettings());
    expect(lines).toContain('  Secret ×5: membrane/{jwt-secret, encryption-secret, mongo-uri, redis-uri, registry-credentials}');
    expect(lines).toContain('  Task definition ×7: membrane-{custom-code-runner, orchestrator, queued-worker, instant-worker, api, ui, console}');
    expect(lines).toContain('  ECS service ×7: custom-code-runner → orchestrator, queued-worker, instant-worker → api, ui, console; autoscaling ×4');
    expect(lines).toContain('Storage: S3 buckets membrane-example-com-{tmp, connectors, static}; static files at https://static.example.com');
    // Steps whose titles do not start alike are named by their kind.
    expect(review(azureSettings()).lines).toContain('  Access ×3: membrane-{apps, runner, web}');
  });

  it('writes names out in full when they share no start', () => {
    const { lines } = review(gcpSettings((raw) => (raw.storage = { tmpBucket: 'acme-scratch', connectorsBucket: 'connectors-acme' })));
    expect(lines.find((line) => line.startsWith('Storage:'))).toBe(
      'Storage: Cloud Storage buckets acme-scratch, connectors-acme, membrane-example-com-static; static files at https://static.example.com');
  });

  describe('resources it will use', () => {
    const section = (lines: string[]) => {
      const start = lines.indexOf('Resources it will use (yours, as the answers name them):');
      expect(start, lines.join('\n')).toBeGreaterThan(-1);
      return lines.slice(start + 1, lines.indexOf('', start)).map((line) => line.trim().replace(/\s{2,}/, ' | '));
    };

    it('AWS: cluster, subnets, security groups, both roles and each public service\'s target group', () => {
      expect(section(review(awsSettings()).lines)).toEqual([
        'ECS cluster | membrane-cluster in us-east-1',
        'Subnets | subnet-0123456789abcdef0 (no public IP: they need a NAT gateway to reach the registry)',
        'Security groups | sg-0123456789abcdef0',
        'Execution role | ecsTaskExecutionRole: every task that uses it will be able to read these secrets',
        'Task role | membrane-task-role (api, workers, orchestrator)',
        'Target groups | api → membrane-api, ui → membrane-ui, console → membrane-console',
      ]);
      const made = section(review(awsSettings((raw) => {
        delete raw.aws.executionRoleArn;
        raw.aws.assignPublicIp = true;
      }, 'staging')).lines);
      expect(made).toContain('Execution role | created: membrane-staging-execution, for this deployment alone');
      expect(made).toContain('Subnets | subnet-0123456789abcdef0 (tasks get a public IP)');
    });

    it('what preflight read from the cloud replaces the line of that resource, and says so', () => {
      const settings = awsSettings();
      const { steps, notes } = review(settings);
      const seen = [{ label: 'Subnets', value: 'subnet-0123456789abcdef0 private (nat-1) in vpc-1; no public IP' }];
      const lines = reviewLines(settings, steps, notes, { seen });
      expect(lines).toContain('Resources it will use (yours, as the cloud describes them):');
      expect(lines.some((line) => /^ {2}Subnets +subnet-0123456789abcdef0 private \(nat-1\) in vpc-1; no public IP$/.test(line)), lines.join('\n')).toBe(true);
      expect(lines.join('\n')).not.toContain('they need a NAT gateway');
      // The other lines stay as the answers name them.
      expect(lines.some((line) => /^ {2}Target groups +api → membrane-api, ui → membrane-ui, console → membrane-console$/.test(line))).toBe(true);
    });

    it('Azure: subscription, resource group, environment, vault, the engine identity and the storage account', () => {
      expect(section(review(azureSettings()).lines)).toEqual([
        'Subscription | acme-prod',
        'Resource group | membrane-rg in eastus',
        'Apps environment | membrane-env',
        'Key Vault | membrane-vault (Azure RBAC): the secrets are written here, each app reads only its own',
        'Engine identity | membrane-apps, created when missing',
        'Storage account | membranefiles: grant membrane-apps "Storage Blob Data Contributor" there',
      ]);
      const own = section(review(azureSettings((raw) => Object.assign(raw.azure, { identity: 'acme-membrane-id', storageAccount: 'acmefiles' }))).lines);
      expect(own).toContain('Engine identity | acme-membrane-id, created when missing');
      expect(own).toContain('Storage account | acmefiles: grant acme-membrane-id "Storage Blob Data Contributor" there');
    });

    it('Google Cloud: project and region, network and subnet, the service account and the registry proxy', () => {
      expect(section(review(gcpSettings()).lines)).toEqual([
        'Project | acme-membrane, Cloud Run in us-central1',
        'VPC network | default, subnet default (needs Private Google Access and a Cloud NAT)',
        "Service account | the project's default compute service account (set gcp.serviceAccount to a dedicated one)",
        'Registry proxy | Artifact Registry membrane-harbor, created when missing',
      ]);
      const own = section(review(gcpSettings((raw) => Object.assign(raw.gcp, { serviceAccount: 'membrane@acme-membrane.iam.gserviceaccount.com', network: 'prod', subnet: 'prod-us' }))).lines);
      expect(own).toContain('Service account | membrane@acme-membrane.iam.gserviceaccount.com');
      expect(own).toContain('VPC network | prod, subnet prod-us (needs Private Google Access and a Cloud NAT)');
    });
  });

  describe('on resume, the steps already done', () => {
    const firstTwelve = (steps: Step[]) => new Set(steps.slice(0, 12).map((step) => step.id));

    it('says how many are done and where it resumes; groups are marked done or partly done', () => {
      const settings = awsSettings();
      const { steps } = review(settings);
      const { lines } = review(settings, { done: firstTwelve(steps) });
      expect(lines).toContain(`  12 of ${steps.length} steps already done; resumes at: ${steps[12]!.title}.`);
      expect(lines).toContain('  Secret ×5: membrane/{jwt-secret, encryption-secret, mongo-uri, redis-uri, registry-credentials}  ✔ done');
      expect(lines).toContain('  Log group /ecs/membrane  ✔ done');
      expect(lines.find((line) => line.startsWith('  Task definition ×7'))).toMatch(/\(3 of 7 done\)$/);
      expect(lines.find((line) => line.startsWith('  ECS service ×7'))).not.toContain('done');
      expect(rows(lines)).toBeLessThanOrEqual(34);
    });

    it('with verbose marks each done step, and only those', () => {
      const settings = azureSettings();
      const { steps } = review(settings);
      const done = firstTwelve(steps);
      const listed = review(settings, { verbose: true, done }).lines.filter((line) => /^\s+\d+\. /.test(line));
      expect(listed.map((line) => line.endsWith('  ✔ done'))).toEqual(steps.map((step) => done.has(step.id)));
    });

    it('ignores ids that are not steps of this plan, and says when nothing is left', () => {
      const settings = gcpSettings();
      const { steps, lines } = review(settings);
      expect(review(settings, { done: new Set(['no-such-step']) }).lines).toEqual(lines);
      expect(review(settings, { done: new Set(steps.map((step) => step.id)) }).lines).toContain(`  ${steps.length} of ${steps.length} steps already done; nothing is left to do.`);
    });
  });
});
