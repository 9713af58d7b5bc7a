// The AWS rules preflight and troubleshoot apply to what the cloud answers: which ingress rules
// let port 5000 in, which actions a role's policies allow, and when a rollout was rolled back.
import { describe, expect, it } from 'vitest';
import { healthCheckFindings, matcherAccepts, type TargetGroupHealthCheck } from '../../source/clouds/aws/health-checks.js';
import { missingActions, ECS_EXEC_ACTIONS } from '../../source/clouds/aws/iam-policies.js';
import { keepsFailing, observeAws, phaseOf, waitingFor } from '../../source/clouds/aws/observe.js';
import { awsSettings } from './fixtures.js';
import { allowsPort, cidrContains } from '../../source/clouds/aws/security-groups.js';
import type { Command } from '../../source/exec/command.js';
import type { Runner } from '../../source/exec/runner.js';

describe('security group rules', () => {
  const from = { groups: ['sg-tasks'], subnets: ['10.0.1.0/24', '10.0.2.0/24'] };

  it('lets the port in from a referenced group, all traffic, or a range holding every caller subnet', () => {
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 5000, ToPort: 5000, UserIdGroupPairs: [{ GroupId: 'sg-tasks' }] }], 5000, from)).toBe(true);
    expect(allowsPort([{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-tasks' }] }], 5000, from)).toBe(true);
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }], 5000, from)).toBe(true);
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 5000, ToPort: 5000, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }], 5000, from)).toBe(true);
  });

  it('does not for another port, another group, UDP, or a range missing one subnet', () => {
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: 'sg-tasks' }] }], 5000, from)).toBe(false);
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 5000, ToPort: 5000, UserIdGroupPairs: [{ GroupId: 'sg-other' }] }], 5000, from)).toBe(false);
    expect(allowsPort([{ IpProtocol: 'udp', FromPort: 5000, ToPort: 5000, UserIdGroupPairs: [{ GroupId: 'sg-tasks' }] }], 5000, from)).toBe(false);
    expect(allowsPort([{ IpProtocol: 'tcp', FromPort: 5000, ToPort: 5000, IpRanges: [{ CidrIp: '10.0.1.0/24' }] }], 5000, from)).toBe(false);
    expect(allowsPort([], 5000, from)).toBe(false);
  });

  it('compares IPv4 ranges by their prefix', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.1.0.0/24')).toBe(false);
    expect(cidrContains('10.0.1.0/24', '10.0.0.0/16')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '192.168.1.0/24')).toBe(true);
  });
});

describe('role policies', () => {
  /** Answers the IAM reads with the given inline and managed documents. */
  function iam(inline: Record<string, unknown>, managed: Record<string, unknown>): Runner {
    const answer = (argv: string[]): unknown => {
      const value = (flag: string) => argv[argv.indexOf(flag) + 1]!;
      switch (argv[2]) {
        case 'list-role-policies': return { PolicyNames: Object.keys(inline) };
        case 'list-attached-role-policies': return { AttachedPolicies: Object.keys(managed).map((PolicyArn) => ({ PolicyArn })) };
        case 'get-role-policy': return { PolicyDocument: inline[value('--policy-name')] };
        case 'get-policy': return { Policy: { DefaultVersionId: 'v3' } };
        case 'get-policy-version': return { PolicyVersion: { Document: value('--version-id') === 'v3' ? managed[value('--policy-arn')] : {} } };
        default: throw new Error(`unexpected ${argv.join(' ')}`);
      }
    };
    return { run: async (command: Command) => ({ stdout: JSON.stringify(answer(command.argv as string[])), stderr: '', exitCode: 0 }), backoff: async () => {} };
  }
  const allow = (Action: string | string[], Resource: string | string[] = '*') => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });

  it('finds the actions granted by inline and managed policies, wildcards included', async () => {
    const runner = iam({ s3: allow('s3:*', 'arn:aws:s3:::bucket/*'), exec: allow(['ssmmessages:Create*']) }, { 'arn:aws:iam::aws:policy/x': allow('SSMMessages:Open?ontrolChannel') });
    expect(await missingActions(runner, 'us-east-1', 'role', ECS_EXEC_ACTIONS)).toEqual(['ssmmessages:OpenDataChannel']);
  });

  it('ignores Deny statements and grants on other resources', async () => {
    const runner = iam({ deny: { Statement: [{ Effect: 'Deny', Action: 'ssmmessages:*', Resource: '*' }] }, scoped: allow('ssmmessages:*', 'arn:aws:ssm:us-east-1:1:x') }, {});
    expect(await missingActions(runner, 'us-east-1', 'role', ECS_EXEC_ACTIONS)).toEqual(ECS_EXEC_ACTIONS);
    expect(await missingActions(iam({ all: allow('*') }, {}), 'us-east-1', 'role', ECS_EXEC_ACTIONS)).toEqual([]);
  });
});

