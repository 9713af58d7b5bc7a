// Where api., ui. and console. answer on AWS: the load balancer that forwards to each target
// group, and whether an HTTPS listener on it holds an ACM certificate for the host. Read-only.
import type { SettingsFor } from '../../answers/settings.js';
import { SHARED_READ, type Runner } from '../../exec/runner.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import { firstUseSteps } from '../../membrane/first-use.js';
import { runJson } from '../cli-json.js';
import { certificateCovers, endpointsStep, type Endpoints, type PublicEndpoint } from '../endpoints.js';
import type { ActionStep } from '../types.js';
import { awsArgv } from './names.js';

interface LoadBalancer { LoadBalancerArn: string; LoadBalancerName: string; DNSName: string }
interface Listener { ListenerArn: string; Protocol: string; Port: number }
/** NotAfter: ISO 8601 from aws CLI v2, epoch seconds from v1 (it prints the API's timestamps as they come). */
interface Certificate { CertificateArn: string; DomainName: string; SubjectAlternativeNames?: string[]; Status: string; NotAfter?: string | number }

const day = (timestamp: string | number) => new Date(typeof timestamp === 'number' ? timestamp * 1000 : timestamp).toISOString().slice(0, 10);

export function awsEndpointsStep(settings: SettingsFor<'aws'>): ActionStep {
  const aws = settings.answers.aws;
  // The load balancer was read in preflight (the same argv): those answers serve here.
  const call = (runner: Runner, ...args: string[]) => runJson(runner, { argv: awsArgv(aws.region, ...args) }, args[0] === 'elbv2' ? SHARED_READ : undefined);
  const fix = (command: string) => `${command} --region ${aws.region}`;
  const groups = PUBLIC_SERVICES.map((service) => aws.targetGroups[service]);

  async function read(runner: Runner): Promise<Endpoints> {
    const { TargetGroups = [] } = await call(runner, 'elbv2', 'describe-target-groups', '--target-group-arns', ...new Set(groups));
    const balancerArns = [...new Set(TargetGroups.flatMap((group: { LoadBalancerArns?: string[] }) => group.LoadBalancerArns ?? []))] as string[];
    const { LoadBalancers = [] } = await call(runner, 'elbv2', 'describe-load-balancers', '--load-balancer-arns', ...balancerArns);
    // Each balancer's HTTPS listeners and every certificate on them (describe-listeners names only the default one).
    const certificatesOf = new Map<string, Certificate[]>();
    const httpsListenersOf = new Map<string, string[]>();
    await Promise.all((LoadBalancers as LoadBalancer[]).map(async (balancer) => {
      const { Listeners = [] } = await call(runner, 'elbv2', 'describe-listeners', '--load-balancer-arn', balancer.LoadBalancerArn);
      const https = (Listeners as Listener[]).filter((listener) => listener.Protocol === 'HTTPS');
      const arns = (await Promise.all(https.map(async (listener) => {
        const { Certificates = [] } = await call(runner, 'elbv2', 'describe-listener-certificates', '--listener-arn', listener.ListenerArn);
        return Certificates.map((certificate: { CertificateArn: string }) => certificate.CertificateArn) as string[];
      }))).flat();
      const certificates = await Promise.all([...new Set(arns)].filter((arn) => arn.includes(':acm:')).map(async (arn) => (await call(runner, 'acm', 'describe-certificate', '--certificate-arn', arn)).Certificate as Certificate));
      if (https.length) certificatesOf.set(balancer.LoadBalancerArn, certificates);
      httpsListenersOf.set(balancer.LoadBalancerArn, https.map((listener) => listener.ListenerArn));
    }));

    const services = PUBLIC_SERVICES.map((service): PublicEndpoint => {
      const host = `${service}.${settings.answers.domain}`;
      const group = TargetGroups.find((g: { TargetGroupArn: string }) => g.TargetGroupArn === aws.targetGroups[service]);
      const balancer = (LoadBalancers as LoadBalancer[]).find((b) => group?.LoadBalancerArns?.includes(b.LoadBalancerArn));
      if (!balancer) return { service, host, target: '(no load balancer forwards to its target group)', tls: { ok: false, detail: 'no load balancer' } };
      const certificates = certificatesOf.get(balancer.LoadBalancerArn);
      if (!certificates) return { service, host, target: balancer.DNSName, tls: { ok: false, detail: `${balancer.LoadBalancerName} has no HTTPS listener` } };
      const covering = certificates.find((c) => [c.DomainName, ...(c.SubjectAlternativeNames ?? [])].some((name) => certificateCovers(name, host)));
      if (!covering) return { service, host, target: balancer.DNSName, tls: { ok: false, detail: `no certificate on ${balancer.LoadBalancerName}'s HTTPS listener covers ${host}` } };
      if (covering.Status !== 'ISSUED') return { service, host, target: balancer.DNSName, tls: { ok: false, detail: `certificate ${covering.DomainName} is ${covering.Status} (validate it: its CNAME records in ACM)` } };
      return { service, host, target: balancer.DNSName, tls: { ok: true, detail: `HTTPS listener with ACM certificate ${covering.DomainName}${covering.NotAfter === undefined ? '' : `, valid until ${day(covering.NotAfter)}`}` } };
    });

    const balancers = [...new Set(services.map((s) => (LoadBalancers as LoadBalancer[]).find((b) => b.DNSName === s.target)).filter((b): b is LoadBalancer => Boolean(b)))];
    const withoutHttps = balancers.filter((b) => !certificatesOf.has(b.LoadBalancerArn));
    const uncovered = services.filter((s) => !s.tls.ok && !withoutHttps.some((b) => b.DNSName === s.target));
    const wildcard = `*.${settings.answers.domain}`;
    const zone = settings.answers.dns?.zone;
    return {
      services,
      ...(zone ? { zone: `Route 53 hosted zone ${zone}` } : {}),
      records: services.filter((s) => balancers.some((b) => b.DNSName === s.target)).map((s) => ({ name: s.host, type: 'CNAME' as const, value: s.target })),
      nextSteps: [
        ...(withoutHttps.length || uncovered.length ? [`TLS: an ACM certificate for ${wildcard} (DNS validation: create the CNAME records ACM gives you):`, `  ${fix(`aws acm request-certificate --domain-name '${wildcard}' --validation-method DNS`)}`] : []),
        ...withoutHttps.map((b) => `  then an HTTPS listener on ${b.LoadBalancerName}, with host rules forwarding to the target groups as on its HTTP listener: ${fix(`aws elbv2 create-listener --load-balancer-arn ${b.LoadBalancerArn} --protocol HTTPS --port 443 --certificates CertificateArn=<certificate ARN> --default-actions Type=forward,TargetGroupArn=${aws.targetGroups.api}`)}`),
        ...balancers.filter((b) => uncovered.some((s) => s.target === b.DNSName)).flatMap((b) => (httpsListenersOf.get(b.LoadBalancerArn) ?? []).map((listener) =>
          `  then add it to ${b.LoadBalancerName}'s HTTPS listener: ${fix(`aws elbv2 add-listener-certificates --listener-arn ${listener} --certificates CertificateArn=<certificate ARN>`)}`)),
        ...firstUseSteps(settings),
      ],
    };
  }

  return endpointsStep(
    'Read the public addresses and the DNS records to create',
    // The first read; its answer names the load balancers, listeners and certificates read next.
    () => [{ argv: awsArgv(aws.region, 'elbv2', 'describe-target-groups', '--target-group-arns', ...new Set(groups)) }],
    read,
  );
}
