// uninstall on AWS: what the installer made for this deployment, found from the journal's outputs
// and from the cloud's own tags (membrane:deployment=NAME), so a lost journal still finds it.
// A resource goes only when it carries that tag: one found under the installer's name without it
// was there before (the install adopts what exists) and stays. The two things that cannot carry a
// tag are identified otherwise: the inline policy on the user's execution role by its name, the
// Route 53 records by the values the install wrote. The user's cluster, network, load balancer,
// target groups, task role, execution role and hosted zone are never touched.
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg, Command } from '../../exec/command.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES } from '../../membrane/services.js';
import { findOrNull, runJson, unlessGone } from '../cli-json.js';
import { dnsName, recordedEndpoints } from '../endpoints.js';
import type { Removal, UninstallOptions, UninstallPlan } from '../types.js';
import { awsArgv, awsNames, outputKey } from './names.js';
import { publicHostedZone, recordSetOf } from './dns.js';
import { resourceId, SCALABLE_DIMENSION } from './scaling.js';

/** The longest Secrets Manager allows: a month to restore a secret deleted by mistake. */
const SECRET_RECOVERY_DAYS = 30;
/** ECS drains a service's tasks before it is INACTIVE: the load balancer's deregistration delay (5 min by default) and more. */
const DRAIN_ATTEMPTS = 90;
const DRAIN_INTERVAL_MS = Number(process.env.CREATE_MEMBRANE_DEPLOY_POLL_MS) || 10_000;
/** Deleting a private DNS namespace deletes its Route 53 zone: a minute or two. */
const OPERATION_ATTEMPTS = 90;
const OPERATION_INTERVAL_MS = 2000;

