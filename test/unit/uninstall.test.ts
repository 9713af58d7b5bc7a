// The AWS uninstall against a scripted account: the order it removes in (the reverse of the
// install's), and the rule that what the user owns is never removed, even under the installer's names.
import { describe, expect, it } from 'vitest';
import { awsUninstall } from '../../source/clouds/aws/uninstall.js';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { ENDPOINTS_OUTPUT } from '../../source/clouds/endpoints.js';
import type { Removal } from '../../source/clouds/types.js';
import { displayArgv, type Command } from '../../source/exec/command.js';
import { CliError } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { SERVICE_IDS } from '../../source/membrane/services.js';
import { awsSettings } from './fixtures.js';

const ACCOUNT = '123456789012';
const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;
const TAG = [{ Key: 'membrane:deployment', Value: 'default' }];
const LB = 'membrane-alb-1.us-east-1.elb.amazonaws.com';
const SECRETS = ['jwt-secret', 'encryption-secret', 'mongo-uri', 'redis-uri', 'registry-credentials'];

interface Scenario {
  /** Names of what exists under the installer's names but was not made by it (no tag). */
  foreign: { service?: string; revision?: string; secret?: string; logGroup?: boolean; discoveryService?: string; uiRecord?: string };
}

/** A scripted aws: answers the reads from the scenario, records every command, and reports deleted things as gone. */
function fakeAws({ foreign }: Scenario) {
  const calls: string[][] = [];
  const deleted = new Set<string>();
  const services = SERVICE_IDS.map((id) => ({ serviceName: `membrane-${id}`, serviceArn: arn('ecs', `service/membrane-cluster/membrane-${id}`) }));
  const revisions = SERVICE_IDS.map((id) => arn('ecs', `task-definition/membrane-${id}:1`));
  const secrets = SECRETS.map((name) => ({ Name: `membrane/${name}`, ARN: arn('secretsmanager', `secret:membrane/${name}-abc123`) }));
  const logGroupArn = arn('logs', 'log-group:/ecs/membrane');
  const namespace = { Id: 'ns-1', Arn: arn('servicediscovery', 'namespace/ns-1'), Name: 'membrane.internal', Type: 'DNS_PRIVATE' };
  const discovery = [{ Id: 'srv-1', Arn: arn('servicediscovery', 'service/srv-1'), Name: 'custom-code-runner' }, ...(foreign.discoveryService ? [{ Id: 'srv-2', Arn: arn('servicediscovery', 'service/srv-2'), Name: foreign.discoveryService }] : [])];
  const tagged = [
    ...services.filter((s) => s.serviceName !== foreign.service).map((s) => s.serviceArn),
    ...revisions,
    ...secrets.filter((s) => s.Name !== foreign.secret).map((s) => s.ARN),
    ...(foreign.logGroup ? [] : [logGroupArn]),
  ];
  const records = [
    { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: LB }] },
    { Name: 'ui.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: foreign.uiRecord ?? LB }] },
  ];
  const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1]!;
  const answers: Record<string, (argv: string[]) => unknown> = {
    'resourcegroupstaggingapi get-resources': () => ({ ResourceTagMappingList: tagged.map((ResourceARN) => ({ ResourceARN, Tags: TAG })) }),
    'route53 list-hosted-zones-by-name': () => ({ HostedZones: [{ Id: '/hostedzone/Z1', Name: 'example.com.', Config: { PrivateZone: false } }] }),
    'route53 list-resource-record-sets': (argv) => ({ ResourceRecordSets: records.filter((r) => r.Name === `${flag(argv, '--start-record-name')}.`) }),
    'ecs describe-services': (argv) => ({
      services: services.filter((s) => argv.includes(s.serviceName)).map((s) => ({ ...s, status: deleted.has(s.serviceName) ? 'INACTIVE' : 'ACTIVE', desiredCount: 2 })),
    }),
    'ecs list-task-definitions': (argv) => ({
      taskDefinitionArns: flag(argv, '--status') === 'ACTIVE' ? [...revisions, ...(foreign.revision ? [arn('ecs', `task-definition/${foreign.revision}`)] : [])] : [],
    }),
    'ecs delete-task-definitions': () => ({ failures: [] }),
    'iam get-role': (argv) => {
      const name = flag(argv, '--role-name');
      if (name !== 'membrane-exec-only') throw new CliError('not-found', argv, 254, `The role with name ${name} cannot be found.`);
      return { Role: { RoleName: name, Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, Tags: TAG } };
    },
    'iam get-role-policy': () => ({ PolicyDocument: {} }),
    'iam list-attached-role-policies': () => ({ AttachedPolicies: [] }),
    'iam list-role-policies': () => ({ PolicyNames: ['membrane-ecs-exec'] }),
    'servicediscovery list-namespaces': () => ({ Namespaces: [namespace] }),
    'servicediscovery list-services': () => ({ Services: discovery }),
    'servicediscovery list-tags-for-resource': (argv) => ({ Tags: flag(argv, '--resource-arn') === discovery[1]?.Arn ? [] : TAG }),
    'servicediscovery delete-namespace': () => ({ OperationId: 'op-1' }),
    'servicediscovery get-operation': () => ({ Operation: { Status: 'SUCCESS' } }),
    'logs describe-log-groups': () => ({ logGroups: [{ logGroupName: '/ecs/membrane', arn: `${logGroupArn}:*` }] }),
    'secretsmanager list-secrets': () => ({ SecretList: secrets.map((s) => ({ ...s, Tags: s.Name === foreign.secret ? [] : TAG })) }),
    'secretsmanager describe-secret': (argv) => secrets.find((s) => s.ARN === flag(argv, '--secret-id')),
  };
  const runner: Runner = {
    async run(command: Command) {
      const argv = displayArgv(command);
      calls.push(argv);
      if (argv[2] === 'delete-service' && argv[1] === 'ecs') deleted.add(flag(argv, '--service'));
      const answer = answers[`${argv[1]} ${argv[2]}`];
      return { stdout: JSON.stringify(answer ? answer(argv) : {}), stderr: '', exitCode: 0 };
    },
    backoff: async () => {},
  };
  return { runner, calls };
}

