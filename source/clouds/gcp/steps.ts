// The Cloud Run install as idempotent steps: enable the APIs, store the secrets (readable only
// by the identities that need them), proxy Harbor through Artifact Registry, then deploy the
// services wave by wave. Each step looks first and changes only what differs.
import type { SecretKey, Secrets } from '../../answers/schema.js';
import type { SettingsFor } from '../../answers/settings.js';
import { SECRET_ENV } from '../../answers/schema.js';
import type { Command } from '../../exec/command.js';
import { NOT_REPEATABLE } from '../../exec/runner.js';
import { requiredSecrets } from '../../membrane/env.js';
import { SERVICES, type ServiceSpec } from '../../membrane/services.js';
import { findOrNull, runJson } from '../cli-json.js';
import { SECRET_STEP_PREFIX, type ActionStep, type Outputs, type StepResult } from '../types.js';
import { deployment, handChanges, SPEC_LABEL } from './documents.js';
import { gcloudArgv, gcpNames, outputKey, REQUIRED_APIS, serviceAccounts, type GcpNames } from './names.js';

const ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

function apisStep(settings: SettingsFor<'gcp'>): ActionStep {
  const { project } = settings.answers.gcp;
  const enable = (apis: readonly string[]): Command => ({ argv: gcloudArgv(project, 'services', 'enable', ...apis) });
  return {
    kind: 'action',
    id: 'apis',
    title: `Enable ${REQUIRED_APIS.join(', ')} in ${project}`,
    preview: () => [enable(REQUIRED_APIS)],
    async apply({ runner }) {
      const [described, enabled] = await Promise.all([
        runJson(runner, { argv: gcloudArgv(project, 'projects', 'describe', project) }),
        runJson<{ config?: { name: string } }[]>(runner, { argv: gcloudArgv(project, 'services', 'list', '--enabled') }),
      ]);
      const outputs = { [outputKey.projectNumber]: String(described.projectNumber) };
      const on = new Set((Array.isArray(enabled) ? enabled : []).map((service) => service.config?.name));
      const missing = REQUIRED_APIS.filter((api) => !on.has(api));
      if (missing.length === 0) return { outcome: 'unchanged', outputs };
      // Enabling an enabled API is harmless, so this may be retried.
      await runner.run(enable(missing));
      return { outcome: 'updated', outputs };
    },
  };
}

function secretStep(key: SecretKey, settings: SettingsFor<'gcp'>, names: GcpNames): ActionStep {
  const { project } = settings.answers.gcp;
  const name = names.secret(key);
  const stdin = (secrets?: Secrets) => ({ name: SECRET_ENV[key], secret: { value: secrets?.[key], shell: `printf '%s' "$${SECRET_ENV[key]}"` } });
  const create = (secrets?: Secrets): Command => ({
    argv: gcloudArgv(project, 'secrets', 'create', name, '--data-file=-', '--replication-policy=automatic', `--labels=${names.deploymentLabel}`),
    stdin: stdin(secrets),
  });
  const addVersion = (secrets?: Secrets): Command => ({ argv: gcloudArgv(project, 'secrets', 'versions', 'add', name, '--data-file=-'), stdin: stdin(secrets) });
  const reader = (outputs: Outputs) => {
    const accounts = serviceAccounts(settings, outputs.get(outputKey.projectNumber));
    return `serviceAccount:${key === 'registryPassword' ? accounts.artifactRegistryAgent : accounts.runtime}`;
  };
  const grant = (outputs: Outputs): Command => ({ argv: gcloudArgv(project, 'secrets', 'add-iam-policy-binding', name, `--member=${reader(outputs)}`, `--role=${ACCESSOR_ROLE}`) });
  return {
    kind: 'action',
    id: `${SECRET_STEP_PREFIX}${key}`,
    title: `Secret ${name}`,
    group: 'prepare',
    preview: (outputs, secrets) => [create(secrets), grant(outputs)],
    async apply({ runner, secrets, outputs }): Promise<StepResult> {
      const wanted = secrets[key];
      const stored = await storeValue();
      let { outcome } = stored;
      const policy = await runJson(runner, { argv: gcloudArgv(project, 'secrets', 'get-iam-policy', name) });
      const member = reader(outputs);
      const granted = (policy.bindings ?? []).some((binding: { role: string; members?: string[] }) => binding.role === ACCESSOR_ROLE && binding.members?.includes(member));
      if (!granted) {
        await runner.run(grant(outputs));
        if (outcome === 'unchanged') outcome = 'updated';
      }
      // The services pin this version (--set-secrets=ENV=NAME:N): a new one makes new revisions of exactly its readers.
      return { outcome, outputs: { [outputKey.secretVersion(key)]: stored.version } };

      async function storeValue(): Promise<{ outcome: StepResult['outcome']; version: string }> {
        const existing = await findOrNull(runner, { argv: gcloudArgv(project, 'secrets', 'describe', name) });
        if (!existing) {
          if (wanted === undefined) throw new Error(`${SECRET_ENV[key]} is needed: ${name} is not in Secret Manager (any more). Set it and run again.`);
          await runner.run(create(secrets), NOT_REPEATABLE);
          // create --data-file answers with the secret, not its version: the data it was given is the secret's first, number 1.
          return { outcome: 'created', version: '1' };
        }
        // A secret without a version (an interrupted create, or an empty `echo -n ""`) makes :latest resolve to nothing.
        const latest = await findOrNull(runner, { argv: gcloudArgv(project, 'secrets', 'versions', 'access', 'latest', `--secret=${name}`) });
        const stored = latest?.payload?.data === undefined ? undefined : Buffer.from(latest.payload.data, 'base64').toString('utf8');
        if (wanted === undefined) {
          if (stored === undefined) throw new Error(`${SECRET_ENV[key]} is needed: ${name} has no value in Secret Manager. Set it and run again.`);
          return { outcome: 'unchanged', version: versionNumber(latest) };
        }
        if (stored === wanted) return { outcome: 'unchanged', version: versionNumber(latest) };
        const added = await runJson(runner, addVersion(secrets), NOT_REPEATABLE);
        return { outcome: 'updated', version: versionNumber(added) };
      }
    },
  };
}

