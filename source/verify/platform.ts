// Each cloud's words for what stands in front of a public service, so a cause names the thing
// the user will look at (there is no load balancer on Container Apps or Cloud Run).
import type { Cloud } from '../answers/schema.js';
import type { PublicServiceId } from '../membrane/services.js';
import type { VerifyHost } from './result.js';

interface Platform {
  /** What a service's DNS record points at. */
  address: string;
  /** Where TLS ends, so where the certificate is attached. */
  terminator: string;
  /** What forwards requests to the service, and what it forwards them to. */
  front: string;
  unit: string;
  notReady(service: PublicServiceId): string;
  /** The fix when the host reaches the platform but not the service (404). */
  route(service: PublicServiceId, host: string): string;
  /** The fix when something in front refuses the request (401, 403). */
  refused(service: PublicServiceId): string;
}

const PLATFORMS: Record<Cloud, Platform> = {
  aws: {
    address: 'the load balancer\'s DNS name',
    terminator: 'the load balancer\'s HTTPS listener',
    front: 'the load balancer',
    unit: 'task',
    notReady: (service) => `the load balancer has no healthy target for ${service}`,
    route: (service, host) => `add a rule to the load balancer's HTTPS listener: host header ${host} -> the ${service} target group`,
    refused: () => 'look at the HTTPS listener\'s rules and any WAF web ACL on the load balancer',
  },
  azure: {
    address: 'the Container App\'s FQDN',
    terminator: 'the Container App\'s custom domain',
    front: 'the Container Apps ingress',
    unit: 'replica',
    notReady: (service) => `the ${service} Container App has no ready replica`,
    route: (service, host) => `add ${host} as a custom domain of the ${service} Container App (az containerapp hostname add, then bind its certificate)`,
    refused: (service) => `look at the ${service} Container App's ingress IP restrictions and its authentication settings`,
  },
  gcp: {
    address: 'the Cloud Run domain mapping\'s target',
    terminator: 'the Cloud Run domain mapping (or the load balancer in front of it)',
    front: 'Cloud Run',
    unit: 'container',
    notReady: (service) => `the ${service} Cloud Run service has no ready revision`,
    route: (service, host) => `map ${host} to the ${service} Cloud Run service (a domain mapping, or a load balancer with a serverless NEG)`,
    refused: (service) => `let anyone call the ${service} Cloud Run service: grant roles/run.invoker to allUsers`,
  },
};

/** What the host's record should point at, and where its certificate lives: the static files sit behind a CDN or bucket, not a service. */
export function frontOf(cloud: Cloud, service: VerifyHost['service']): Pick<Platform, 'address' | 'terminator'> {
  return service === 'static'
    ? { address: 'the endpoint of the CDN or bucket serving the static files', terminator: 'the CDN serving the static files' }
    : PLATFORMS[cloud];
}

export function platformOf(cloud: Cloud): Platform {
  return PLATFORMS[cloud];
}
