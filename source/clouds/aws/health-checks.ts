// The guide's target-group health check ("Load Balancer Configuration"), compared with what a
// user's target group has. The target groups are the user's: the installer never changes them,
// so preflight refuses a check that healthy tasks can never pass and notes one that only differs.
import { PORT } from '../../membrane/services.js';

/** The guide's values: GET / (per service: its health path), healthy 2, unhealthy 3, timeout 5 s, interval 30 s, success 200. */
export const GUIDE_TARGET_GROUP_CHECK = { healthyThreshold: 2, unhealthyThreshold: 3, timeoutSeconds: 5, intervalSeconds: 30, matcher: '200' } as const;

/** The health-check fields of describe-target-groups (absent ones are not compared). */
export interface TargetGroupHealthCheck {
  TargetGroupArn: string;
  TargetGroupName: string;
  HealthCheckProtocol?: string;
  HealthCheckPort?: string;
  HealthCheckPath?: string;
  HealthCheckIntervalSeconds?: number;
  HealthCheckTimeoutSeconds?: number;
  HealthyThresholdCount?: number;
  UnhealthyThresholdCount?: number;
  Matcher?: { HttpCode?: string };
}

export interface HealthCheckFindings {
  /** What keeps healthy tasks from ever passing: the group would never send them traffic. */
  broken: string[];
  /** What works but differs from the guide (slower or quicker to decide). */
  differs: string[];
  /** The one command that sets the guide's check on this group. */
  fix: string;
}

/** "200", "200,202", "200-299": does a healthy answer (200) count as healthy? */
export function matcherAccepts(httpCode: string, code = 200): boolean {
  return httpCode.split(',').some((part) => {
    const [low, high = low] = part.trim().split('-').map(Number);
    return low !== undefined && high !== undefined && code >= low && code <= high;
  });
}

export function healthCheckFix(arn: string, healthPath: string, region: string): string {
  const guide = GUIDE_TARGET_GROUP_CHECK;
  return [
    'aws elbv2 modify-target-group', `--target-group-arn ${arn}`,
    '--health-check-protocol HTTP --health-check-port traffic-port', `--health-check-path ${healthPath}`,
    `--healthy-threshold-count ${guide.healthyThreshold} --unhealthy-threshold-count ${guide.unhealthyThreshold}`,
    `--health-check-timeout-seconds ${guide.timeoutSeconds} --health-check-interval-seconds ${guide.intervalSeconds}`,
    `--matcher HttpCode=${guide.matcher}`, `--region ${region}`,
  ].join(' ');
}

/** Compares one target group's health check with the guide's, for the service behind it (its health path). */
export function healthCheckFindings(group: TargetGroupHealthCheck, healthPath: string, region: string): HealthCheckFindings {
  const guide = GUIDE_TARGET_GROUP_CHECK;
  const broken = [
    group.HealthCheckPath !== undefined && group.HealthCheckPath !== healthPath && `health check path ${group.HealthCheckPath} (the service answers 200 on ${healthPath})`,
    group.Matcher?.HttpCode !== undefined && !matcherAccepts(group.Matcher.HttpCode) && `success codes ${group.Matcher.HttpCode} (the service answers 200)`,
    group.HealthCheckProtocol !== undefined && group.HealthCheckProtocol !== 'HTTP' && `health check protocol ${group.HealthCheckProtocol} (the containers serve plain HTTP)`,
    group.HealthCheckPort !== undefined && group.HealthCheckPort !== 'traffic-port' && group.HealthCheckPort !== String(PORT) && `health check port ${group.HealthCheckPort} (the containers listen on ${PORT})`,
  ].filter((problem): problem is string => Boolean(problem));
  const compare = (what: string, now: number | undefined, wanted: number, unit = '') =>
    now === undefined || now === wanted ? [] : [`${what} ${now}${unit} (the guide: ${wanted}${unit})`];
  const differs = [
    ...compare('healthy threshold', group.HealthyThresholdCount, guide.healthyThreshold),
    ...compare('unhealthy threshold', group.UnhealthyThresholdCount, guide.unhealthyThreshold),
    ...compare('timeout', group.HealthCheckTimeoutSeconds, guide.timeoutSeconds, ' s'),
    ...compare('interval', group.HealthCheckIntervalSeconds, guide.intervalSeconds, ' s'),
    // Other codes besides 200 work; the guide counts only 200.
    ...(group.Matcher?.HttpCode !== undefined && matcherAccepts(group.Matcher.HttpCode) && group.Matcher.HttpCode !== guide.matcher ? [`success codes ${group.Matcher.HttpCode} (the guide: ${guide.matcher})`] : []),
  ];
  return { broken, differs, fix: healthCheckFix(group.TargetGroupArn, healthPath, region) };
}