/** projects/P/secrets/S/versions/N → N: access (the version `latest` resolved to) and versions add both name it. */
function versionNumber(answer: { name?: string }): string {
  return answer.name?.match(/\/versions\/(\d+)$/)?.[1] ?? '';
}

/** Cloud Run cannot pull from Harbor: an Artifact Registry remote repository proxies it. */
function repositoryStep(settings: SettingsFor<'gcp'>, names: GcpNames): ActionStep {
  const { project, region } = settings.answers.gcp;
  const { registry } = settings.answers;
  const upstream = `https://${registry.server}`;
  const passwordVersion = `projects/${project}/secrets/${names.secret('registryPassword')}/versions/latest`;
  const create: Command = {
    argv: gcloudArgv(project, 'artifacts', 'repositories', 'create', names.repository, '--repository-format=docker', `--location=${region}`,
      '--mode=remote-repository', `--remote-docker-repo=${upstream}`, `--remote-username=${registry.username}`,
      `--remote-password-secret-version=${passwordVersion}`, `--description=Membrane images from ${registry.server} (deployment ${settings.name})`,
      `--labels=${names.deploymentLabel}`),
  };
  return {
    kind: 'action',
    id: 'repository',
    title: `Artifact Registry ${names.repository} (proxies ${registry.server})`,
    preview: () => [create],
    async apply({ runner }) {
      const existing = await findOrNull(runner, { argv: gcloudArgv(project, 'artifacts', 'repositories', 'describe', names.repository, `--location=${region}`) });
      if (!existing) {
        await runner.run(create, NOT_REPEATABLE);
        return { outcome: 'created' };
      }
      const config = existing.remoteRepositoryConfig;
      // gcloud 528 sends --remote-docker-repo=URL as commonRepository; other clients use dockerRepository.customRepository.
      const upstreamUri: string | undefined = config?.commonRepository?.uri ?? config?.dockerRepository?.customRepository?.uri;
      const found = { upstream: upstreamUri, username: config?.upstreamCredentials?.usernamePasswordCredentials?.username };
      if (existing.mode !== 'REMOTE_REPOSITORY' || found.upstream?.replace(/\/$/, '') !== upstream || found.username !== registry.username) {
        throw new Error(`${names.repository} exists in ${region} but is not a remote repository of ${upstream} for ${registry.username} (found ${existing.mode ?? 'unknown mode'}, ${found.upstream ?? 'no upstream'}, ${found.username ?? 'no username'}). Set gcp.repository to another name, or delete it.`);
      }
      return { outcome: 'unchanged' };
    },
  };
}

function serviceStep(spec: ServiceSpec, settings: SettingsFor<'gcp'>, names: GcpNames): ActionStep {
  const { project, region } = settings.answers.gcp;
  return {
    kind: 'action',
    id: `service:${spec.id}`,
    title: `Cloud Run service ${names.service(spec.id)}`,
    deploys: spec.id,
    // The services of one wave are deployed together (--async), then observed together.
    group: `wave-${spec.wave}`,
    preview: (outputs) => [deployment(spec, settings, names, outputs).command],
    artifacts: (outputs) => [deployment(spec, settings, names, outputs).envFile],
    async apply({ runner, outputs }) {
      const { command, hash, shape } = deployment(spec, settings, names, outputs);
      const existing = await findOrNull(runner, { argv: gcloudArgv(project, 'run', 'services', 'describe', names.service(spec.id), `--region=${region}`) });
      // The label survives a console edit: the fields it covers are compared too.
      const byHand = existing ? handChanges(existing, shape) : [];
      if (existing?.metadata?.labels?.[SPEC_LABEL] === hash && byHand.length === 0) return { outcome: 'unchanged' };
      const change = !existing ? 'missing' : byHand.length ? byHand.join(', ') : 'deployed from other answers';
      await runner.run({ ...command, change }, NOT_REPEATABLE);
      return { outcome: existing ? 'updated' : 'created' };
    },
  };
}

/** The runner's URL exists once it is deployed; the engine services are given it. */
function runnerUrlStep(settings: SettingsFor<'gcp'>, names: GcpNames): ActionStep {
  const { project, region } = settings.answers.gcp;
  const describe: Command = { argv: gcloudArgv(project, 'run', 'services', 'describe', names.service('custom-code-runner'), `--region=${region}`) };
  return {
    kind: 'action',
    id: 'runner-url',
    title: `Read the URL of ${names.service('custom-code-runner')}`,
    preview: () => [describe],
    async apply({ runner }) {
      const service = await runJson(runner, describe);
      const url: string | undefined = service.status?.url;
      if (!url) throw new Error(`${names.service('custom-code-runner')} has no URL yet; run resume in a minute.`);
      return { outcome: 'checked', outputs: { [outputKey.runnerUrl]: url } };
    },
  };
}

export function gcpSteps(settings: SettingsFor<'gcp'>): ActionStep[] {
  const names = gcpNames(settings);
  const [runner, ...rest] = SERVICES;
  return [
    apisStep(settings),
    ...requiredSecrets(settings).map((key) => secretStep(key, settings, names)),
    repositoryStep(settings, names),
    serviceStep(runner!, settings, names),
    runnerUrlStep(settings, names),
    ...rest.map((spec) => serviceStep(spec, settings, names)),
  ];
}