describe('rollouts the circuit breaker rolled back', () => {
  const td = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/membrane-api:${revision}`;
  const rolledBack = {
    serviceName: 'membrane-api', status: 'ACTIVE', desiredCount: 2, runningCount: 2, taskDefinition: td(1),
    deployments: [
      { status: 'PRIMARY', taskDefinition: td(1), rolloutState: 'COMPLETED' as const, desiredCount: 2, runningCount: 2 },
      { status: 'ACTIVE', taskDefinition: td(2), rolloutState: 'FAILED' as const, rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', desiredCount: 0, runningCount: 0 },
    ],
  };

  it('are failed, naming the revision gone back to, with or without the one just registered', () => {
    expect(phaseOf(rolledBack, td(2))).toMatchObject({ phase: 'failed', message: 'rolled back to membrane-api:1 (not membrane-api:2): ECS deployment circuit breaker: tasks failed to start.' });
    expect(phaseOf(rolledBack)).toMatchObject({ phase: 'failed', message: 'rolled back to membrane-api:1: ECS deployment circuit breaker: tasks failed to start.' });
    // Once the failed deployment is gone, only the revision tells.
    const settled = { ...rolledBack, deployments: [rolledBack.deployments[0]!], events: [{ message: '(service membrane-api) rolling back to deployment ecs-svc/1.' }] };
    expect(phaseOf(settled, td(2))).toMatchObject({ phase: 'failed', message: 'rolled back to membrane-api:1 (not membrane-api:2): (service membrane-api) rolling back to deployment ecs-svc/1.' });
  });

  it('are not confused with a completed rollout of the revision just registered', () => {
    const done = { ...rolledBack, taskDefinition: td(2), deployments: [{ ...rolledBack.deployments[0]!, taskDefinition: td(2) }] };
    expect(phaseOf(done, td(2)).phase).toBe('healthy');
    expect(phaseOf(done).phase).toBe('healthy');
  });
});

describe('a deployment whose tasks keep failing', () => {
  const td = 'arn:aws:ecs:us-east-1:123456789012:task-definition/membrane-api:1';
  const service = (failedTasks: number, rolloutState: 'IN_PROGRESS' | 'COMPLETED' = 'IN_PROGRESS') => ({
    serviceName: 'membrane-api', status: 'ACTIVE', desiredCount: 2, runningCount: 0, taskDefinition: td,
    deployments: [{ status: 'PRIMARY', taskDefinition: td, rolloutState, desiredCount: 2, runningCount: 0, failedTasks }],
    events: [{ message: '(service membrane-api) has started 2 tasks: (task a) (task b).' }],
  });

  it('is failed after two tasks in a row, not at the circuit breaker\'s three or the rollout timeout', () => {
    expect(phaseOf(service(0), td).phase).toBe('deploying');
    expect(phaseOf(service(1), td).phase).toBe('deploying');
    expect(phaseOf(service(2), td)).toMatchObject({ phase: 'failed', message: '2 tasks in a row stopped before they ran healthy' });
    expect(keepsFailing(service(3).deployments[0]!)).toBe(true);
    // ECS stops counting once a task ran: a finished deployment is not failing.
    expect(keepsFailing(service(2, 'COMPLETED').deployments[0]!)).toBe(false);
  });

  it('names why ECS stopped the tasks, asking only for the failing service', async () => {
    const calls: string[][] = [];
    const runner = {
      async run(command: { argv: string[] }) {
        calls.push(command.argv);
        const [, cli, operation] = command.argv;
        const answers: Record<string, unknown> = {
          'ecs describe-services': { services: [service(2)] },
          'ecs list-tasks': { taskArns: ['arn:aws:ecs:us-east-1:123456789012:task/membrane/t1'] },
          'ecs describe-tasks': { tasks: [{ group: 'service:membrane-api', stoppedReason: 'Essential container in task exited', containers: [{ exitCode: 1 }] }] },
        };
        return { stdout: JSON.stringify(answers[`${cli} ${operation}`]), stderr: '', exitCode: 0 };
      },
      backoff: async () => undefined,
    };
    const observations = await observeAws(awsSettings(), runner as never, { 'service:api:task-definition': td });
    expect(observations.find((o) => o.service === 'api')).toMatchObject({ phase: 'failed', message: '2 tasks in a row stopped before they ran healthy: Essential container in task exited' });
    expect(calls.map((argv) => argv.slice(1, 3).join(' '))).toEqual(['ecs describe-services', 'ecs list-tasks', 'ecs describe-tasks']);
    expect(calls[1]).toEqual(expect.arrayContaining(['--service-name', 'membrane-api', '--desired-status', 'STOPPED']));
  });
});

describe('what a rollout waits for', () => {
  const deployment = (status: string, runningCount: number, extra: Record<string, unknown> = {}) => ({ status, rolloutState: 'IN_PROGRESS' as const, desiredCount: 2, runningCount, ...extra });

  it('says it in the deployments\' counts: running, starting, failed, the old tasks still draining', () => {
    const primary = deployment('PRIMARY', 1, { pendingCount: 1 });
    expect(waitingFor(primary, [primary, deployment('ACTIVE', 2)])).toBe('1/2 running, 1 starting, draining 2 old tasks');
    const all = deployment('PRIMARY', 2);
    expect(waitingFor(all, [all])).toBe('2/2 running, waiting for health checks');
    const failing = deployment('PRIMARY', 0, { failedTasks: 1 });
    expect(waitingFor(failing, [failing])).toBe('0/2 running, 1 failed');
  });

  it('adds an event that is not routine (a placement or pull problem), and leaves routine ones out', () => {
    const primary = deployment('PRIMARY', 0, { pendingCount: 2 });
    expect(waitingFor(primary, [primary], '(service membrane-api) has started 2 tasks: (task a) (task b).')).toBe('0/2 running, 2 starting');
    expect(waitingFor(primary, [primary], '(service membrane-api) was unable to place a task. Reason: ResourceInitializationError: unable to pull secrets or registry auth'))
      .toBe('0/2 running, 2 starting — (service membrane-api) was unable to place a task. Reason: ResourceInitializationError: unable to pull secrets or registry auth');
  });
});

describe('target-group health checks against the guide', () => {
  const arn = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/membrane-api/abc';
  const guide: TargetGroupHealthCheck = {
    TargetGroupArn: arn, TargetGroupName: 'membrane-api', HealthCheckProtocol: 'HTTP', HealthCheckPort: 'traffic-port', HealthCheckPath: '/',
    HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2, UnhealthyThresholdCount: 3, Matcher: { HttpCode: '200' },
  };
  const fix = `aws elbv2 modify-target-group --target-group-arn ${arn} --health-check-protocol HTTP --health-check-port traffic-port --health-check-path / --healthy-threshold-count 2 --unhealthy-threshold-count 3 --health-check-timeout-seconds 5 --health-check-interval-seconds 30 --matcher HttpCode=200 --region us-east-1`;

  it("finds nothing in the guide's check, on traffic-port or on 5000", () => {
    expect(healthCheckFindings(guide, '/', 'us-east-1')).toEqual({ broken: [], differs: [], fix });
    expect(healthCheckFindings({ ...guide, HealthCheckPort: '5000' }, '/', 'us-east-1').broken).toEqual([]);
  });

  it('refuses what healthy tasks never pass: another path, no 200, HTTPS, another port', () => {
    const { broken } = healthCheckFindings({ ...guide, HealthCheckPath: '/health', Matcher: { HttpCode: '301-399' }, HealthCheckProtocol: 'HTTPS', HealthCheckPort: '8080' }, '/', 'us-east-1');
    expect(broken).toEqual([
      'health check path /health (the service answers 200 on /)',
      'success codes 301-399 (the service answers 200)',
      'health check protocol HTTPS (the containers serve plain HTTP)',
      'health check port 8080 (the containers listen on 5000)',
    ]);
    // The path is the service's own: the runner answers on /api/v2/health, not on /.
    expect(healthCheckFindings(guide, '/api/v2/health', 'eu-west-1').broken).toEqual(['health check path / (the service answers 200 on /api/v2/health)']);
    expect(healthCheckFindings(guide, '/api/v2/health', 'eu-west-1').fix).toContain('--health-check-path /api/v2/health');
  });

  it('passes thresholds, timings and extra success codes that work, saying how they differ', () => {
    const found = healthCheckFindings({ ...guide, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, HealthCheckTimeoutSeconds: 6, HealthCheckIntervalSeconds: 10, Matcher: { HttpCode: '200-299' } }, '/', 'us-east-1');
    expect(found.broken).toEqual([]);
    expect(found.differs).toEqual([
      'healthy threshold 5 (the guide: 2)',
      'unhealthy threshold 2 (the guide: 3)',
      'timeout 6 s (the guide: 5 s)',
      'interval 10 s (the guide: 30 s)',
      'success codes 200-299 (the guide: 200)',
    ]);
    expect(found.fix).toBe(fix);
  });

  it('reads success codes as AWS writes them: one, a list, a range', () => {
    expect(matcherAccepts('200')).toBe(true);
    expect(matcherAccepts('202,200')).toBe(true);
    expect(matcherAccepts('200-399')).toBe(true);
    expect(matcherAccepts('201-299')).toBe(false);
    expect(matcherAccepts('204')).toBe(false);
  });
});
