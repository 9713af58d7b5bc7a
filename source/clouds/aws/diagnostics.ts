// The AWS half of troubleshooting: one describe-services for all seven, the stopped tasks'
// reasons (stopped-tasks.ts), each task definition's env and ports, and CloudWatch logs.
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { SERVICES, type ServiceId } from '../../membrane/services.js';
import { findOrNull, runJson } from '../cli-json.js';
import type { CloudDiagnostics, ServiceInspection } from '../types.js';
import { ECS_EXEC_ACTIONS, missingActions } from './iam-policies.js';
import { awsArgv, awsNames } from './names.js';
import { phaseOf } from './observe.js';
import { stoppedTasks, stopReasons, type StoppedTask } from './stopped-tasks.js';

export function awsDiagnostics(settings: SettingsFor<'aws'>): CloudDiagnostics {
  const aws = settings.answers.aws;
  const names = awsNames(settings);
  const call = <T = any>(runner: Runner, ...args: string[]) => runJson<T>(runner, { argv: awsArgv(aws.region, ...args) });

  return {
    async inspect(runner) {
      const [described, stopped, definitions] = await Promise.all([
        call(runner, 'ecs', 'describe-services', '--cluster', aws.cluster, '--services', ...SERVICES.map((s) => names.service(s.id))),
        stoppedTasks(runner, aws.region, aws.cluster).catch(() => [] as StoppedTask[]),
        Promise.all(SERVICES.map((spec) => findOrNull(runner, { argv: awsArgv(aws.region, 'ecs', 'describe-task-definition', '--task-definition', names.family(spec.id)) }))),
      ]);
      return SERVICES.map((spec, index): ServiceInspection => {
        const service = (described.services ?? []).find((s: { serviceName: string; status: string }) => s.serviceName === names.service(spec.id) && s.status !== 'INACTIVE');
        const container = definitions[index]?.taskDefinition?.containerDefinitions?.[0];
        const base = {
          service: spec.id,
          env: Object.fromEntries((container?.environment ?? []).map((e: { name: string; value: string }) => [e.name, e.value])),
          secretEnv: (container?.secrets ?? []).map((s: { name: string }) => s.name),
          containerPort: container?.portMappings?.[0]?.containerPort,
          checkedPort: service?.loadBalancers?.[0]?.containerPort ?? container?.portMappings?.[0]?.containerPort,
          startupGraceSeconds: service?.healthCheckGracePeriodSeconds ?? container?.healthCheck?.startPeriod,
          raw: { service, taskDefinition: definitions[index]?.taskDefinition },
        };
        if (!service) return { ...base, found: false, healthy: false, reasons: [] };
        const phase = phaseOf(service);
        const taskReasons = stopReasons(stopped, names.service(spec.id));
        const reasons = [...new Set([...(phase.phase === 'healthy' ? [] : [phase.message].filter((m): m is string => Boolean(m))), ...taskReasons])];
        return { ...base, found: true, healthy: phase.phase === 'healthy', reasons };
      });
    },
    async logs(runner, service: ServiceId, limit) {
      // Events come oldest first: read the last hour and keep the tail.
      const { events = [] } = await call<{ events?: { message: string }[] }>(runner, 'logs', 'filter-log-events', '--log-group-name', names.logGroup,
        '--log-stream-name-prefix', `${service}/`, '--start-time', String(Date.now() - 3_600_000), '--limit', '1000');
      return events.slice(-limit).map((event) => event.message.trimEnd());
    },
    logsCommand: (service) => `aws logs filter-log-events --region ${aws.region} --log-group-name ${names.logGroup} --log-stream-name-prefix ${service}/ --limit 50`,
    insideCommand: (service) =>
      `aws ecs execute-command --region ${aws.region} --cluster ${aws.cluster} --container ${service} --interactive --command sh --task "$(aws ecs list-tasks --region ${aws.region} --cluster ${aws.cluster} --service-name ${names.service(service)} --desired-status RUNNING --query 'taskArns[0]' --output text)"`,
    // ECS Exec works when the service enables it and the task role lets its agent open channels.
    async shellAccess(runner) {
      const taskRole = aws.taskRoleArn.split('/').pop()!;
      const [described, missing] = await Promise.all([
        call(runner, 'ecs', 'describe-services', '--cluster', aws.cluster, '--services', ...SERVICES.map((s) => names.service(s.id))),
        missingActions(runner, aws.region, taskRole, ECS_EXEC_ACTIONS),
      ]);
      const disabled = SERVICES.filter((spec) => {
        const service = (described.services ?? []).find((s: { serviceName: string; status: string }) => s.serviceName === names.service(spec.id) && s.status !== 'INACTIVE');
        return service && service.enableExecuteCommand !== true;
      }).map((spec) => spec.id);
      const evidence = [
        ...(disabled.length ? [`ECS Exec is off for ${disabled.join(', ')}`] : []),
        ...(missing.length ? [`task role ${taskRole} does not allow ${missing.join(', ')}`] : []),
      ];
      const plugin = 'Your aws CLI also needs the Session Manager plugin, and the tasks a route to the ssmmessages endpoint (NAT or a VPC endpoint).';
      if (evidence.length === 0) return { ok: true, summary: `enabled on every service; task role ${taskRole} allows it. ${plugin}`, evidence };
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ECS_EXEC_ACTIONS, Resource: '*' }] });
      const fixes = [
        ...(missing.length ? [`aws iam put-role-policy --role-name ${taskRole} --policy-name ${names.execPolicy} --policy-document '${policy}'`] : []),
        ...(disabled.length ? ['run install (or resume) again: it turns ECS Exec on for every service'] : []),
      ];
      const engines = SERVICES.filter((spec) => spec.image === 'core/api').map((spec) => names.service(spec.id));
      const restart = `for service in ${engines.join(' ')}; do aws ecs update-service --region ${aws.region} --cluster ${aws.cluster} --service "$service" --force-new-deployment; done`;
      return { ok: false, summary: evidence.join('; '), evidence, fix: [...fixes, `then start new tasks, whose agent gets the access: ${restart}`, plugin].join('\n') };
    },
  };
}
