// diff runs the install's steps with a runner that lets only reads through: a change taken for a
// read would be made in the user's cloud, so every command the steps can make must count as a change.
import { describe, expect, it } from 'vitest';
import { CLOUD_MODULES } from '../../source/clouds/index.js';
import { isReadOnly, type Command } from '../../source/exec/command.js';
import type { Outputs } from '../../source/clouds/types.js';
import { awsSettings, azureSettings, gcpSettings } from './fixtures.js';

const placeholders: Outputs = { get: (key) => `<${key}>` };
const argv = (...words: string[]): Command => ({ argv: words });

describe('isReadOnly', () => {
  // Written apart from the code's list: the verbs of the three CLIs that change something.
  const WRITE = /^(create|update|delete|set|add|remove|deploy|enable|bind|restore|tag|add-iam-policy-binding|(set|add|remove)-record|(create|register|put|update|delete|attach|detach|restore|tag|change|authorize|associate)-[a-z-]+)$/;
  const verbs = (command: Command) => {
    const flag = command.argv.findIndex((arg, index) => index > 0 && (typeof arg !== 'string' || arg.startsWith('-')));
    return command.argv.slice(1, flag === -1 ? undefined : flag).filter((word): word is string => typeof word === 'string');
  };

  it.each([
    ['aws', () => awsSettings((raw) => (raw.dns = { zone: 'example.com' }))],
    ['azure', () => azureSettings((raw) => (raw.dns = { zone: 'example.com' }))],
    ['gcp', () => gcpSettings((raw) => (raw.dns = { zone: 'example.com' }))],
  ])('every command a %s step shows is a change exactly when it has a verb that changes', (_, settings) => {
    const s = settings();
    const commands = CLOUD_MODULES[s.answers.cloud].adapter(s as never).plan().flatMap((step) => step.preview(placeholders));
    const changes = commands.filter((command) => verbs(command).some((word) => WRITE.test(word)));
    expect(changes.length).toBeGreaterThan(10);
    for (const command of commands) expect(isReadOnly(command), command.argv.slice(0, 6).join(' ')).toBe(!changes.includes(command));
  });

  it('the reads of the three CLIs are reads', () => {
    for (const command of [
      argv('aws', 'ecs', 'describe-services', '--cluster', 'c'),
      argv('aws', 'secretsmanager', 'get-secret-value', '--secret-id', 'x'),
      argv('aws', 'resourcegroupstaggingapi', 'get-resources'),
      argv('aws', 'elbv2', 'describe-rules', '--listener-arn', 'x'),
      argv('gcloud', 'run', 'services', 'describe', 'membrane-api', '--region=us-central1'),
      argv('gcloud', 'secrets', 'versions', 'access', 'latest', '--secret=x'),
      argv('gcloud', 'beta', 'run', 'domain-mappings', 'list', '--region=r'),
      argv('gcloud', 'secrets', 'get-iam-policy', 'x'),
      argv('az', 'containerapp', 'show', '--name', 'x'),
      argv('az', 'role', 'assignment', 'list', '--all'),
    ]) expect(isReadOnly(command), command.argv.join(' ')).toBe(true);
  });

  it('a read verb after the first flag (a flag value, a name) does not make a change a read', () => {
    expect(isReadOnly(argv('aws', 'ecs', 'update-service', '--cluster', 'list'))).toBe(false);
    expect(isReadOnly(argv('az', 'containerapp', 'update', '--name', 'show'))).toBe(false);
    expect(isReadOnly(argv('gcloud', 'run', 'deploy', 'membrane-api', '--image=describe'))).toBe(false);
    expect(isReadOnly(argv('aws'))).toBe(false);
  });
});
