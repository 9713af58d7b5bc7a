// A health probe in words, the same on every cloud that has them (Container Apps, Cloud Run), so
// diff says "liveness probe none → GET / every 30 s, 5 s timeout, 3 failures" instead of a hash.

/** The fields Container Apps and Cloud Run share (both follow the Kubernetes Probe). */
export interface ProbeFields {
  httpGet?: { path?: string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

/** Absent fields read as the platforms' defaults: every 10 s, 1 s timeout, 3 failures. */
export function probeWords(probe: ProbeFields | undefined): string {
  if (!probe) return 'none';
  const { periodSeconds = 10, timeoutSeconds = 1, failureThreshold = 3 } = probe;
  return `${probe.httpGet ? `GET ${probe.httpGet.path ?? '/'}` : 'TCP'} every ${periodSeconds} s, ${timeoutSeconds} s timeout, ${failureThreshold} failures`;
}

/** `startup probe GET / every 10 s… → GET /…` for each probe that differs, by name. */
export function probeChanges(live: Record<string, ProbeFields | undefined>, wanted: Record<string, ProbeFields | undefined>): string[] {
  return [...new Set([...Object.keys(wanted), ...Object.keys(live)])].flatMap((kind) => {
    const [now, then] = [probeWords(live[kind]), probeWords(wanted[kind])];
    return now === then ? [] : [`${kind} probe ${now} → ${then}`];
  });
}
