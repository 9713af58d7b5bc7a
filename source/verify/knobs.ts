// Test-only knobs: the integration tests point verify at a loopback HTTPS server. Read once,
// at start-up; neither is active unless its variable is set.
//   CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE     JSON map of host -> IP address or CNAME target,
//                                           used instead of DNS (a host not in it does not resolve)
//   CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT  the port used instead of 443

const resolveMap = process.env.CREATE_MEMBRANE_DEPLOY_TEST_RESOLVE;

export const TEST_RESOLVE: ReadonlyMap<string, string> | undefined = resolveMap
  ? new Map(Object.entries(JSON.parse(resolveMap) as Record<string, string>))
  : undefined;

export const HTTPS_PORT = Number(process.env.CREATE_MEMBRANE_DEPLOY_TEST_HTTPS_PORT) || 443;
