// One simulated cloud per adapter, each with rollouts that take `rolloutMs` after every change to a
// service: moto behind the fault proxy (rolloutTakes), the fake Google APIs (setReadyAfterMs), the
// fake az (setReadyAfterMs). Each says which of its CLI's calls observe rollouts.
import { answersFor, createEcsFixture, type EcsFixture } from '../../test/support/aws-fixture.js';
import { azureAnswers, startFakeAz } from '../../test/support/az.js';
import { startFaultProxy, type FaultProxy } from '../../test/support/fault-proxy.js';
import { startGcpFake } from '../../test/support/gcloud.js';
import { startMoto } from '../../test/support/moto.js';

export interface Cloud {
  name: string;
  /** The answers file's content. */
  answers: unknown;
  /** The CLI's environment (without the secrets). */
  env: Record<string, string>;
  /** Whether an audit line's argv is the adapter's rollout observation. */
  observes(argv: string[]): boolean;
  stop(): Promise<void>;
}

const has = (argv: string[], ...words: string[]) => words.every((word) => argv.includes(word));

/** AWS: moto (which completes every rollout at once) behind the fault proxy, which makes them take time. */
export async function awsCloud(rolloutMs: number): Promise<Cloud & { fixture: EcsFixture; proxy: FaultProxy }> {
  const moto = await startMoto({ ecsServiceRunning: 2 });
  try {
    const proxy = await startFaultProxy(moto.endpoint);
    const fixture = await createEcsFixture(moto.env);
    if (rolloutMs > 0) proxy.rolloutTakes(rolloutMs);
    return {
      name: 'AWS ECS',
      fixture,
      proxy,
      answers: answersFor(fixture),
      env: proxy.env(moto.env, { botocoreRetries: true }),
      observes: (argv) => has(argv, 'ecs', 'describe-services'),
      stop: async () => {
        await proxy.stop();
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

export async function gcpCloud(rolloutMs: number): Promise<Cloud> {
  const project = 'acme-membrane';
  const gcp = await startGcpFake({ project });
  gcp.fake.setReadyAfterMs(rolloutMs);
  return {
    name: 'Google Cloud Run',
    answers: { cloud: 'gcp', domain: 'example.com', imageTag: '2025-09-19', registry: { server: 'harbor.integration.app', username: 'robot$core+acme' }, gcp: { project, region: 'us-central1' } },
    env: gcp.env,
    observes: (argv) => has(argv, 'run', 'services', 'list'),
    stop: () => gcp.stop(),
  };
}

export async function azureCloud(rolloutMs: number): Promise<Cloud> {
  const resourceGroup = 'membrane-rg';
  const keyVault = 'membrane-vault';
  const azure = await startFakeAz({ resourceGroup, environment: 'membrane-env', keyVault, location: 'eastus' });
  azure.setReadyAfterMs(rolloutMs);
  return {
    name: 'Azure Container Apps',
    answers: azureAnswers(azure.subscription, { resourceGroup, keyVault }),
    env: azure.env,
    observes: (argv) => has(argv, 'containerapp', 'list') || has(argv, 'containerapp', 'revision', 'show'),
    stop: () => azure.stop(),
  };
}

export const CLOUDS = [awsCloud, gcpCloud, azureCloud];
