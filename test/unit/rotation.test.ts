// Secret rotation as the review and the summary tell it, from the AWS steps and a scripted CLI.
import { describe, expect, it } from 'vitest';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { rotatedSecrets, rotatingSecrets, rotationReviewLines, rotationSummaryLines } from '../../source/commands/rotation.js';
import { CANARY, awsSettings, scriptedRunner } from './fixtures.js';

const ENGINE = 'orchestrator, queued-worker, instant-worker, api';

describe('rotatingSecrets: which given values differ from the stored ones, with reads only', () => {
  it('names the secret whose stored value differs, and leaves out those that match or were not given', async () => {
    const settings = awsSettings();
    const { runner, calls } = scriptedRunner((argv) => {
      if (argv[2] === 'list-secrets') {
        const names = argv[argv.indexOf('--filters') + 1]!.replace('Key=name,Values=', '').split(',');
        return { SecretList: names.map((name) => ({ Name: name, ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`, SecretVersionsToStages: { v1: ['AWSCURRENT'] } })) };
      }
      const id = argv[argv.indexOf('--secret-id') + 1]!;
      // The stored jwt secret is an older value; the stored MongoDB URI is the one given.
      return { value: id.includes('jwt-secret') ? 'an older value' : CANARY.mongoUri, version: 'v1' };
    });
    const keys = await rotatingSecrets(awsSteps(settings), runner, {}, { secret: CANARY.secret, mongoUri: CANARY.mongoUri });
    expect(keys).toEqual(['secret']);
    // Only the given secrets were looked at, and nothing was written.
    // One list-secrets is the first look of every secret step.
    expect(calls.map((argv) => argv[2]).sort()).toEqual(['get-secret-value', 'get-secret-value', 'list-secrets']);
  });
});

describe('what a person reads', () => {
  const settings = awsSettings();

  it('the review names each rotating secret and who restarts, and that running containers keep the old value', () => {
    expect(rotationReviewLines(settings, [])).toEqual([]);
    expect(rotationReviewLines(settings, ['secret', 'registryPassword'])).toEqual([
      'Secrets with a new value (each gets a new version; only the services that read it restart, in a rolling update):',
      `  MEMBRANE_SECRET: restarts ${ENGINE}`,
      '  MEMBRANE_REGISTRY_PASSWORD: no service restarts (the platform reads it only to pull an image; the next pull uses it)',
      'Running containers keep the old value until they restart; the other services are not touched.',
      '',
    ]);
  });

  it('the summary names the secrets whose version the run changed, from the outputs before and after', () => {
    const before = { 'secret:secret:version': 'v1', 'secret:mongoUri:version': 'm1' };
    const after = { 'secret:secret:version': 'v2', 'secret:mongoUri:version': 'm1', 'secret:redisUri:version': 'r1' };
    // A secret seen for the first time (no version before) is no rotation.
    expect(rotatedSecrets(settings, before, after)).toEqual(['secret']);
    expect(rotationSummaryLines(settings, ['secret'])).toEqual([`MEMBRANE_SECRET: a new version; ${ENGINE} restarted to read it.`]);
  });
});
