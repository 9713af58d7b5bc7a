// Health: GET the service's health path over HTTPS; it must answer 2xx within 5 s. Each other
// answer names what stands between the user and the service, in the cloud's words.
import { request } from 'node:https';
import type { Cloud } from '../answers/schema.js';
import type { PublicServiceId } from '../membrane/services.js';
import { HTTPS_PORT } from './knobs.js';
import { platformOf } from './platform.js';
import { failed, passed, type CheckContext, type CheckResult } from './result.js';

const TIMEOUT_MS = 5_000;

type Answer = { status: number; location?: string; seconds: number } | { error: Error };

/** One GET to the address DNS gave, with the host's name as SNI and Host header; settles within TIMEOUT_MS. */
function get(host: string, address: string, path: string): Promise<Answer> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  return new Promise((resolve) => {
    const req = request({
      host: address,
      port: HTTPS_PORT,
      path,
      servername: host,
      headers: { host: HTTPS_PORT === 443 ? host : `${host}:${HTTPS_PORT}`, 'user-agent': 'create-membrane-deploy verify' },
      agent: false,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }, (res) => {
      // The status is the answer; the body is not needed.
      resolve({ status: res.statusCode ?? 0, location: res.headers.location, seconds: seconds() });
      req.destroy();
    });
    req.once('error', (error) => resolve({ error }));
    req.end();
  });
}

export async function checkHealth(host: string, service: PublicServiceId, address: string, path: string, { cloud, troubleshoot }: CheckContext): Promise<CheckResult> {
  const answer = await get(host, address, path);
  if ('error' in answer) {
    return answer.error.name === 'AbortError'
      ? failed('health', `GET ${path}  no answer within ${TIMEOUT_MS / 1000} s`,
        `${host} accepts the connection but the ${service} service does not answer GET ${path} within ${TIMEOUT_MS / 1000} s`, troubleshoot)
      : failed('health', `GET ${path}  failed (${(answer.error as NodeJS.ErrnoException).code ?? answer.error.message})`,
        `the connection to ${host} broke before an answer: ${answer.error.message}`, troubleshoot);
  }
  const detail = `GET ${path}  answered ${answer.status} in ${answer.seconds.toFixed(1)} s`;
  if (answer.status >= 200 && answer.status < 300) return passed('health', detail);
  const { cause, fix } = explain(answer.status, answer.location, host, service, path, cloud, troubleshoot);
  return failed('health', detail, cause, fix);
}

function explain(status: number, location: string | undefined, host: string, service: PublicServiceId, path: string, cloud: Cloud, troubleshoot: string): { cause: string; fix: string } {
  const platform = platformOf(cloud);
  if (status === 503) return { cause: `${platform.notReady(service)}: the service is not ready`, fix: troubleshoot };
  if (status === 502) return { cause: `${platform.front} got no valid answer from the ${service} ${platform.unit}: it closed the connection, or nothing listens on port 5000`, fix: troubleshoot };
  if (status === 504) return { cause: `${platform.front} waited in vain for the ${service} ${platform.unit} to answer`, fix: troubleshoot };
  if (status >= 500) return { cause: `the ${service} service fails (${status})`, fix: `${troubleshoot} (it reads the service's logs)` };
  if (status === 404) return { cause: `${host} reaches the platform but not the ${service} service (${path} is not found)`, fix: platform.route(service, host) };
  if (status === 401 || status === 403) return { cause: `something in front of the ${service} service refuses the request (${status})`, fix: platform.refused(service) };
  if (status >= 300 && status < 400) return { cause: `${path} redirects to ${location ?? 'nowhere (no Location)'} instead of answering`, fix: `make ${host} forward to the ${service} service instead of redirecting` };
  return { cause: `the ${service} service answers ${path} with ${status}`, fix: troubleshoot };
}
