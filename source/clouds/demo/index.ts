// `--demo`: the real AWS adapter against a simulated AWS account. Every step, check, observation
// and troubleshooting probe is the real one; only the aws CLI's answers are made up (see
// simulated-aws.ts), so the demo shows exactly what an install does and can never drift from it.
// The account is kept beside the deployment's journal: resume and troubleshoot continue it.
import { join } from 'node:path';
import type { RawAnswers } from '../../answers/load.js';
import type { SecretKey } from '../../answers/schema.js';
import { settingsFor, type Settings } from '../../answers/settings.js';
import type { Spawn } from '../../exec/runner.js';
import type { ServiceId } from '../../membrane/services.js';
import { awsAdapter } from '../aws/index.js';
import type { CloudAdapter } from '../types.js';
import { simulatedAws } from './simulated-aws.js';
import { DEMO_ANSWERS, DEMO_SECRETS } from './world.js';

export interface DemoOptions {
  /** Deployments of this service started in this run fail (an image that cannot be pulled), to show a failure. */
  failService?: ServiceId;
  /** Multiplies every delay: 1 is the demo's realistic pace (about two minutes), tests go faster. */
  speed?: number;
  /** The clock rollouts are measured with; tests inject one. */
  now?: () => number;
}

export interface DemoCloud {
  /** Answers the aws commands instead of the aws CLI. */
  spawn: Spawn;
  /** Why the demo cannot play these answers (it simulates AWS only), before anything else is checked. */
  refusal(cloud: unknown): string | undefined;
  /** The real AWS adapter, with the demo's notes; answers that passed refusal(). */
  adapter(settings: Settings): CloudAdapter;
  /** Answers and placeholder secrets that fit the simulated account: played without a terminal, suggested with one. */
  suggestions: { answers: RawAnswers; secrets: Partial<Record<SecretKey, string>> };
  /** What the wizard offers: the one cloud the demo simulates. */
  clouds: { offered: readonly ['aws']; why: string };
  /** A poll interval that suits the simulated rollouts. */
  pollIntervalMs: number;
}

/** The demo's secrets as the AWS steps store them (the registry password inside its credentials document). */
const DEMO_STORED_SECRETS = [
  ...Object.values(DEMO_SECRETS),
  JSON.stringify({ username: (DEMO_ANSWERS.registry as { username: string }).username, password: DEMO_SECRETS.registryPassword }),
];

/** The file the simulated account is kept in, in the deployment's state directory. */
export const DEMO_ACCOUNT_FILE = 'demo-account.json';

export function demoCloud(deploymentDir: string, options: DemoOptions = {}): DemoCloud {
  const speed = options.speed ?? 1;
  const simulation = simulatedAws({ file: join(deploymentDir, DEMO_ACCOUNT_FILE), failService: options.failService, speed, now: options.now ?? Date.now, placeholders: DEMO_STORED_SECRETS });
  return {
    spawn: simulation.spawn,
    suggestions: { answers: DEMO_ANSWERS, secrets: DEMO_SECRETS },
    clouds: { offered: ['aws'], why: 'the demo simulates AWS alone' },
    pollIntervalMs: 1000 * simulation.speed,
    refusal: (cloud) => (cloud === 'aws' ? undefined : `The demo simulates AWS ECS only; "cloud": "${String(cloud)}" needs a real account. Leave out --cloud (and a --config naming another cloud) with --demo.`),
    adapter(settings) {
      const aws = awsAdapter(settingsFor(settings, 'aws'));
      return {
        ...aws,
        notes: () => [
          'This is a demo: the real AWS steps against a simulated AWS account. Nothing is created anywhere, no aws CLI, account or credentials are used, and every answer from "AWS" is made up.',
          ...(options.failService ? [`The demo makes ${options.failService} fail on purpose, to show what a failed rollout looks like and how resume and troubleshoot help.`] : []),
          ...aws.notes(),
        ],
      };
    },
  };
}