type Tag = { Key?: string; Value?: string; key?: string; value?: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function awsUninstall(settings: SettingsFor<'aws'>, runner: Runner, known: Readonly<Record<string, string>>, options: UninstallOptions): Promise<UninstallPlan> {
  const names = awsNames(settings);
  const aws = settings.answers.aws;
  const command = (...args: Arg[]): Command => ({ argv: awsArgv(aws.region, ...args) });
  const read = (...args: string[]) => runJson(runner, command(...args));
  const isOurs = (tags: Tag[] | undefined) => (tags ?? []).some((tag) => (tag.Key ?? tag.key) === names.tag.key && (tag.Value ?? tag.value) === names.tag.value);
  const noTag = `does not carry the tag ${names.tag.key}=${names.tag.value}, so the installer did not make it: left as it is`;

  // Every tagged resource of the deployment of the types the Resource Groups Tagging API covers and the install makes.
  const { ResourceTagMappingList = [] } = await read('resourcegroupstaggingapi', 'get-resources', '--tag-filters', `Key=${names.tag.key},Values=${names.tag.value}`,
    '--resource-type-filters', 'ecs:service', 'ecs:task-definition', 'secretsmanager', 'logs', 'servicediscovery');
  const tagged = new Set<string>((ResourceTagMappingList as { ResourceARN: string }[]).map((resource) => resource.ResourceARN));
  /** The tagging API's word, or the resource's own tags where the API does not list it (moto has no Cloud Map there). */
  const owned = (arn: string, tags?: Tag[]) => tagged.has(arn) || isOurs(tags);
  const kept: string[] = [];
  const notes: string[] = [];

  async function dnsRecords(): Promise<Removal[]> {
    const zone = settings.answers.dns?.zone;
    if (!zone) return [];
    const endpoints = recordedEndpoints(known);
    if (!endpoints) {
      kept.push(`DNS records in Route 53 zone ${zone}: without the journal it is not known which records the install wrote, so none is deleted; delete api., ui. and console.${settings.answers.domain} there yourself if they were the installer's`);
      return [];
    }
    const found = await publicHostedZone(runner, aws.region, zone);
    if (!found) return [];
    const removals = await Promise.all(endpoints.records.map(async (record): Promise<Removal | undefined> => {
      const set = await recordSetOf(runner, aws.region, found.Id, record);
      if (!set) return undefined;
      const values = (set.ResourceRecords ?? []).map((r) => dnsName(r.Value));
      if (values.length !== 1 || values[0] !== dnsName(record.value)) {
        kept.push(`DNS record ${record.name} ${record.type} is ${values.join(', ') || 'an alias'}, not what the install wrote (${record.value}): left as it is`);
        return undefined;
      }
      // A DELETE must repeat the record set exactly as Route 53 holds it.
      const change = command('route53', 'change-resource-record-sets', '--hosted-zone-id', found.Id, '--change-batch', {
        prefix: 'file://',
        name: `dns-delete-${record.name}.json`,
        content: `${JSON.stringify({ Comment: `Uninstall of Membrane deployment ${settings.name}`, Changes: [{ Action: 'DELETE', ResourceRecordSet: set }] }, null, 2)}\n`,
      });
      return {
        title: `DNS record ${record.name} ${record.type} ${record.value} (Route 53 zone ${zone})`,
        kind: 'dns-record',
        id: `${found.Id}/${record.name}/${record.type}`,
        group: 'dns-records',
        preview: () => [change],
        // Route 53 answers InvalidChangeBatch for a record that is no longer there; uninstall looked a moment ago.
        remove: async (runner) => void (await runner.run(change)),
      };
    }));
    return removals.filter((removal): removal is Removal => removal !== undefined);
  }

  async function ecsServices(): Promise<Removal[]> {
    const wanted = SERVICES.map((spec) => names.service(spec.id));
    const { services = [] } = await read('ecs', 'describe-services', '--cluster', aws.cluster, '--services', ...wanted);
    const describe = (runner: Runner, name: string) => runJson(runner, command('ecs', 'describe-services', '--cluster', aws.cluster, '--services', name))
      .then(({ services: found = [] }) => found[0] as { status: string; desiredCount: number } | undefined);
    return (services as { serviceName: string; serviceArn: string; status: string; taskDefinition: string }[]).filter((s) => s.status !== 'INACTIVE').flatMap((service): Removal[] => {
      if (!owned(service.serviceArn)) {
        kept.push(`ECS service ${service.serviceName} in cluster ${aws.cluster} ${noTag}`);
        return [];
      }
      const name = service.serviceName;
      // With the revision it runs, so that scaling down starts no new deployment.
      const scaleDown = command('ecs', 'update-service', '--cli-input-json', {
        prefix: 'file://',
        name: `services/${name}.scale-down.json`,
        content: `${JSON.stringify({ cluster: aws.cluster, service: name, taskDefinition: service.taskDefinition, desiredCount: 0 }, null, 2)}\n`,
      });
      const remove = command('ecs', 'delete-service', '--cluster', aws.cluster, '--service', name, '--force');
      return [{
        title: `ECS service ${name} (cluster ${aws.cluster}: the cluster stays)`,
        kind: 'ecs-service',
        id: service.serviceArn,
        group: 'ecs-services',
        preview: () => [scaleDown, remove],
        async remove(runner) {
          let current = await describe(runner, name);
          if (current?.status === 'ACTIVE') {
            if (current.desiredCount > 0) await runner.run(scaleDown);
            await runner.run(remove);
            current = await describe(runner, name);
          }
          // DRAINING until its tasks have stopped; the Cloud Map service after it can go only then.
          for (let attempt = 1; current && current.status !== 'INACTIVE'; attempt++) {
            if (attempt > DRAIN_ATTEMPTS) throw new Error(`ECS service ${name} is still ${current.status} after ${(DRAIN_ATTEMPTS * DRAIN_INTERVAL_MS) / 60_000} minutes; run uninstall again to keep waiting.`);
            await sleep(DRAIN_INTERVAL_MS);
            current = await describe(runner, name);
          }
        },
      }];
    });
  }

  /**
   * The Application Auto Scaling targets on the deployment's services (their policies go with them),
   * by the resource ids the journal recorded and those the services' names make, so a lost journal
   * still finds them. A target on a service that stays (not the installer's) stays too.
   */
  async function scalableTargets(removed: Set<string>): Promise<Removal[]> {
    const ids = [...new Set([...SERVICES.map((spec) => known[outputKey.scalableTarget(spec.id)]), ...SERVICES.map((spec) => resourceId(aws.cluster, names.service(spec.id)))].filter((id): id is string => Boolean(id)))];
    const describe = (runner: Runner, resourceIds: string[]) => runJson(runner, command('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs', '--resource-ids', ...resourceIds, '--scalable-dimension', SCALABLE_DIMENSION))
      .then(({ ScalableTargets = [] }) => (ScalableTargets as { ResourceId: string; MinCapacity: number; MaxCapacity: number }[]).filter((t) => resourceIds.includes(t.ResourceId)));
    const journaled = new Set(SERVICES.map((spec) => known[outputKey.scalableTarget(spec.id)]));
    return (await describe(runner, ids)).flatMap((target): Removal[] => {
      const [, cluster, service] = target.ResourceId.split('/');
      if (!journaled.has(target.ResourceId) && !(cluster === aws.cluster && removed.has(service!))) {
        kept.push(`Autoscaling of ${target.ResourceId}: its service stays, so its scalable target stays too`);
        return [];
      }
      const deregister = command('application-autoscaling', 'deregister-scalable-target', '--service-namespace', 'ecs', '--resource-id', target.ResourceId, '--scalable-dimension', SCALABLE_DIMENSION);
      return [{
        title: `Autoscaling of ${service} (${target.MinCapacity}–${target.MaxCapacity} tasks; its policies go with it)`,
        kind: 'scalable-target',
        id: target.ResourceId,
        group: 'scalable-targets',
        preview: () => [deregister],
        async remove(runner) {
          // Looked up again: gone already (a re-run) is done; AWS and moto say so in different words.
          if ((await describe(runner, [target.ResourceId])).length) await runner.run(deregister);
        },
      }];
    });
  }

  async function taskDefinitions(): Promise<Removal[]> {
    // Every revision the install registered carries the tag; the journal names the ones this install used.
    const ours = new Set([...tagged, ...SERVICES.map((spec) => known[outputKey.taskDefinitionArn(spec.id)]).filter((arn): arn is string => Boolean(arn))]);
    const [active, inactive] = await Promise.all(['ACTIVE', 'INACTIVE'].map(async (status) => ((await read('ecs', 'list-task-definitions', '--status', status)).taskDefinitionArns ?? []) as string[]));
    const family = (arn: string) => arn.split('/').pop()!.split(':')[0]!;
    const families = SERVICES.map((spec) => names.family(spec.id));
    for (const name of families) {
      const others = [...active, ...inactive].filter((arn) => family(arn) === name && !ours.has(arn));
      if (others.length) kept.push(`Task definition family ${name}: ${others.length} revision(s) ${noTag}`);
    }
    return families.flatMap((name): Removal[] => {
      const deregister = active.filter((arn) => family(arn) === name && ours.has(arn));
      const all = [...deregister, ...inactive.filter((arn) => family(arn) === name && ours.has(arn))];
      if (!all.length) return [];
      const batches = Array.from({ length: Math.ceil(all.length / 10) }, (_, i) => all.slice(i * 10, i * 10 + 10));
      const deregisterCommand = (arn: string) => command('ecs', 'deregister-task-definition', '--task-definition', arn);
      const deleteCommand = (batch: string[]) => command('ecs', 'delete-task-definitions', '--task-definitions', ...batch);
      return [{
        title: `Task definition ${name}: ${all.length} revision(s), deregistered (ACTIVE -> INACTIVE) then deleted`,
        kind: 'task-definitions',
        id: name,
        group: 'task-definitions',
        preview: () => [...deregister.map(deregisterCommand), ...batches.map(deleteCommand)],
        async remove(runner) {
          for (const arn of deregister) await unlessGone(runner.run(deregisterCommand(arn)));
          for (const batch of batches) {
            const { failures = [] } = await runJson(runner, deleteCommand(batch));
            // One deleted meanwhile (a re-run, another person) is as good as deleted now.
            const real = (failures as { arn: string; reason: string }[]).filter((f) => !/does not exist|DELETE_IN_PROGRESS/i.test(f.reason));
            if (real.length) throw new Error(`Could not delete ${real.map((f) => `${f.arn} (${f.reason})`).join(', ')}`);
          }
        },
      }];
    });
  }

  /** An IAM role the installer made: its policies detached and deleted, then the role. */
  function roleRemoval(name: string, arn: string): Removal {
    const list = (what: string) => command('iam', what, '--role-name', name);
    return {
      title: `IAM role ${name} (made by the installer), with its policies`,
      kind: 'iam-role',
      id: arn,
      group: 'iam-roles',
      preview: () => [
        command('iam', 'detach-role-policy', '--role-name', name, '--policy-arn', '<each attached policy>'),
        command('iam', 'delete-role-policy', '--role-name', name, '--policy-name', '<each inline policy>'),
        command('iam', 'delete-role', '--role-name', name),
      ],
      async remove(runner) {
        const [attached, inline] = await Promise.all([findOrNull(runner, list('list-attached-role-policies')), findOrNull(runner, list('list-role-policies'))]);
        // The role is gone already.
        if (!attached || !inline) return;
        for (const policy of (attached.AttachedPolicies ?? []) as { PolicyArn: string }[]) await unlessGone(runner.run(command('iam', 'detach-role-policy', '--role-name', name, '--policy-arn', policy.PolicyArn)));
        for (const policy of (inline.PolicyNames ?? []) as string[]) await unlessGone(runner.run(command('iam', 'delete-role-policy', '--role-name', name, '--policy-name', policy)));
        await unlessGone(runner.run(command('iam', 'delete-role', '--role-name', name)));
      },
    };
  }

  async function roles(): Promise<Removal[]> {
    // The user's execution role (aws.executionRoleArn) is never a candidate: only the policy the installer put on it goes.
    const userRole = aws.executionRoleArn ? names.executionRole : undefined;
    const fromJournal = [known[outputKey.executionRoleArn], known[outputKey.execOnlyRoleArn]].flatMap((arn) => (arn ? [arn.split('/').pop()!] : []));
    // Reverse of creation: the execution role was made after the exec-only role.
    const candidates = [...new Set([names.executionRole, ...fromJournal, names.execOnlyRole])].filter((name) => name !== userRole);
    const removals = await Promise.all(candidates.map(async (name): Promise<Removal | undefined> => {
      const role = await findOrNull(runner, command('iam', 'get-role', '--role-name', name));
      if (!role) return undefined;
      if (!isOurs(role.Role.Tags)) {
        kept.push(`IAM role ${name} ${noTag}`);
        return undefined;
      }
      return roleRemoval(name, role.Role.Arn);
    }));
    const policy = userRole ? await inlinePolicy(userRole) : undefined;
    return [...(policy ? [policy] : []), ...removals.filter((removal): removal is Removal => removal !== undefined)];
  }

  async function inlinePolicy(role: string): Promise<Removal | undefined> {
    const remove = command('iam', 'delete-role-policy', '--role-name', role, '--policy-name', names.executionPolicy);
    if (!(await findOrNull(runner, command('iam', 'get-role-policy', '--role-name', role, '--policy-name', names.executionPolicy)))) return undefined;
    return {
      title: `Inline policy ${names.executionPolicy} on your execution role ${role} (the role stays)`,
      kind: 'iam-inline-policy',
      id: `${role}/${names.executionPolicy}`,
      group: 'iam-roles',
      preview: () => [remove],
      remove: (runner) => unlessGone(runner.run(remove)),
    };
  }

  async function cloudMap(): Promise<Removal[]> {
    const { Namespaces = [] } = await read('servicediscovery', 'list-namespaces');
    const namespaces = (Namespaces as { Id: string; Arn: string; Name: string; Type: string }[])
      .filter((ns) => ns.Id === known[outputKey.namespaceId] || tagged.has(ns.Arn) || (ns.Name === names.namespace && ns.Type === 'DNS_PRIVATE'));
    const tagsOf = async (arn: string) => (await read('servicediscovery', 'list-tags-for-resource', '--resource-arn', arn)).Tags as Tag[];
    const perNamespace = await Promise.all(namespaces.map(async (namespace): Promise<Removal[]> => {
      const { Services = [] } = await read('servicediscovery', 'list-services', '--filters', `Name=NAMESPACE_ID,Values=${namespace.Id},Condition=EQ`);
      const services = await Promise.all((Services as { Id: string; Arn: string; Name: string }[]).map(async (service) => ({ ...service, ours: owned(service.Arn) || isOurs(await tagsOf(service.Arn)) })));
      const removals: Removal[] = services.filter((service) => service.ours).map((service) => {
        const remove = command('servicediscovery', 'delete-service', '--id', service.Id);
        return {
          title: `Cloud Map service ${service.Name}.${namespace.Name}`,
          kind: 'cloud-map-service',
          id: service.Arn,
          preview: () => [remove],
          remove: (runner) => unlessGone(runner.run(remove)),
        };
      });
      for (const service of services.filter((s) => !s.ours)) kept.push(`Cloud Map service ${service.Name}.${namespace.Name} ${noTag}`);
      if (!owned(namespace.Arn) && !isOurs(await tagsOf(namespace.Arn))) {
        kept.push(`Cloud Map namespace ${namespace.Name} ${noTag}`);
        return removals;
      }
      if (services.some((service) => !service.ours)) {
        kept.push(`Cloud Map namespace ${namespace.Name}: it holds services the installer did not make, so it stays`);
        return removals;
      }
      const remove = command('servicediscovery', 'delete-namespace', '--id', namespace.Id);
      removals.push({
        title: `Cloud Map private DNS namespace ${namespace.Name} (and the Route 53 zone Cloud Map keeps for it)`,
        kind: 'cloud-map-namespace',
        id: namespace.Arn,
        preview: () => [remove],
        async remove(runner) {
          const started = await findOrNull(runner, remove);
          if (started) await waitForOperation(runner, started.OperationId);
        },
      });
      return removals;
    }));
    return perNamespace.flat();
  }

  async function waitForOperation(runner: Runner, operationId: string): Promise<void> {
    for (let attempt = 0; attempt < OPERATION_ATTEMPTS; attempt++) {
      const { Operation } = await runJson(runner, command('servicediscovery', 'get-operation', '--operation-id', operationId));
      if (Operation.Status === 'SUCCESS') return;
      if (Operation.Status === 'FAIL') throw new Error(`Deleting the private DNS namespace failed: ${Operation.ErrorMessage ?? Operation.ErrorCode}`);
      await sleep(OPERATION_INTERVAL_MS);
    }
    throw new Error(`The private DNS namespace was not deleted after 3 minutes (operation ${operationId}); run uninstall again to look again.`);
  }

  async function logGroups(): Promise<Removal[]> {
    // The tagged groups are the installer's (an earlier install's log group of another name too); one of its name without the tag is not.
    const ours = [...tagged].flatMap((arn) => (/:log-group:/.test(arn) ? [arn.split(':log-group:')[1]!] : []));
    if (!ours.includes(names.logGroup)) {
      const { logGroups: found = [] } = await read('logs', 'describe-log-groups', '--log-group-name-prefix', names.logGroup);
      if ((found as { logGroupName: string }[]).some((g) => g.logGroupName === names.logGroup)) kept.push(`Log group ${names.logGroup} ${noTag}`);
    }
    return ours.map((name) => {
      const remove = command('logs', 'delete-log-group', '--log-group-name', name);
      return { title: `Log group ${name} (the services' logs go with it)`, kind: 'log-group', id: name, preview: () => [remove], remove: (runner: Runner) => unlessGone(runner.run(remove)) };
    });
  }

  async function secrets(): Promise<Removal[]> {
    const prefix = names.secret('secret').split('/')[0]!;
    const { SecretList = [] } = await read('secretsmanager', 'list-secrets', '--include-planned-deletion', '--filters', `Key=name,Values=${prefix}/`);
    return (SecretList as { ARN: string; Name: string; Tags?: Tag[]; DeletedDate?: string }[]).filter((s) => s.Name.startsWith(`${prefix}/`)).flatMap((secret): Removal[] => {
      if (!owned(secret.ARN, secret.Tags)) {
        kept.push(`Secret ${secret.Name} ${noTag}`);
        return [];
      }
      if (secret.DeletedDate) {
        notes.push(`Secret ${secret.Name} is already scheduled for deletion; restore it with: aws secretsmanager restore-secret --secret-id ${secret.Name} --region ${aws.region}`);
        return [];
      }
      if (!options.deleteSecrets) {
        kept.push(`Secret ${secret.Name} stays: secrets go only with --delete-secrets`);
        return [];
      }
      const remove = command('secretsmanager', 'delete-secret', '--secret-id', secret.ARN, '--recovery-window-in-days', String(SECRET_RECOVERY_DAYS));
      return [{
        title: `Secret ${secret.Name}: scheduled for deletion in ${SECRET_RECOVERY_DAYS} days`,
        kind: 'secret',
        id: secret.ARN,
        group: 'secrets',
        preview: () => [remove],
        async remove(runner) {
          const current = await findOrNull(runner, command('secretsmanager', 'describe-secret', '--secret-id', secret.ARN));
          if (current && !current.DeletedDate) await runner.run(remove);
        },
      }];
    });
  }

  const servicesFound = ecsServices();
  // Service ARNs end in the service's name (…:service/CLUSTER/NAME, or the older …:service/NAME).
  const scalingFound = servicesFound.then((found) => scalableTargets(new Set(found.map((removal) => removal.id.split('/').pop()!))));
  const [dns, scaling, services, definitions, iam, discovery, logs, stored] = await Promise.all([dnsRecords(), scalingFound, servicesFound, taskDefinitions(), roles(), cloudMap(), logGroups(), secrets()]);
  if (stored.length) {
    notes.push(`Secrets Manager keeps each deleted secret ${SECRET_RECOVERY_DAYS} days; until then restore one with: aws secretsmanager restore-secret --secret-id NAME --region ${aws.region}`);
  }
  kept.push(`Never touched: your cluster ${aws.cluster}, VPC, subnets, security groups, load balancer, target groups, listeners, task role${aws.executionRoleArn ? ', execution role (only the installer\'s policy on it goes)' : ''}${settings.answers.dns?.zone ? ' and hosted zone' : ''}`);
  // The reverse of the install's order: records, autoscaling, services, task definitions, roles, private DNS, log group, secrets.
  return { removals: [...dns, ...scaling, ...services, ...definitions, ...iam, ...discovery, ...logs, ...stored], kept, notes };
}
