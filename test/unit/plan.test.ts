import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SECRET_ENV, type SecretKey } from '../../source/answers/schema.js';
import { awsSteps } from '../../source/clouds/aws/steps.js';
import { awsAdapter } from '../../source/clouds/aws/index.js';
import type { ActionStep, Step } from '../../source/clouds/types.js';
import { batches, withRollouts } from '../../source/engine/plan.js';
import { SERVICE_IDS, type ServiceId } from '../../source/membrane/services.js';
import { writePlan, writeUninstallPlan } from '../../source/plan/write-plan.js';
import { parseCli } from '../../source/args.js';
import { changedPaths } from '../../source/answers/load.js';
import { plan as planCommand } from '../../source/commands/plan.js';
import { deploy } from '../../source/commands/deploy.js';
import type { CommandContext } from '../../source/commands/context.js';
import { UsageError } from '../../source/errors.js';
import { jsonPresenter } from '../../source/ui/presenter.js';
import { AUTH0, CANARY, awsSettings } from './fixtures.js';

const WAVES: ServiceId[][] = [['custom-code-runner'], ['orchestrator', 'queued-worker', 'instant-worker'], ['api', 'ui', 'console']];

/** A step that does nothing, for the pure planning functions. */
function action(id: string, extra: Partial<ActionStep> = {}): ActionStep {
  return { kind: 'action', id, title: id, preview: () => [], apply: async () => ({ outcome: 'unchanged' }), ...extra };
}

describe('withRollouts', () => {
  const steps = withRollouts(awsSteps(awsSettings()));

  it('inserts one rollout after the last service of each wave, in wave order', () => {
    const rollouts = steps.flatMap((step, index) => (step.kind === 'rollout' ? [{ step, before: steps[index - 1]!.id }] : []));
    expect(rollouts.map(({ step }) => step.id)).toEqual(['rollout:wave-1', 'rollout:wave-2', 'rollout:wave-3']);
    expect(rollouts.map(({ step }) => step.kind === 'rollout' && step.services)).toEqual(WAVES);
    expect(rollouts.map(({ before }) => before)).toEqual(['service:custom-code-runner', 'service:instant-worker', 'service:console']);
  });

  it('keeps every action step, in order, and adds only the three rollouts', () => {
    const actions = awsSteps(awsSettings());
    expect(steps.filter((step) => step.kind === 'action').map((step) => step.id)).toEqual(actions.map((step) => step.id));
    expect(steps).toHaveLength(actions.length + 3);
  });

  it('starts no service of a wave before the previous wave has rolled out', () => {
    const position = (id: string) => steps.findIndex((step) => step.id === id);
    WAVES.forEach((wave, index) => {
      if (index === 0) return;
      for (const service of wave) expect(position(`service:${service}`)).toBeGreaterThan(position(`rollout:wave-${index}`));
    });
  });

  it('titles a rollout with the services it waits for', () => {
    const titles = steps.filter((step) => step.kind === 'rollout').map((step) => step.title);
    expect(titles[0]).toBe('Wait until custom-code-runner is healthy');
    expect(titles[1]).toBe('Wait until orchestrator, queued-worker, instant-worker are healthy');
  });

  it('adds nothing to steps that deploy no service', () => {
    const plain = [action('a'), action('b', { group: 'g' })];
    expect(withRollouts(plain)).toEqual(plain);
  });

  it('waits once per wave even when the wave has a single deploy step', () => {
    const result = withRollouts([action('service:api', { deploys: 'api' }), action('after')]);
    expect(result.map((step) => step.id)).toEqual(['service:api', 'rollout:wave-3', 'after']);
  });
});

