// A full install with the built CLI and the real aws CLI against moto, asserted from
// moto's state (not from the installer's own words), then a second run that must change nothing.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../source/membrane/services.js';
import { answersFor, createEcsFixture, type EcsFixture } from '../support/aws-fixture.js';
import { CANARY_SECRETS, leakedCanaries, readTree, runCli, type CliRun } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
/** No faults: it keeps what moto drops (enableExecuteCommand), as ECS does. */
let proxy: FaultProxy;
let fixture: EcsFixture;
let work: string;
let env: Record<string, string>;
let first: CliRun;
let firstSeconds: number;
/** The value the upgrade test rotates MEMBRANE_SECRET to. */
const rotated = 'canary-jwt-rotation-K4v8';

const auditLines = async () =>
  (await readFile(join(work, 'state', 'default', 'audit.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { argv: string[]; exitCode: number });

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
  fixture = await createEcsFixture(moto.env);
  work = await mkdtemp(join(tmpdir(), 'membrane-install-'));
  // No execution role named: the installer makes one for this deployment alone (the recommended way).
  const answers = answersFor(fixture);
  const { executionRoleArn: _made, ...awsBlock } = answers.aws;
  await writeFile(join(work, 'answers.json'), JSON.stringify({ ...answers, aws: awsBlock }));
  proxy = await startFaultProxy(moto.endpoint);
  env = { ...proxy.env(moto.env, { botocoreRetries: true }), ...CANARY_SECRETS, CREATE_MEMBRANE_DEPLOY_POLL_MS: '200' };
  const started = Date.now();
  first = await runCli(['--config', join(work, 'answers.json'), '--yes', '--state-dir', join(work, 'state')], env);
  firstSeconds = (Date.now() - started) / 1000;
}, 300_000);

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('install on AWS ECS against moto', () => {
  it('exits 0 once every service is healthy', () => {
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain('7/7 healthy');
    console.info(`full install: ${firstSeconds.toFixed(1)} s`);
  });

  it('reviews the resources as the cloud describes them: how each subnet leaves, which listener rule sends each host', () => {
    const line = (label: string) => first.stdout.split('\n').find((text) => text.startsWith(`  ${label} `))?.replace(/^ {2}\S+( \S+)? +/, '');
    expect(first.stdout).toContain('Resources it will use (yours, as the cloud describes them):');
    expect(line('Subnets')).toMatch(new RegExp(`^${fixture.subnets.join(', ')} public \\(igw-[0-9a-f]+\\) in ${fixture.vpcId}; tasks get a public IP$`));
    // The fixture's listener: api by default, ui and console by host header.
    expect(line('Target groups')).toBe('api → membrane-api on membrane-alb: HTTP:80 default; ui → membrane-ui on membrane-alb: HTTP:80 host ui.example.com; '
      + 'console → membrane-console on membrane-alb: HTTP:80 host console.example.com');
  });

  it('creates the seven services in the guide order, each as specified', async () => {
    const { serviceArns } = await aws(moto.env, ['ecs', 'list-services', '--cluster', fixture.cluster]);
    expect(serviceArns).toHaveLength(7);
    // Through the proxy, which keeps enableExecuteCommand as ECS does (moto drops it).
    const { services } = await aws(proxy.env(moto.env), ['ecs', 'describe-services', '--cluster', fixture.cluster, '--services', ...SERVICES.map((s) => `membrane-${s.id}`)]);
    for (const spec of SERVICES) {
      const service = services.find((s: { serviceName: string }) => s.serviceName === `membrane-${spec.id}`);
      expect(service, spec.id).toBeDefined();
      expect(service.status).toBe('ACTIVE');
      expect(service.desiredCount).toBeGreaterThanOrEqual(2);
      expect(service.launchType).toBe('FARGATE');
      expect(service.enableExecuteCommand, spec.id).toBe(true);
      expect(service.networkConfiguration.awsvpcConfiguration.subnets).toEqual(fixture.subnets);
      // moto does not keep deploymentConfiguration; the plan test checks the circuit breaker in the document.
      const targetGroup = spec.subdomain ? fixture.targetGroups[spec.subdomain] : undefined;
      expect(service.loadBalancers ?? [], spec.id).toEqual(targetGroup ? [{ targetGroupArn: targetGroup, containerName: spec.id, containerPort: 5000 }] : []);
      expect((service.serviceRegistries ?? []).length, spec.id).toBe(spec.exposure === 'internal' ? 1 : 0);
    }
  });

  it('registers task definitions with env, mode flags, secrets only as valueFrom, registry credentials and logs', async () => {
    const { SecretList } = await aws(moto.env, ['secretsmanager', 'list-secrets']);
    const arnOf = (name: string) => SecretList.find((s: { Name: string }) => s.Name === name)?.ARN;
    expect(SecretList.map((s: { Name: string }) => s.Name).sort()).toEqual(
      ['membrane/encryption-secret', 'membrane/jwt-secret', 'membrane/mongo-uri', 'membrane/redis-uri', 'membrane/registry-credentials'],
    );
    for (const spec of SERVICES) {
      const { taskDefinition } = await aws(moto.env, ['ecs', 'describe-task-definition', '--task-definition', `membrane-${spec.id}`]);
      expect(taskDefinition.revision, spec.id).toBe(1);
      expect(taskDefinition.requiresCompatibilities).toEqual(['FARGATE']);
      expect(taskDefinition.networkMode).toBe('awsvpc');
      const [container] = taskDefinition.containerDefinitions;
      const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(container.image).toBe(`harbor.integration.app/${spec.image}:2025-09-19`);
      expect(container.portMappings[0].containerPort).toBe(5000);
      expect(env.PORT).toBe('5000');
      for (const flag of ['IS_API', 'IS_INSTANT_TASKS_WORKER', 'IS_QUEUED_TASKS_WORKER', 'IS_ORCHESTRATOR']) {
        expect(env[flag], `${spec.id} ${flag}`).toBe(flag === spec.modeFlag ? '1' : undefined);
      }
      expect(leakedCanaries(JSON.stringify(container))).toEqual([]);
      expect(container.repositoryCredentials.credentialsParameter).toBe(arnOf('membrane/registry-credentials'));
      expect(container.logConfiguration.logDriver).toBe('awslogs');
      expect(container.logConfiguration.options['awslogs-group']).toBe('/ecs/membrane');
      const secrets = Object.fromEntries((container.secrets ?? []).map((s: { name: string; valueFrom: string }) => [s.name, s.valueFrom]));
      if (spec.image === 'core/api') {
        expect(env.BASE_URI).toBe('https://api.example.com');
        expect(env.CUSTOM_CODE_RUNNER_URI).toBe('http://custom-code-runner.membrane.internal:5000');
        expect(env.STORAGE_PROVIDER).toBe('s3');
        // Pinned: ARN, no json key, no stage, the version id (ECS's ARN:json-key:version-stage:version-id).
        const pinned = Object.fromEntries(Object.entries(secrets).map(([name, valueFrom]) => [name, (valueFrom as string).split(':').slice(0, -3).join(':')]));
        expect(pinned).toEqual({
          SECRET: arnOf('membrane/jwt-secret'),
          ENCRYPTION_SECRET: arnOf('membrane/encryption-secret'),
          MONGO_URI: arnOf('membrane/mongo-uri'),
          REDIS_URI: arnOf('membrane/redis-uri'),
        });
        for (const valueFrom of Object.values(secrets) as string[]) expect(valueFrom).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:membrane\/[a-z-]+-[A-Za-z0-9]{6}:::[0-9a-f-]{36}$/);
        for (const name of Object.keys(secrets)) expect(env[name]).toBeUndefined();
      } else {
        expect(secrets).toEqual({});
      }
    }
    const stored = await aws(moto.env, ['secretsmanager', 'get-secret-value', '--secret-id', 'membrane/registry-credentials']);
    expect(JSON.parse(stored.SecretString)).toEqual({ username: 'robot$core+acme', password: CANARY_SECRETS.MEMBRANE_REGISTRY_PASSWORD });
    const mongo = await aws(moto.env, ['secretsmanager', 'get-secret-value', '--secret-id', 'membrane/mongo-uri']);
    expect(mongo.SecretString).toBe(CANARY_SECRETS.MEMBRANE_MONGO_URI);
    // The version the engine pins is the one that holds the value.
    const { taskDefinition: api } = await aws(moto.env, ['ecs', 'describe-task-definition', '--task-definition', 'membrane-api']);
    expect(api.containerDefinitions[0].secrets.find((s: { name: string }) => s.name === 'MONGO_URI').valueFrom).toBe(`${mongo.ARN}:::${mongo.VersionId}`);
    const { logGroups } = await aws(moto.env, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/ecs/membrane']);
    expect(logGroups.map((g: { logGroupName: string }) => g.logGroupName)).toEqual(['/ecs/membrane']);
  });

  it('gives each task only the access it needs: its own execution role, the task role for the engine alone', async () => {
    const { SecretList } = await aws(moto.env, ['secretsmanager', 'list-secrets']);
    const [{ Role }, { AttachedPolicies }, inline, execOnly, execOnlyAttached, execOnlyPolicy] = await Promise.all([
      aws(moto.env, ['iam', 'get-role', '--role-name', 'membrane-execution']),
      aws(moto.env, ['iam', 'list-attached-role-policies', '--role-name', 'membrane-execution']),
      aws(moto.env, ['iam', 'get-role-policy', '--role-name', 'membrane-execution', '--policy-name', 'membrane-read-secrets']),
      aws(moto.env, ['iam', 'get-role', '--role-name', 'membrane-exec-only']),
      aws(moto.env, ['iam', 'list-attached-role-policies', '--role-name', 'membrane-exec-only']),
      aws(moto.env, ['iam', 'get-role-policy', '--role-name', 'membrane-exec-only', '--policy-name', 'membrane-ecs-exec']),
    ]);
    expect(JSON.stringify(Role.AssumeRolePolicyDocument)).toContain('ecs-tasks.amazonaws.com');
    expect(Role.Tags).toEqual([{ Key: 'membrane:deployment', Value: 'default' }]);
    expect(AttachedPolicies.map((p: { PolicyArn: string }) => p.PolicyArn)).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy']);
    const [statement] = inline.PolicyDocument.Statement;
    expect(statement.Action).toBe('secretsmanager:GetSecretValue');
    expect([...statement.Resource].sort()).toEqual(SecretList.map((s: { ARN: string }) => s.ARN).sort());
    // The operator's execution role was not touched.
    const { PolicyNames } = await aws(moto.env, ['iam', 'list-role-policies', '--role-name', 'ecsTaskExecutionRole']);
    expect(PolicyNames).toEqual([]);

    for (const spec of SERVICES) {
      const { taskDefinition } = await aws(moto.env, ['ecs', 'describe-task-definition', '--task-definition', `membrane-${spec.id}`]);
      expect(taskDefinition.executionRoleArn, spec.id).toBe(Role.Arn);
      // The runner runs customers' code and the frontends call no AWS API: their role allows ECS Exec alone.
      expect(taskDefinition.taskRoleArn, spec.id).toBe(spec.image === 'core/api' ? fixture.taskRoleArn : execOnly.Role.Arn);
    }
    expect(execOnlyAttached.AttachedPolicies).toEqual([]);
    expect(execOnlyPolicy.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    }]);
  });

  it('creates the services in the guide\'s waves, each wave healthy before the next', async () => {
    const lines = await auditLines();
    const creates = lines.filter((line) => line.argv[1] === 'ecs' && line.argv[2] === 'create-service');
    // The service name is inside the --cli-input-json document; its file name says which one it is.
    const order = creates.map((line) => line.argv.find((arg) => arg.startsWith('file://services/'))!.replace('file://services/', '').replace('.json', ''));
    expect([...order].sort()).toEqual(SERVICES.map((s) => s.id).sort());
    // The services of a wave are created together (in any order), a wave only after the one before.
    const waves = order.map((id) => SERVICES.find((s) => s.id === id)!.wave);
    expect(waves).toEqual([...waves].sort());
    const firstApiCreate = lines.findIndex((line) => line.argv.some((arg) => arg === 'file://services/api.json'));
    const pollsBeforeApi = lines.slice(0, firstApiCreate).filter((line) => line.argv[2] === 'describe-services' && line.argv.length > 12);
    expect(pollsBeforeApi.length).toBeGreaterThanOrEqual(2);
  });

  it('reports every service healthy in status --json, naming the audit log', async () => {
    const status = await runCli(['status', '--json', '--state-dir', join(work, 'state')], env);
    expect(status.exitCode).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.auditLog).toBe(join(work, 'state', 'default', 'audit.log'));
    expect(Object.keys(report.services)).toEqual(SERVICES.map((s) => s.id));
    for (const service of Object.values(report.services) as { state: string }[]) expect(service.state).toBe('healthy');
  });

  it('upgrade with one secret rotated: says who restarts before it changes anything, then rolls exactly the readers', async () => {
    const taskDefinitionOf = async () => Object.fromEntries((await aws(moto.env, ['ecs', 'describe-services', '--cluster', fixture.cluster, '--services', ...SERVICES.map((s) => `membrane-${s.id}`)]))
      .services.map((s: { serviceName: string; taskDefinition: string }) => [s.serviceName.replace('membrane-', ''), s.taskDefinition.split('/').pop()]));
    const before = await taskDefinitionOf();
    const since = (await auditLines()).length;
    const run = await runCli(['upgrade', '--image-tag', '2025-09-19', '--config', join(work, 'answers.json'), '--yes', '--state-dir', join(work, 'state')], { ...env, MEMBRANE_SECRET: rotated });
    // From here on the deployment's MEMBRANE_SECRET is the rotated one: the next run, with it, must change nothing.
    env = { ...env, MEMBRANE_SECRET: rotated };
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const engine = ['orchestrator', 'queued-worker', 'instant-worker', 'api'];
    // The review, before the first step starts: which secret, who restarts, and that running containers keep the old value till then.
    const review = run.stdout.slice(0, run.stdout.indexOf('\n→ '));
    expect(review).toContain(`  MEMBRANE_SECRET: restarts ${engine.join(', ')}\nRunning containers keep the old value until they restart; the other services are not touched.`);
    expect(review).not.toContain('MEMBRANE_MONGO_URI:');
    expect(run.stdout).toContain(`MEMBRANE_SECRET: a new version; ${engine.join(', ')} restarted to read it.`);
    const calls = (await auditLines()).slice(since).map((line) => line.argv);
    const changing = calls.filter((argv) => /^(create|register|put|update|delete|restore|attach)-/.test(argv[2] ?? ''));
    const document = (argv: string[]) => argv.find((arg) => arg.startsWith('file://'))!.replace('file://', '');
    const made = changing.map((argv) => `${argv[2]} ${argv[2] === 'put-secret-value' ? argv[argv.indexOf('--secret-id') + 1]!.split(':').pop() : document(argv)}`);
    // The task definitions register concurrently (any order); the services roll in the guide's waves (the workers together, then the api).
    const [put, ...updates] = made.filter((call) => !call.startsWith('register-'));
    expect(put).toMatch(/^put-secret-value membrane\/jwt-secret-\w{6}$/);
    expect([...updates.slice(0, 3)].sort()).toEqual(['instant-worker', 'orchestrator', 'queued-worker'].map((id) => `update-service services/${id}.update.json`));
    expect(updates.slice(3)).toEqual(['update-service services/api.update.json']);
    expect(made.filter((call) => call.startsWith('register-')).sort()).toEqual(engine.map((id) => `register-task-definition task-definitions/${id}.json`).sort());
    // From the cloud: a new revision for each reader, pinned to the version that holds the new value; the others untouched.
    const after = await taskDefinitionOf();
    for (const spec of SERVICES) expect(after[spec.id], spec.id).toBe(engine.includes(spec.id) ? `membrane-${spec.id}:2` : before[spec.id]);
    const { taskDefinition } = await aws(moto.env, ['ecs', 'describe-task-definition', '--task-definition', 'membrane-queued-worker:2']);
    const valueFrom: string = taskDefinition.containerDefinitions[0].secrets.find((s: { name: string }) => s.name === 'SECRET').valueFrom;
    const [arn, version] = [valueFrom.split(':').slice(0, -3).join(':'), valueFrom.split(':').pop()!];
    expect((await aws(moto.env, ['secretsmanager', 'get-secret-value', '--secret-id', arn, '--version-id', version])).SecretString).toBe(rotated);
    // The execution role still reads it: a version's resource is its secret's ARN.
    const inline = await aws(moto.env, ['iam', 'get-role-policy', '--role-name', 'membrane-execution', '--policy-name', 'membrane-read-secrets']);
    expect(inline.PolicyDocument.Statement[0].Resource).toContain(arn);
    expect(run.stdout + run.stderr).not.toContain(rotated);
  }, 240_000);

  it('registers the autoscaling autoscaling.md gives ECS: targets with the answers\' min/max, the docs\' target tracking', async () => {
    const ids = SERVICES.map((spec) => `service/${fixture.cluster}/membrane-${spec.id}`);
    const { ScalableTargets } = await aws(moto.env, ['application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs', '--resource-ids', ...ids]);
    const ranges = Object.fromEntries((ScalableTargets as { ResourceId: string; ScalableDimension: string; MinCapacity: number; MaxCapacity: number }[])
      .map((t) => [t.ResourceId.split('/').pop()!.replace(/^membrane-/, ''), `${t.ScalableDimension} ${t.MinCapacity}-${t.MaxCapacity}`]));
    // The queued worker and the runner scale on Prometheus metrics only; the orchestrator never: none of them has a target.
    expect(ranges).toEqual({ 'instant-worker': 'ecs:service:DesiredCount 2-20', api: 'ecs:service:DesiredCount 2-10', ui: 'ecs:service:DesiredCount 2-5', console: 'ecs:service:DesiredCount 2-5' });
    const policy = async (service: string) => {
      // moto ignores --policy-names: filtered here.
      const { ScalingPolicies } = await aws(moto.env, ['application-autoscaling', 'describe-scaling-policies', '--service-namespace', 'ecs', '--resource-id', `service/${fixture.cluster}/membrane-${service}`]);
      return (ScalingPolicies as { PolicyName: string; PolicyType: string; TargetTrackingScalingPolicyConfiguration: unknown }[]).map(({ PolicyName, PolicyType, TargetTrackingScalingPolicyConfiguration }) => ({ PolicyName, PolicyType, TargetTrackingScalingPolicyConfiguration }));
    };
    const [api, worker] = await Promise.all([policy('api'), policy('instant-worker')]);
    expect(api).toEqual([{ PolicyName: 'membrane-api-cpu-scaling', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 60, ScaleInCooldown: 300 } }]);
    expect(worker).toEqual([{ PolicyName: 'membrane-instant-worker-queue-scaling', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 5, CustomizedMetricSpecification: { MetricName: 'JobsPerWorker', Namespace: 'Membrane', Statistic: 'Average' }, ScaleOutCooldown: 60, ScaleInCooldown: 300 } }]);
  });

  it('a second run (with the rotated secret) creates nothing and changes nothing', async () => {
    const before = (await auditLines()).length;
    const second = await runCli(['--config', join(work, 'answers.json'), '--yes', '--state-dir', join(work, 'state')], env);
    expect(second.exitCode).toBe(0);
    const calls = (await auditLines()).slice(before);
    const changing = calls.filter((line) => /^(create|register|put|update|delete|restore|attach)-/.test(line.argv[2] ?? ''));
    expect(changing.map((line) => line.argv.slice(0, 3).join(' '))).toEqual([]);
    // The seven, and the second revisions of the four readers of the rotated secret.
    const { taskDefinitionArns } = await aws(moto.env, ['ecs', 'list-task-definitions']);
    expect(taskDefinitionArns).toHaveLength(11);
    const { serviceArns } = await aws(moto.env, ['ecs', 'list-services', '--cluster', fixture.cluster]);
    expect(serviceArns).toHaveLength(7);
    expect(leakedCanaries(second.stdout + second.stderr)).toEqual([]);
    expect(second.stdout + second.stderr).not.toContain(rotated);
  });

  describe('diff: the cloud against the answers, reads only', () => {
    const diff = (args: string[] = [], extra: Record<string, string> = {}) =>
      runCli(['diff', '--state-dir', join(work, 'state'), ...args], { ...env, ...extra });
    /** Calls of a diff run that are not reads: there must be none. */
    const changingSince = async (before: number) => (await auditLines()).slice(before).map((line) => line.argv.slice(0, 3).join(' '))
      .filter((call) => !/ (describe|get|list)-/.test(call));

    it('exit 0 right after the install, every step the same, only reads made', async () => {
      const before = (await auditLines()).length;
      const run = await diff(['--json'], { MEMBRANE_SECRET: '', MEMBRANE_ENCRYPTION_SECRET: '', MEMBRANE_MONGO_URI: '', MEMBRANE_REDIS_URI: '', MEMBRANE_REGISTRY_PASSWORD: '' });
      expect(run.stderr).toBe('');
      expect(run.exitCode, run.stdout).toBe(0);
      const document = JSON.parse(run.stdout);
      expect(document).toMatchObject({ name: 'default', cloud: 'aws', equal: true, differences: 0 });
      expect(document.steps).toHaveLength(27);
      expect(document.notes).toEqual(['Secret values were not compared: set the MEMBRANE_* variables to compare them too.']);
      expect(await changingSince(before)).toEqual([]);
    });

    it('exit 1 after a change made behind its back (desired count), naming it; a rotated secret differs in its words, never its value', async () => {
      await aws(moto.env, ['ecs', 'update-service', '--cluster', fixture.cluster, '--service', 'membrane-queued-worker', '--desired-count', '1']);
      try {
        const before = (await auditLines()).length;
        const run = await diff([], { MEMBRANE_SECRET: 'canary-jwt-rotated-Z8' });
        expect(run.exitCode, run.stdout + run.stderr).toBe(1);
        expect(run.stdout).toContain('  ≠ ECS service membrane-queued-worker: desired count 1 → 2');
        expect(run.stdout).toMatch(/ {6}would run: aws ecs update-service --cli-input-json file:\/\/services\/queued-worker.update.json --region us-east-1/);
        expect(run.stdout).toContain("  ≠ Secret membrane/jwt-secret: the stored value is not MEMBRANE_SECRET's");
        expect(run.stdout).toContain('  = 25 other steps match (--verbose lists them)');
        expect(run.stdout).toContain('2 of 27 differ. Put the answers back in place with: create-membrane-deploy install --name default --state-dir');
        expect(leakedCanaries(run.stdout + run.stderr)).toEqual([]);
        expect(run.stdout + run.stderr).not.toContain('canary-jwt-rotated-Z8');
        expect(await changingSince(before)).toEqual([]);
        // A new image tag is what an upgrade would change: every task definition, then every service that runs the new revision.
        const upgrade = await diff(['--image-tag', '2025-10-01', '--json']);
        expect(upgrade.exitCode).toBe(1);
        const changed = JSON.parse(upgrade.stdout).steps.filter((step: { status: string }) => step.status !== 'same');
        expect(changed.map((step: { id: string }) => step.id)).toEqual([...SERVICES.map((spec) => `task-definition:${spec.id}`), ...SERVICES.map((spec) => `service:${spec.id}`)]);
        expect(changed.find((step: { id: string }) => step.id === 'service:api')).toMatchObject({ status: 'missing' });
      } finally {
        await aws(moto.env, ['ecs', 'update-service', '--cluster', fixture.cluster, '--service', 'membrane-queued-worker', '--desired-count', '2']);
      }
    });

    it('exit 2 when there is nothing to compare, or the answers are wrong', async () => {
      const none = await runCli(['diff', '--name', 'nothing', '--state-dir', join(work, 'state')], env);
      expect(none.exitCode).toBe(2);
      expect(none.stderr).toContain('No deployment named "nothing" is recorded');
      const bad = await diff(['--image-tag', 'no tag']);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/imageTag/);
    });
  });

  it('ends with the load balancer\'s address, the CNAME records and what TLS still needs, read again on the next run', async () => {
    const { domain } = answersFor(fixture);
    const hosts = ['api', 'ui', 'console'].map((service) => `${service}.${domain}`);
    const { LoadBalancers } = await aws(moto.env, ['elbv2', 'describe-load-balancers', '--load-balancer-arns', fixture.loadBalancerArn]);
    const target = LoadBalancers[0].DNSName as string;
    const report = JSON.parse((await runCli(['status', '--json', '--state-dir', join(work, 'state')], env)).stdout);
    expect(report.endpoints.services.map((e: { host: string; target: string; tls: { ok: boolean } }) => [e.host, e.target, e.tls.ok])).toEqual(hosts.map((host) => [host, target, false]));
    expect(report.endpoints.records).toEqual(hosts.map((name) => ({ name, type: 'CNAME', value: target })));
    // The fixture's balancer listens on HTTP only: the end screen says what TLS needs, in AWS's commands.
    // The three hosts share the balancer and its TLS state: one line.
    expect(first.stdout).toContain(`${hosts.join(', ')}: on the platform at ${target}; TLS: not yet: `);
    expect(first.stdout).toContain(`aws acm request-certificate --domain-name '*.${domain}' --validation-method DNS --region ${fixture.region}`);
    expect(first.stdout).toContain(`aws elbv2 create-listener --load-balancer-arn ${fixture.loadBalancerArn} --protocol HTTPS --port 443`);
    expect(first.stdout).toContain(`curl -X POST https://api.${domain}/auth/register`);
    expect(first.stdout).toContain(`Once the records exist, check DNS, TLS and health end to end: create-membrane-deploy verify --name default --state-dir ${join(work, 'state')} --config ${join(work, 'answers.json')}`);

    // verify holds each host to the address the install read: a CNAME to another balancer is named as such.
    const resolve = { [`api.${domain}`]: 'old-balancer.example.net', 'old-balancer.example.net': '127.0.0.1' };
    const verified = await runCli(['verify', '--json', '--state-dir', join(work, 'state')], { ...env, CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: JSON.stringify(resolve) });
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(1);
    const api = JSON.parse(verified.stdout).hosts.find((host: { host: string }) => host.host === `api.${domain}`);
    expect(api.checks).toHaveLength(1);
    expect(api.checks[0]).toMatchObject({ check: 'dns', ok: false });
    expect(JSON.stringify(api.checks[0])).toContain(target);

    // An HTTPS listener with a certificate for the names, still being validated: the next run says so.
    const { CertificateArn } = await aws(moto.env, ['acm', 'request-certificate', '--domain-name', `*.${domain}`, '--validation-method', 'DNS']);
    await aws(moto.env, ['elbv2', 'create-listener', '--load-balancer-arn', fixture.loadBalancerArn, '--protocol', 'HTTPS', '--port', '443',
      '--certificates', `CertificateArn=${CertificateArn}`, '--default-actions', `Type=forward,TargetGroupArn=${fixture.targetGroups.api}`]);
    const again = await runCli(['--config', join(work, 'answers.json'), '--yes', '--state-dir', join(work, 'state')], env);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`${hosts.join(', ')}: on the platform at ${target}; TLS: not yet: certificate *.${domain} is PENDING_VALIDATION`);
    expect(again.stdout).not.toContain('aws elbv2 create-listener');
  });

  it('with --dns-zone: creates the CNAME records in the Route 53 zone once, never over another record, then checks the hosts', async () => {
    const { domain } = answersFor(fixture);
    const hosts = ['api', 'ui', 'console'].map((service) => `${service}.${domain}`);
    const { LoadBalancers } = await aws(moto.env, ['elbv2', 'describe-load-balancers', '--load-balancer-arns', fixture.loadBalancerArn]);
    const target = LoadBalancers[0].DNSName as string;
    // No DNS from the tests: every name "does not resolve" (the verify knob), so the check's failure is seen and no resolver is asked.
    const zonedEnv = { ...env, CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE: '{}' };
    const args = (zone: string) => ['--config', join(work, 'answers.json'), '--yes', '--state-dir', join(work, 'state'), '--dns-zone', zone];

    const missing = await runCli(args(`other-${domain}`), zonedEnv);
    expect(missing.exitCode, missing.stdout + missing.stderr).toBe(2);
    expect(missing.stdout).toContain(`no public Route 53 hosted zone named other-${domain} in this account`);

    const { HostedZone } = await aws(moto.env, ['route53', 'create-hosted-zone', '--name', domain, '--caller-reference', 'membrane-install-test']);
    const records = async () => ((await aws(moto.env, ['route53', 'list-resource-record-sets', '--hosted-zone-id', HostedZone.Id])).ResourceRecordSets as { Name: string; Type: string; ResourceRecords: { Value: string }[] }[])
      .filter((set) => set.Type === 'CNAME').map((set) => [set.Name.replace(/\.$/, ''), set.ResourceRecords[0]!.Value]);
    const zoned = await runCli(args(domain), zonedEnv);
    expect(zoned.exitCode, zoned.stdout + zoned.stderr).toBe(0);
    expect(await records()).toEqual(hosts.map((host) => [host, target]).sort());
    expect(zoned.stdout).toContain(`DNS records, kept by the installer in Route 53 hosted zone ${domain}:`);
    expect(zoned.stdout).toContain('Checking each public host as users will reach it:');
    expect(zoned.stdout).toContain(`✖ api.${domain}`);
    expect(zoned.stdout).toContain('New records can take minutes to reach every resolver; check again with: create-membrane-deploy verify');

    // Again: nothing to write. A record the installer did not make is never overwritten.
    const before = (await auditLines()).length;
    expect((await runCli(args(domain), zonedEnv)).exitCode).toBe(0);
    expect((await auditLines()).slice(before).filter((line) => line.argv[2] === 'change-resource-record-sets')).toEqual([]);
    const batch = (value: string, action: string) => JSON.stringify({ Changes: [{ Action: action, ResourceRecordSet: { Name: hosts[1], Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: value }] } }] });
    await aws(moto.env, ['route53', 'change-resource-record-sets', '--hosted-zone-id', HostedZone.Id, '--change-batch', batch('legacy-ui.example.net', 'UPSERT')]);
    const clash = await runCli(args(domain), zonedEnv);
    expect(clash.exitCode, clash.stdout + clash.stderr).toBe(1);
    expect(clash.stdout).toContain(`${hosts[1]} CNAME is legacy-ui.example.net, not ${target}. The installer does not overwrite records it did not make`);
    expect(await records()).toContainEqual([hosts[1], 'legacy-ui.example.net']);
    await aws(moto.env, ['route53', 'change-resource-record-sets', '--hosted-zone-id', HostedZone.Id, '--change-batch', batch(target, 'UPSERT')]);
  });

  it('never leaks a secret to the terminal, the audit log or the state directory', async () => {
    expect(leakedCanaries(first.stdout + first.stderr)).toEqual([]);
    const files = await readTree(join(work, 'state'));
    expect(files.size).toBeGreaterThanOrEqual(2);
    for (const [path, content] of files) expect([...leakedCanaries(content), ...(content.includes(rotated) ? [rotated] : [])], path).toEqual([]);
  });
});
