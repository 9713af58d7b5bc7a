// The AWS rules preflight and troubleshoot apply to what the cloud answers: which ingress rules
// let port 5000 in, which actions a role's policies allow, and when a rollout was rolled back.
import { describe, expect, it } from 'vitest';
import { missingActions, ECS_EXEC_ACTIONS } from '../../source/clouds/aws/iam-policies.js';
import { phaseOf } from '../../source/clouds/aws/observe.js';
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