describe('batches', () => {
  const ids = (groups: Step[][]) => groups.map((group) => group.map((step) => step.id));

  it('groups consecutive steps of one group and leaves the rest alone', () => {
    const steps: Step[] = [
      action('a', { group: 'g1' }),
      action('b', { group: 'g1' }),
      action('c'),
      action('d'),
      action('e', { group: 'g2' }),
      action('f', { group: 'g2' }),
      action('g', { group: 'g1' }),
    ];
    expect(ids(batches(steps))).toEqual([['a', 'b'], ['c'], ['d'], ['e', 'f'], ['g']]);
  });

  it('never puts a rollout in a batch, even between steps of one group', () => {
    const steps: Step[] = [action('a', { group: 'g' }), { kind: 'rollout', id: 'r', title: 'r', services: ['api'] }, action('b', { group: 'g' })];
    expect(ids(batches(steps))).toEqual([['a'], ['r'], ['b']]);
  });

  it('returns nothing for no steps', () => {
    expect(batches([])).toEqual([]);
  });

  it('runs the AWS preparation together, then the task definitions together, then each wave\'s services together', () => {
    const groups = batches(withRollouts(awsSteps(awsSettings())));
    // Roles, then per wave its services and its rollout; the four autoscaling steps together, after the last wave's rollout.
    expect(groups.map((group) => group.length)).toEqual([8, 1, 7, 1, 1, 3, 1, 3, 1, 4]);
    expect(groups[5]!.map((step) => step.id)).toEqual(['service:orchestrator', 'service:queued-worker', 'service:instant-worker']);
    expect(groups.at(-1)!.map((step) => step.id)).toEqual(['scaling:instant-worker', 'scaling:api', 'scaling:ui', 'scaling:console']);
    expect(groups.at(-2)![0]).toMatchObject({ kind: 'rollout', services: ['api', 'ui', 'console'] });
    expect(groups[0]!.map((step) => step.id)).toEqual([
      'secret:secret',
      'secret:encryptionSecret',
      'secret:mongoUri',
      'secret:redisUri',
      'secret:registryPassword',
      'log-group',
      'runner-discovery',
      'exec-only-role',
    ]);
    expect(groups[2]!.map((step) => step.id)).toEqual(SERVICE_IDS.map((id) => `task-definition:${id}`));
  });
});

