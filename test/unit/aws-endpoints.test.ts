// The AWS endpoints step against scripted aws answers: what each balancer, listener and
// certificate says becomes the end screen's addresses, records and TLS state.
import { describe, expect, it } from 'vitest';
import { awsEndpointsStep } from '../../source/clouds/aws/endpoints.js';
import { ENDPOINTS_OUTPUT, type Endpoints } from '../../source/clouds/endpoints.js';
import type { StepContext } from '../../source/clouds/types.js';
import { CANARY, TARGET_GROUP, awsSettings, scriptedRunner } from './fixtures.js';

const BALANCER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/membrane-alb/0123456789abcdef';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/membrane-alb/0123456789abcdef/443';
const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0123';

async function endpointsWith(notAfter: string | number): Promise<Endpoints> {
  const answers: Record<string, unknown> = {
    'elbv2 describe-target-groups': { TargetGroups: ['api', 'ui', 'console'].map((service) => ({ TargetGroupArn: TARGET_GROUP(service), LoadBalancerArns: [BALANCER] })) },
    'elbv2 describe-load-balancers': { LoadBalancers: [{ LoadBalancerArn: BALANCER, LoadBalancerName: 'membrane-alb', DNSName: 'membrane-alb-1.us-east-1.elb.amazonaws.com' }] },
    'elbv2 describe-listeners': { Listeners: [{ ListenerArn: LISTENER, Protocol: 'HTTPS', Port: 443 }] },
    'elbv2 describe-listener-certificates': { Certificates: [{ CertificateArn: CERTIFICATE, IsDefault: true }] },
    'acm describe-certificate': { Certificate: { CertificateArn: CERTIFICATE, DomainName: '*.example.com', Status: 'ISSUED', NotAfter: notAfter } },
  };
  const { runner } = scriptedRunner((argv) => answers[argv.slice(1, 3).join(' ')]);
  const context: StepContext = { runner, outputs: { get: () => '' }, secrets: CANARY, progress: () => undefined, stop: new AbortController().signal };
  const result = await awsEndpointsStep(awsSettings()).apply(context);
  return JSON.parse(result.outputs![ENDPOINTS_OUTPUT]!) as Endpoints;
}

describe('AWS endpoints', () => {
  it.each([
    ['as aws CLI v2 prints it (ISO 8601)', '2027-10-01T12:00:00+00:00'],
    ['as aws CLI v1 prints it (epoch seconds)', Date.parse('2027-10-01T12:00:00Z') / 1000],
  ])('reads a certificate\'s expiry %s', async (_, notAfter) => {
    const endpoints = await endpointsWith(notAfter);
    expect(endpoints.services.map((e) => e.tls)).toEqual(['api', 'ui', 'console'].map(() => ({ ok: true, detail: 'HTTPS listener with ACM certificate *.example.com, valid until 2027-10-01' })));
    expect(endpoints.records).toEqual(['api', 'ui', 'console'].map((service) => ({ name: `${service}.example.com`, type: 'CNAME', value: 'membrane-alb-1.us-east-1.elb.amazonaws.com' })));
  });
});