const settings = () => awsSettings((raw) => (raw.dns = { zone: 'example.com' }));
const known = {
  [ENDPOINTS_OUTPUT]: JSON.stringify({
    services: [],
    records: ['api', 'ui', 'console'].map((host) => ({ name: `${host}.example.com`, type: 'CNAME', value: LB })),
    nextSteps: [],
  }),
};

async function removeAll(removals: Removal[], runner: Runner) {
  for (const removal of removals) await removal.remove(runner);
}

describe('AWS uninstall', () => {
  it('removes in the reverse of the install\'s order: records, services, task definitions, roles, private DNS, log group, secrets', async () => {
    const { runner } = fakeAws({ foreign: {} });
    const plan = await awsUninstall(settings(), runner, known, { deleteSecrets: true });
    const order = ['dns-record', 'ecs-service', 'task-definitions', 'iam-inline-policy', 'iam-role', 'cloud-map-service', 'cloud-map-namespace', 'log-group', 'secret'];
    const kinds = [...new Set(plan.removals.map((removal) => removal.kind))];
    expect(kinds).toEqual(order);
    // The same order, read from the install: each kind's step comes later in the plan than the next kind's.
    const steps = awsSteps(settings()).map((step) => step.id);
    const created = ['service:api', 'task-definition:api', 'execution-role', 'exec-only-role', 'runner-discovery', 'log-group', 'secret:mongoUri'].map((id) => steps.indexOf(id));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(plan.removals.filter((r) => r.kind === 'ecs-service')).toHaveLength(7);
    expect(plan.removals.filter((r) => r.kind === 'dns-record').map((r) => r.id)).toEqual(['/hostedzone/Z1/api.example.com/CNAME', '/hostedzone/Z1/ui.example.com/CNAME']);
  });

  it('scales each ECS service to 0, deletes it with --force, and waits until it is INACTIVE', async () => {
    const { runner, calls } = fakeAws({ foreign: {} });
    const plan = await awsUninstall(settings(), runner, known, { deleteSecrets: false });
    const api = plan.removals.find((r) => r.kind === 'ecs-service' && r.id.endsWith('/membrane-api'))!;
    calls.length = 0;
    await api.remove(runner);
    expect(calls.map((argv) => argv.slice(1, 3).join(' '))).toEqual(['ecs describe-services', 'ecs update-service', 'ecs delete-service', 'ecs describe-services']);
    const [scaleDown] = api.preview();
    expect(JSON.parse((scaleDown!.argv.find((arg) => typeof arg !== 'string') as { content: string }).content)).toMatchObject({ service: 'membrane-api', desiredCount: 0 });
    expect(calls[2]).toContain('--force');
  });

  it('never removes what the user owns, even under the installer\'s names: it says what stays and why', async () => {
    const foreign = { service: 'membrane-ui', revision: 'membrane-api:2', secret: 'membrane/mongo-uri', logGroup: true, discoveryService: 'legacy', uiRecord: 'legacy-ui.example.net' };
    const { runner, calls } = fakeAws({ foreign });
    const plan = await awsUninstall(settings(), runner, known, { deleteSecrets: true });
    const noTag = 'does not carry the tag membrane:deployment=default, so the installer did not make it: left as it is';
    expect(plan.kept).toEqual(expect.arrayContaining([
      'DNS record ui.example.com CNAME is legacy-ui.example.net, not what the install wrote (membrane-alb-1.us-east-1.elb.amazonaws.com): left as it is',
      `ECS service membrane-ui in cluster membrane-cluster ${noTag}`,
      `Task definition family membrane-api: 1 revision(s) ${noTag}`,
      `Cloud Map service legacy.membrane.internal ${noTag}`,
      'Cloud Map namespace membrane.internal: it holds services the installer did not make, so it stays',
      `Log group /ecs/membrane ${noTag}`,
      `Secret membrane/mongo-uri ${noTag}`,
    ]));
    const ids = plan.removals.map((r) => r.id);
    expect(ids.filter((id) => /service\/membrane-cluster\/membrane-ui$|membrane-api:2|mongo-uri|\/ecs\/membrane|srv-2|namespace\/ns-1|ui\.example\.com/.test(id))).toEqual([]);

    calls.length = 0;
    await removeAll(plan.removals, runner);
    const changes = calls.filter((argv) => /^(delete|deregister|update|detach|change|remove)-/.test(argv[2] ?? ''));
    const said = changes.map((argv) => argv.join(' '));
    // The user's cluster, network, load balancer, hosted zone, task role and execution role: never a target.
    for (const text of said) {
      expect(text).not.toMatch(/delete-cluster|elbv2|ec2 |delete-hosted-zone|membrane-task-role|membrane-ui |membrane-api:2|mongo-uri|\/ecs\/membrane|srv-2|ns-1|ui\.example\.com/);
      if (text.includes('ecsTaskExecutionRole')) expect(text).toMatch(/^aws iam delete-role-policy --role-name ecsTaskExecutionRole --policy-name membrane-read-secrets /);
    }
    expect(said.filter((text) => text.includes('ecsTaskExecutionRole'))).toHaveLength(1);
    expect(said.filter((text) => text.startsWith('aws iam delete-role ')).map((text) => text.split(' ')[4])).toEqual(['membrane-exec-only']);
  });

  it('keeps the secrets without --delete-secrets; with it, schedules them for deletion with the 30-day recovery window, never at once', async () => {
    const kept = await awsUninstall(settings(), fakeAws({ foreign: {} }).runner, known, { deleteSecrets: false });
    expect(kept.removals.filter((r) => r.kind === 'secret')).toEqual([]);
    expect(kept.kept).toContain('Secret membrane/mongo-uri stays: secrets go only with --delete-secrets');

    const { runner, calls } = fakeAws({ foreign: {} });
    const plan = await awsUninstall(settings(), runner, known, { deleteSecrets: true });
    calls.length = 0;
    await removeAll(plan.removals.filter((r) => r.kind === 'secret'), runner);
    const deletes = calls.filter((argv) => argv[2] === 'delete-secret');
    expect(deletes).toHaveLength(5);
    for (const argv of deletes) {
      expect(argv.join(' ')).toContain('--recovery-window-in-days 30');
      expect(argv.join(' ')).not.toContain('force-delete-without-recovery');
    }
    expect(plan.notes.join('\n')).toContain('restore one with: aws secretsmanager restore-secret --secret-id NAME --region us-east-1');
  });
});