describe('writePlan', () => {
  const canaryEnv = Object.fromEntries((Object.keys(SECRET_ENV) as SecretKey[]).map((key) => [SECRET_ENV[key], CANARY[key]]));
  const saved: Record<string, string | undefined> = {};
  let dir: string;
  let written: string[];

  /** Every file under the plan directory, whether or not writePlan reported it. */
  const allFiles = (root: string): string[] =>
    readdirSync(root, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? allFiles(join(root, entry.name)) : [relative(dir, join(root, entry.name))],
    );
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  const planJson = () => JSON.parse(read('plan.json')) as { version: number; name: string; cloud: string; settings: Record<string, any>; steps: any[] };

  beforeAll(async () => {
    // The plan takes no secrets; if anything read them from the environment, they would show up in a file.
    for (const [name, value] of Object.entries(canaryEnv)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    dir = await mkdtemp(join(tmpdir(), 'plan-test-'));
    const settings = awsSettings();
    written = await writePlan(dir, settings, withRollouts(awsAdapter(settings).plan()), ['a note for the reviewer']);
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('writes exactly the files it reports: plan.json, the policy, 7 task definitions, 7 services, deploy.sh', () => {
    expect(allFiles(dir).sort()).toEqual([...written].sort());
    expect(written).toContain('plan.json');
    expect(written).toContain('deploy.sh');
    expect(written).toContain('execution-role-policy.json');
    expect(written).toContain('exec-only-role-policy.json');
    expect(written.filter((path) => path.startsWith('task-definitions/')).sort()).toEqual(SERVICE_IDS.map((id) => `task-definitions/${id}.json`).sort());
    expect(written.filter((path) => path.startsWith('services/')).sort()).toEqual(SERVICE_IDS.map((id) => `services/${id}.json`).sort());
    expect(written.filter((path) => path.startsWith('scaling/')).sort()).toEqual(['scaling/api.json', 'scaling/console.json', 'scaling/instant-worker.json', 'scaling/ui.json']);
    expect(written).toHaveLength(23);
  });

  it('writes a plan.json with all 31 steps, every argv an array of strings', () => {
    const plan = planJson();
    expect(plan).toMatchObject({ version: 1, name: 'default', cloud: 'aws' });
    expect(plan.steps).toHaveLength(31);
    expect(new Set(plan.steps.map((step) => step.id)).size).toBe(31);
    const commands = plan.steps.flatMap((step) => step.commands as { argv: unknown }[]);
    expect(commands).toHaveLength(35);
    for (const { argv } of commands) {
      expect(Array.isArray(argv)).toBe(true);
      expect((argv as unknown[]).every((word) => typeof word === 'string')).toBe(true);
      expect((argv as string[])[0]).toBe('aws');
      expect((argv as string[]).join(' ')).toContain('--region us-east-1');
    }
  });

  it('shows rollouts as waits with their services and no commands', () => {
    const rollouts = planJson().steps.filter((step) => step.kind === 'rollout');
    expect(rollouts.map((step) => step.waitsFor)).toEqual(WAVES);
    for (const step of rollouts) expect(step.commands).toEqual([]);
  });

  it('names each secret by its variable in plan.json, never by value', () => {
    const secretStep = planJson().steps.find((step) => step.id === 'secret:mongoUri');
    expect(secretStep.commands[0].argv).toContain('file://<secret MEMBRANE_MONGO_URI>');
  });

  it('writes task definitions that reference secrets and hold none', () => {
    for (const id of SERVICE_IDS) {
      const document = JSON.parse(read(`task-definitions/${id}.json`));
      expect(document.family).toBe(`membrane-${id}`);
      expect(document.requiresCompatibilities).toEqual(['FARGATE']);
      const [container] = document.containerDefinitions;
      expect(document.containerDefinitions).toHaveLength(1);
      expect(container.name).toBe(id);
      expect(container.portMappings[0].containerPort).toBe(5000);
      const names = (container.environment as { name: string; value: string }[]).map((variable) => variable.name);
      for (const secretVar of ['SECRET', 'ENCRYPTION_SECRET', 'MONGO_URI', 'REDIS_URI', 'AUTH0_CLIENT_SECRET', 'SMTP_PASSWORD']) expect(names).not.toContain(secretVar);
      expect(container.repositoryCredentials).toEqual({ credentialsParameter: '<secret:registryPassword:arn>' });
      // ARN, no json key, no stage, then the version the secret step reports: the whole value of that version.
      for (const ref of container.secrets as { name: string; valueFrom: string }[]) expect(ref.valueFrom).toMatch(/^<secret:([A-Za-z0-9]+):arn>:::<secret:\1:version>$/);
    }
  });

  it('gives the engine services their four secrets as valueFrom placeholders', () => {
    const api = JSON.parse(read('task-definitions/api.json')).containerDefinitions[0];
    expect(api.secrets).toEqual([
      { name: 'SECRET', valueFrom: '<secret:secret:arn>:::<secret:secret:version>' },
      { name: 'ENCRYPTION_SECRET', valueFrom: '<secret:encryptionSecret:arn>:::<secret:encryptionSecret:version>' },
      { name: 'MONGO_URI', valueFrom: '<secret:mongoUri:arn>:::<secret:mongoUri:version>' },
      { name: 'REDIS_URI', valueFrom: '<secret:redisUri:arn>:::<secret:redisUri:version>' },
    ]);
    expect(api.image).toBe('harbor.integration.app/core/api:2025-09-19');
    expect(JSON.parse(read('task-definitions/ui.json')).containerDefinitions[0].secrets).toEqual([]);
  });

  it('writes a deploy.sh that bash accepts and that is executable', () => {
    expect(() => execFileSync('bash', ['-n', join(dir, 'deploy.sh')], { stdio: 'pipe' })).not.toThrow();
    expect(statSync(join(dir, 'deploy.sh')).mode & 0o111).not.toBe(0);
    const script = read('deploy.sh');
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
    expect(script).toContain("--arg username 'robot$core+acme'");
  });

  it('references from deploy.sh only documents it wrote', () => {
    const referenced = [...read('deploy.sh').matchAll(/file:\/\/([^\s(<][^\s]*)/g)].map((match) => match[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const path of referenced) expect(written).toContain(path);
  });

  it('holds no secret value from the environment in any file', () => {
    for (const path of allFiles(dir)) {
      const content = read(path);
      for (const value of Object.values(CANARY)) expect(content, `${path} leaks a secret`).not.toContain(value);
    }
  });

  const hasJq = spawnSync('jq', ['--version']).status === 0;

  it.skipIf(!hasJq)('runs end to end against a fake aws: secrets only through pipes, documents found from any directory', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'fake-aws-'));
    try {
      const log = join(bin, 'calls.log');
      writeFileSync(
        join(bin, 'aws'),
        [
          '#!/usr/bin/env bash',
          'set -eu',
          '{ printf "CALL"; for a in "$@"; do printf " [%s]" "$a"; done; printf "\\n"; } >> "$AWS_LOG"',
          'for a in "$@"; do case "$a" in file://*) p="${a#file://}"; printf "FILE %s\\n" "$(tr -d "\\n" < "$p")" >> "$AWS_LOG";; esac; done',
          'echo "{}"',
        ].join('\n'),
      );
      chmodSync(join(bin, 'aws'), 0o755);
      const run = spawnSync('bash', [join(dir, 'deploy.sh')], {
        cwd: tmpdir(),
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}`, AWS_LOG: log, ...canaryEnv },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const lines = readFileSync(log, 'utf8').split('\n');
      const calls = lines.filter((line) => line.startsWith('CALL '));
      expect(calls).toHaveLength(35);
      for (const call of calls) for (const value of Object.values(CANARY)) expect(call).not.toContain(value);
      const files = lines.filter((line) => line.startsWith('FILE ')).map((line) => line.slice(5));
      expect(files).toContain(CANARY.secret);
      expect(files).toContain(CANARY.mongoUri);
      expect(files.map((text) => (text.startsWith('{"username"') ? JSON.parse(text) : undefined)).find(Boolean)).toEqual({
        username: 'robot$core+acme',
        password: CANARY.registryPassword,
      });
      expect(files.some((text) => text.includes('"family": "membrane-api"'))).toBe(true);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('writePlan in auth0 mode', () => {
  it('adds the Auth0 secret step and references it in the engine task definitions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-auth0-'));
    try {
      const settings = awsSettings((raw) => (raw.auth = structuredClone(AUTH0)));
      await writePlan(dir, settings, withRollouts(awsSteps(settings)), []);
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      expect(plan.steps).toHaveLength(31);
      expect(plan.settings.auth).toBe('auth0');
      const orchestrator = JSON.parse(readFileSync(join(dir, 'task-definitions/orchestrator.json'), 'utf8')).containerDefinitions[0];
      expect(orchestrator.secrets).toContainEqual({ name: 'AUTH0_CLIENT_SECRET', valueFrom: '<secret:auth0ClientSecret:arn>:::<secret:auth0ClientSecret:version>' });
      expect(orchestrator.environment).toContainEqual({ name: 'AUTH0_DOMAIN', value: 'acme-tenant.auth0.com' });
      const policy = JSON.parse(readFileSync(join(dir, 'execution-role-policy.json'), 'utf8'));
      expect(policy.Statement[0].Resource).toContain('<secret:auth0ClientSecret:arn>');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('plan.json of the install keeps its contract', () => {
  it('has no command key and no extra keys; an upgrade plan says what it is of and carries its change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-of-'));
    try {
      const settings = awsSettings();
      const steps = withRollouts(awsSteps(settings));
      await writePlan(join(dir, 'install'), settings, steps, []);
      const install = JSON.parse(readFileSync(join(dir, 'install', 'plan.json'), 'utf8'));
      expect(Object.keys(install)).toEqual(['version', 'name', 'cloud', 'about', 'settings', 'notes', 'steps']);
      expect(readFileSync(join(dir, 'install', 'deploy.sh'), 'utf8')).toContain('# The install of Membrane deployment "default"');
      await writePlan(join(dir, 'upgrade'), settings, steps, [], { command: 'upgrade', extra: { upgrade: { imageTags: { api: { from: 'a', to: 'b' } } } } });
      const upgrade = JSON.parse(readFileSync(join(dir, 'upgrade', 'plan.json'), 'utf8'));
      expect(upgrade).toMatchObject({ command: 'upgrade', upgrade: { imageTags: { api: { from: 'a', to: 'b' } } } });
      expect(readFileSync(join(dir, 'upgrade', 'deploy.sh'), 'utf8')).toContain('# The upgrade of Membrane deployment "default"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names where two answer documents differ, two levels deep', () => {
    expect(changedPaths({ imageTag: 'a', aws: { subnets: ['s1'], region: 'r' }, domain: 'd' }, { imageTag: 'b', aws: { subnets: ['s2'], region: 'r' }, domain: 'd', dns: { zone: 'z' } }))
      .toEqual(['aws.subnets', 'dns', 'imageTag']);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe('writeUninstallPlan', () => {
  it('writes the removals in order with their commands, what stays, and an uninstall.sh bash accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-uninstall-'));
    try {
      const removal = (id: string, argv: string[]) => ({ title: `thing ${id}`, kind: 'thing', id, preview: () => [{ argv }], remove: async () => {} });
      const written = await writeUninstallPlan(dir, awsSettings(), {
        removals: [removal('b', ['aws', 'ecs', 'delete-service', '--service', 'b']), removal('a', ['aws', 'logs', 'delete-log-group', '--log-group-name', '/ecs/a b'])],
        kept: ['cluster c (yours)'],
        notes: ['a note'],
      });
      expect(written).toEqual(['plan.json', 'uninstall.sh']);
      const document = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      expect(document).toMatchObject({ version: 1, name: 'default', cloud: 'aws', command: 'uninstall', kept: ['cluster c (yours)'], notes: ['a note'] });
      expect(document.removals.map((r: { id: string }) => r.id)).toEqual(['b', 'a']);
      expect(document.removals[1].commands).toEqual([{ argv: ['aws', 'logs', 'delete-log-group', '--log-group-name', '/ecs/a b'] }]);
      const script = readFileSync(join(dir, 'uninstall.sh'), 'utf8');
      expect(script).toContain("# 2. thing a\naws logs delete-log-group --log-group-name '/ecs/a b'");
      expect(() => execFileSync('bash', ['-n', join(dir, 'uninstall.sh')], { stdio: 'pipe' })).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('plan --for and --diff against the demo (the real AWS adapter, a simulated account)', () => {
  const env = { CREATE_MEMBRANE_DEPLOY_DEMO_SPEED: '0.01' };
  let state: string;
  const context: CommandContext = { presenter: jsonPresenter(() => {}), env, exit: (code): never => { throw new Error(`exit ${code}`); } };
  const roll = (...args: string[]) => deploy(parseCli([...args, '--demo', '--json', '--yes', '--state-dir', state]), args[0] === 'upgrade' ? 'upgrade' : 'install', context);
  const planOf = async (name: string, ...args: string[]) => {
    const out = join(state, 'out', name);
    const code = await planCommand(parseCli(['plan', '--demo', '--state-dir', state, '--out', out, ...args]), env);
    return { code, out, json: () => JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) };
  };
  const audit = () => readFileSync(join(state, 'default', 'audit.log'), 'utf8').trim().split('\n').map((text) => JSON.parse(text).argv as string[]);
  const changes = (argvs: string[][]) => argvs.filter((argv) => !/^(describe|list|get|show)/.test(argv[2] ?? ''));

  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'plan-demo-'));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await roll('install')).toBe(0);
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(state, { recursive: true, force: true });
  });

  it('refuses a rollback plan with exit 2 while there is no earlier release, writing nothing', async () => {
    const error = await planOf('no-rollback', '--for', 'rollback').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain('Nothing to roll back to for --name default');
    expect(existsSync(join(state, 'out', 'no-rollback'))).toBe(false);
  });

  it('--diff after the install: nothing differs, no step written; for an upgrade: the task definitions, then every service and its wait', async () => {
    const before = audit().length;
    const same = await planOf('same', '--diff');
    expect(same.code).toBe(0);
    expect(same.json()).toMatchObject({ diff: { differing: 0, steps: [] }, steps: [] });
    const upgrade = await planOf('upgrade-diff', '--for', 'upgrade', '--image-tag', '2025-10-01', '--diff');
    const document = upgrade.json();
    expect(document.command).toBe('upgrade');
    expect(document.upgrade.imageTags.api).toEqual({ from: '2025-09-19', to: '2025-10-01' });
    expect(document.steps.map((step: { id: string }) => step.id)).toEqual([
      ...SERVICE_IDS.map((id) => `task-definition:${id}`),
      'service:custom-code-runner', 'rollout:wave-1', 'service:orchestrator', 'service:queued-worker', 'service:instant-worker', 'rollout:wave-2',
      'service:api', 'service:ui', 'service:console', 'rollout:wave-3',
    ]);
    expect(document.diff.steps.find((step: { id: string }) => step.id === 'service:api')).toMatchObject({ status: 'missing' });
    expect(JSON.parse(readFileSync(join(upgrade.out, 'task-definitions/api.json'), 'utf8')).containerDefinitions[0].image).toBe('harbor.integration.app/core/api:2025-10-01');
    // Reads only.
    expect(changes(audit().slice(before))).toEqual([]);
  });

  it('after an upgrade: the rollback plan deploys the earlier release, old → new tag per service', async () => {
    expect(await roll('upgrade', '--image-tag', '2025-10-01')).toBe(0);
    const rollback = await planOf('rollback', '--for', 'rollback');
    const document = rollback.json();
    expect(document.command).toBe('rollback');
    expect(document.rollback).toMatchObject({ to: { imageTag: '2025-09-19', command: 'install' }, otherAnswers: [] });
    expect(Object.keys(document.rollback.imageTags)).toEqual([...SERVICE_IDS]);
    expect(document.rollback.imageTags.ui).toEqual({ from: '2025-10-01', to: '2025-09-19' });
    expect(JSON.parse(readFileSync(join(rollback.out, 'task-definitions/ui.json'), 'utf8')).containerDefinitions[0].image).toBe('harbor.integration.app/core/ui:2025-09-19');
  });

  it('--for uninstall lists what uninstall would remove, with its commands, and removes nothing', async () => {
    const before = audit().length;
    const uninstall = await planOf('uninstall', '--for', 'uninstall');
    const document = uninstall.json();
    expect(document.command).toBe('uninstall');
    // The scalable targets go first, before their services.
    expect(document.removals[0]).toMatchObject({ kind: 'scalable-target', title: expect.stringContaining('membrane-instant-worker') });
    expect(document.removals.find((removal: { kind: string }) => removal.kind === 'ecs-service')).toMatchObject({ title: expect.stringContaining('membrane-custom-code-runner') });
    expect(document.removals.some((removal: { kind: string }) => removal.kind === 'secret')).toBe(false);
    expect(readFileSync(join(uninstall.out, 'uninstall.sh'), 'utf8')).toContain('aws ecs delete-service --cluster membrane-cluster --service membrane-console');
    expect(changes(audit().slice(before))).toEqual([]);
    const withSecrets = (await planOf('uninstall-secrets', '--for', 'uninstall', '--delete-secrets')).json();
    expect(withSecrets.removals.filter((removal: { kind: string }) => removal.kind === 'secret').length).toBeGreaterThan(0);
  });
});
