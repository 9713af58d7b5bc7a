// Each cloud's words for what stands in front of a public service (CloudModule.platform), so a
// cause names the thing the user will look at (there is no load balancer on Container Apps or Cloud Run).
import type { Cloud } from '../answers/schema.js';
import { CLOUD_MODULES } from '../clouds/index.js';
import type { PlatformWords } from '../clouds/types.js';
import type { VerifyHost } from './result.js';

/** What the host's record should point at, and where its certificate lives: the static files sit behind a CDN or bucket, not a service. */
export function frontOf(cloud: Cloud, service: VerifyHost['service']): Pick<PlatformWords, 'address' | 'terminator'> {
  return service === 'static'
    ? { address: 'the endpoint of the CDN or bucket serving the static files', terminator: 'the CDN serving the static files' }
    : platformOf(cloud);
}

export function platformOf(cloud: Cloud): PlatformWords {
  return CLOUD_MODULES[cloud].platform;
}
