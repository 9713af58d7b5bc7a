// The fault proxy's rollouts that take time (rolloutTakes), seen through the real `aws` CLI: moto
// shows every rollout COMPLETED at once; through the proxy a service stays IN_PROGRESS with no task
// running until its deployment is that old, and again after an update that starts a new one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { aws, startMoto, type MotoServer } from '../support/moto.js';

const CLUSTER = 'bench-cluster';
// Long beside an aws call (~1-3 s on a busy machine), so the early reads fall well inside it.
const TAKES_MS = 12_000;

let moto: MotoServer;
let proxy: FaultProxy;
let env: Record<string, string>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const describeService = async () => (await aws(env, ['ecs', 'describe-services', '--cluster', CLUSTER, '--services', 'slow'])).services[0];
const primaryOf = (service: { deployments: { status: string; rolloutState: string; runningCount: number }[] }) => service.deployments.find((d) => d.status === 'PRIMARY')!;

beforeAll(async () => {
  moto = await startMoto({ ecsServiceRunning: 2 });
  proxy = await startFaultProxy(moto.endpoint);
  env = proxy.env(moto.env);
  await aws(env, ['ecs', 'create-cluster', '--cluster-name', CLUSTER]);
  for (const image of ['nginx:1', 'nginx:2']) {
    await aws(env, ['ecs', 'register-task-definition', '--family', 'slow', '--container-definitions', JSON.stringify([{ name: 'web', image, memory: 512 }])]);
  }
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('fault proxy: rolloutTakes', () => {
  it('shows a new service IN_PROGRESS with nothing running until its deployment is that old, then as moto does', async () => {
    const stop = proxy.rolloutTakes(TAKES_MS);
    try {
      const creating = Date.now();
      await aws(env, ['ecs', 'create-service', '--cluster', CLUSTER, '--service-name', 'slow', '--task-definition', 'slow:1', '--desired-count', '2']);
      const created = Date.now();
      const early = await describeService();
      expect(Date.now() - creating).toBeLessThan(TAKES_MS);
      expect(early).toMatchObject({ runningCount: 0, desiredCount: 2 });
      expect(primaryOf(early)).toMatchObject({ rolloutState: 'IN_PROGRESS', runningCount: 0 });
      expect(proxy.requests.at(-1)).toMatchObject({ operation: 'DescribeServices', rewritten: true });

      await sleep(Math.max(0, created + TAKES_MS - Date.now()));
      const settled = await describeService();
      expect(settled).toMatchObject({ runningCount: 2, desiredCount: 2 });
      expect(primaryOf(settled)).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 2 });

      // A desired count alone starts no deployment; another task definition does.
      await aws(env, ['ecs', 'update-service', '--cluster', CLUSTER, '--service', 'slow', '--desired-count', '2']);
      expect(primaryOf(await describeService()).rolloutState).toBe('COMPLETED');
      const updating = Date.now();
      await aws(env, ['ecs', 'update-service', '--cluster', CLUSTER, '--service', 'slow', '--task-definition', 'slow:2']);
      const again = await describeService();
      expect(Date.now() - updating).toBeLessThan(TAKES_MS);
      expect(primaryOf(again)).toMatchObject({ rolloutState: 'IN_PROGRESS', runningCount: 0 });
    } finally {
      stop();
    }
    // Off: moto's answer again.
    expect(primaryOf(await describeService()).rolloutState).toBe('COMPLETED');
  }, 60_000);
});
