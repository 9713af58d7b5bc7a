// A batched first look: one read for several steps, each key's answer given once.
import { describe, expect, it } from 'vitest';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { firstLook } from '../../source/clouds/first-look.js';
import { CliError } from '../../source/exec/errors.js';
import type { Runner } from '../../source/exec/runner.js';
import { CANARY, awsSettings, scriptedRunner } from './fixtures.js';

const runner = {} as Runner;

describe('firstLook', () => {
  it('reads once for every key, gives each key its answer once, and null for what the batch does not have', async () => {
    let reads = 0;
    const look = firstLook(async () => {
      reads++;
      return new Map([['a', 1]]);
    });
    expect(await Promise.all([look('a', runner), look('b', runner)])).toEqual([{ found: 1 }, { found: null }]);
    // A second look at a key (a retry after a lost answer) must read for itself.
    expect(await look('a', runner)).toBeUndefined();
    expect(reads).toBe(1);
  });

  it('leaves every step to read alone when the batch read fails (a permission the user lacks)', async () => {
    const look = firstLook<number>(async () => {
      throw new CliError('access-denied', ['aws', 'secretsmanager', 'list-secrets'], 254, 'not authorized to perform: secretsmanager:ListSecrets');
    });
    expect(await look('a', runner)).toBeUndefined();
  });
});

describe('the AWS secret steps', () => {
  it('look with one list-secrets, and describe their own secret when ListSecrets is not allowed', async () => {
    const settings = awsSettings();
    const { runner: denied, calls } = scriptedRunner((argv) => {
      if (argv[2] === 'list-secrets') throw new CliError('access-denied', argv, 254, 'AccessDeniedException: not authorized to perform: secretsmanager:ListSecrets');
      if (argv[2] === 'describe-secret') return { ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${argv[argv.indexOf('--secret-id') + 1]}-AbCdEf`, VersionIdsToStages: { v1: ['AWSCURRENT'] } };
      return { value: CANARY.secret, version: 'v1' };
    });
    const step = awsSteps(settings).find((s) => s.id === 'secret:secret')!;
    const result = await step.apply({ runner: denied, outputs: { get: () => '' }, secrets: CANARY, progress: () => {}, stop: new AbortController().signal });
    expect(result.outcome).toBe('unchanged');
    expect(calls.map((argv) => argv[2])).toEqual(['list-secrets', 'describe-secret', 'get-secret-value']);
  });
});
