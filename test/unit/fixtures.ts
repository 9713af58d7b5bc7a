// Shared inputs for the unit tests: a complete AWS answers object, the settings derived
// from it, and secret values distinctive enough to grep for.
import { validateAnswers } from '../../source/answers/load.js';
import type { Answers, SecretKey } from '../../source/answers/schema.js';
import { deriveSettings, settingsFor, type SettingsFor } from '../../source/answers/settings.js';
import type { CloudEnvironment } from '../../source/membrane/env.js';
import { answersFor } from '../support/aws-fixture.js';
import { displayArgv } from '../../source/exec/command.js';
import type { Runner } from '../../source/exec/runner.js';

export const TARGET_GROUP = (service: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/membrane-${service}/0123456789abcdef`;

/** Raw answers as a file holds them; `any` keeps a test's edits terse. */
export type RawEdit = (raw: Record<string, any>) => void;

/** A fresh copy each call, so a test may change it freely. Private subnets: tasks get no public IP (the schema's default). */
export function awsAnswersRaw(): Record<string, any> {
  const raw = answersFor({
    region: 'us-east-1',
    cluster: 'membrane-cluster',
    vpcId: 'vpc-0123456789abcdef0',
    subnets: ['subnet-0123456789abcdef0'],
    securityGroups: ['sg-0123456789abcdef0'],
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    taskRoleArn: 'arn:aws:iam::123456789012:role/membrane-task-role',
    targetGroups: { api: TARGET_GROUP('api'), ui: TARGET_GROUP('ui'), console: TARGET_GROUP('console') },
    loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/membrane-alb/0123456789abcdef',
  });
  const { assignPublicIp: _public, ...aws } = raw.aws;
  return { ...raw, aws };
}

/** The raw answers with `edit` applied, validated. */
export function awsAnswers(edit: RawEdit = () => {}): Answers {
  const raw = awsAnswersRaw();
  edit(raw);
  return validateAnswers(raw);
}

export function awsSettings(edit?: RawEdit, name = 'default'): SettingsFor<'aws'> {
  return settingsFor(deriveSettings(name, awsAnswers(edit)), 'aws');
}

export const AUTH0 = { mode: 'auth0', auth0: { domain: 'acme-tenant.auth0.com', clientId: 'client-id-123' } };
export const SMTP = { mode: 'password', smtp: { host: 'smtp.example.com', user: 'mailer@example.com', from: 'noreply@example.com' } };

export const CLOUD_ENV: CloudEnvironment = {
  customCodeRunnerUri: 'http://custom-code-runner.membrane.internal:5000',
  storage: { STORAGE_PROVIDER: 's3', AWS_REGION: 'us-east-1' },
};

/** Valid secrets whose values occur nowhere else, so any occurrence in output is a leak. */
export const CANARY: Record<SecretKey, string> = {
  secret: 'canary-jwt-Q7vX2pLm9T',
  encryptionSecret: 'canary-enc-K3wR8nZs4B',
  mongoUri: 'mongodb+srv://canary-user:canary-mongo-pw-H6d@cluster0.example.net/membrane',
  redisUri: 'rediss://canary-redis-user:canary-redis-pw-J2f@redis.example.net:6379',
  registryPassword: 'canary-registry-pw-Y5tG1c',
  auth0ClientSecret: 'canary-auth0-secret-U8kE0a',
  smtpPassword: 'canary-smtp-pw-N4qW7h',
};

/** A complete Google Cloud Run answers object (a fresh copy each call). */
export function gcpAnswersRaw(): Record<string, any> {
  return {
    cloud: 'gcp',
    domain: 'example.com',
    imageTag: '2025-09-19',
    registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
    gcp: { project: 'acme-membrane', region: 'us-central1' },
  };
}

export function gcpSettings(edit: RawEdit = () => {}, name = 'default'): SettingsFor<'gcp'> {
  const raw = gcpAnswersRaw();
  edit(raw);
  return settingsFor(deriveSettings(name, validateAnswers(raw)), 'gcp');
}

/** A complete Azure Container Apps answers object (a fresh copy each call). */
export function azureAnswersRaw(): Record<string, any> {
  return {
    cloud: 'azure',
    domain: 'example.com',
    imageTag: '2025-09-19',
    registry: { server: 'harbor.integration.app', username: 'robot$core+acme' },
    azure: { subscription: 'acme-prod', resourceGroup: 'membrane-rg', environment: 'membrane-env', location: 'eastus', keyVault: 'membrane-vault' },
  };
}

export function azureSettings(edit: RawEdit = () => {}, name = 'default'): SettingsFor<'azure'> {
  const raw = azureAnswersRaw();
  edit(raw);
  return settingsFor(deriveSettings(name, validateAnswers(raw)), 'azure');
}

/** A runner that answers each command with `answer(argv)` as JSON, recording every argv it was given. */
export function scriptedRunner(answer: (argv: string[]) => unknown): { runner: Runner; calls: string[][] } {
  const calls: string[][] = [];
  const runner: Runner = {
    run: async (command) => {
      const argv = displayArgv(command);
      calls.push(argv);
      return { stdout: JSON.stringify(answer(argv)), stderr: '', exitCode: 0 };
    },
    backoff: async () => undefined,
  };
  return { runner, calls };
}
