// Test support: a stateful fake of the Google APIs that `gcloud` uses to deploy Membrane to Cloud Run.
// It is gcloud's HTTP PROXY (CLOUDSDK_PROXY_*), so requests arrive in absolute form
// (`GET http://us-central1-run.fake/apis/...`): gcloud prefixes the region to the Cloud Run host,
// which rules out a plain endpoint override to 127.0.0.1. Endpoint overrides point every API at a
// `*.fake` host; anything else (metadata.google.internal, oauth2.googleapis.com, a CONNECT tunnel)
// is refused and kept in `strayRequests`. The fake never opens a connection of its own.
//
// Covered: the service-account token grant, Cloud Resource Manager v1 (projects.get), Service Usage
// v1 (list, get, enable, batchEnable), Secret Manager v1 (secrets, versions, IAM, delete), Artifact
// Registry v1 (repositories, delete as a long-running operation), Cloud Run v1 (Knative services,
// IAM, domain mappings, authorized domains; their deletes), Compute Engine v1 (network, subnet and
// routers of the VPC), IAM v1 (service accounts and their policy), the project's IAM policy and
// Cloud DNS v1 (managed zones, record sets).
// Errors use Google's JSON error shapes.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const HOST = '127.0.0.1';

export interface FakeRequest {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON (or form fields of the token grant); undefined when empty. */
  body: unknown;
}
export interface StrayRequest { method: string; url: string; reason: 'foreign host' | 'CONNECT' | 'no route' }
export interface IamBinding { role: string; members: string[] }
export interface FakeSecret {
  labels: Record<string, string>;
  /** Decoded payloads; version N is versions[N - 1]. */
  versions: string[];
  iamBindings: IamBinding[];
}
/** A Knative `serving.knative.dev/v1` Service as Cloud Run's v1 API returns it. */
export type KnativeService = Record<string, any>;
/** An Artifact Registry v1 Repository (name, format, mode, description, labels, remoteRepositoryConfig, ...). */
export type FakeRepository = Record<string, any>;

export interface FakeOptions {
  project: string;
  projectNumber?: string;
  /** Where the VPC's subnet and router are (the fake's network `default` has its subnet `default` there). */
  region?: string;
  /** Holds roles/owner on the project, as whoever created it does (`serviceAccount:…` or `user:…`). */
  owner?: string;
  /** Cloud DNS managed zones of the project (public unless said), each with its SOA and NS record sets. */
  managedZones?: { name: string; dnsName: string; visibility?: 'public' | 'private'; recordSets?: FakeRecordSet[] }[];
}
/** A Cloud DNS v1 ResourceRecordSet. */
export interface FakeRecordSet { name: string; type: string; ttl: number; rrdatas: string[] }
/** The network the fake has: `default`, with subnet `default` and a Cloud Router in the fake's region. */
export interface FakeVpc {
  network: boolean;
  privateGoogleAccess: boolean;
  /** The router has a NAT config for all subnets; without it, the router has none. */
  nat: boolean;
}

export interface GcpFake {
  port: number;
  project: string;
  projectNumber: string;
  readonly requests: readonly FakeRequest[];
  readonly strayRequests: readonly StrayRequest[];
  services(): Record<string, KnativeService>;
  secrets(): Record<string, FakeSecret>;
  /** Keyed by `LOCATION/REPO`. */
  repositories(): Record<string, FakeRepository>;
  /** The Cloud Run IAM policy bindings of a service. */
  serviceIamBindings(name: string): IamBinding[];
  enabledApis(): string[];
  /** Ready (or failed) after this many GETs/lists of a service since its last change (0: at once). */
  setReadyAfterPolls(n: number): void;
  /**
   * Time instead of polls: a service is Ready (or failed) at the first GET/list `ms` or more after
   * its last change, however often it is read before; `null` goes back to setReadyAfterPolls.
   */
  setReadyAfterMs(ms: number | null): void;
  /** Every later revision of `name` fails its health check; `null` heals it. */
  failRevision(name: string, message?: string | null): void;
  /** Later revisions of `name` whose image has tag `tag` fail (a broken release); `null` heals it. */
  failImageTag(name: string, tag: string | null): void;
  /** What `gcloud logging read` returns for a service (oldest first); `null` forgets them. */
  setLogs(name: string, lines: string[] | null): void;
  /** Cloud Run domain mappings, keyed by domain (domains.cloudrun.com/v1 DomainMapping objects). */
  domainMappings(): Record<string, Record<string, any>>;
  /** Domains the caller has verified (Search Console; `gcloud domains verify`); default none. */
  setVerifiedDomains(domains: string[]): void;
  /** The record sets of a Cloud DNS managed zone, by its name. */
  recordSets(zone: string): FakeRecordSet[];
  /** DNS now resolves: every domain mapping's Google-managed certificate is provisioned (Ready). */
  provisionCertificates(): void;
  disableApi(api: string): void;
  /** Changes the VPC (defaults: all true). */
  setVpc(change: Partial<FakeVpc>): void;
  /** Replaces the project's IAM policy bindings (default: roles/owner for `owner`). */
  setProjectIamBindings(bindings: IamBinding[]): void;
  /** Replaces a service account's own IAM policy bindings (default: none), creating the account if needed. */
  setServiceAccountIamBindings(email: string, bindings: IamBinding[]): void;
  /** Forgets all state, recorded requests and knobs. */
  reset(): void;
  stop(): Promise<void>;
}

// Titles as Google prints them in SERVICE_DISABLED errors and `services list`.
const API_TITLES: Record<string, string> = {
  'run.googleapis.com': 'Cloud Run Admin API',
  'secretmanager.googleapis.com': 'Secret Manager API',
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'logging.googleapis.com': 'Cloud Logging API',
  'compute.googleapis.com': 'Compute Engine API',
  'dns.googleapis.com': 'Cloud DNS API',
};
// Cloud Run's reserved env names (container runtime contract), spelled out here on purpose: the
// fake states the rule independently of the code under test.
const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];
// Predefined roles that carry iam.serviceAccounts.actAs, likewise stated here on their own.
const ACT_AS_ROLES = ['roles/iam.serviceAccountUser', 'roles/editor', 'roles/owner'];
// The fake's hosts are `<api>.fake`, plus `<region>-run.fake` (Cloud Run's regional endpoint).
const FAKE_APIS = new Set(['token', 'serviceusage', 'cloudresourcemanager', 'secretmanager', 'artifactregistry', 'iam', 'logging', 'run', 'compute', 'dns']);
function parseHost(host: string): { api: string; region?: string } | undefined {
  const m = host.match(/^(?:([a-z0-9-]+)-(?=run\.fake$))?([a-z]+)\.fake$/);
  return m && FAKE_APIS.has(m[2]) ? { api: m[2], region: m[1] } : undefined;
}

class HttpError extends Error {
  /** `status` is absent in Compute Engine's errors, which carry `errors[]` instead. */
  constructor(readonly code: number, readonly status: string | undefined, message: string, readonly details?: unknown[], readonly errors?: unknown[]) {
    super(message);
  }
}
const notFound = (message: string) => new HttpError(404, 'NOT_FOUND', message);

/** JSON with sorted keys: gcloud re-serialises what it read in its own field order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
const clone = <T>(value: T): T => structuredClone(value);
const now = () => new Date().toISOString();
const suffix = () => Array.from(randomBytes(3), (b) => String.fromCharCode(97 + (b % 26))).join('');

interface RunState {
  region: string;
  object: KnativeService;
  template: string; // canonical template of the latest revision
  revisions: number;
  polls: number; // GETs/lists since the last change
  changedAt: number; // epoch ms of the last change
  settled: boolean;
  iam: IamBinding[];
}

export async function startGcpFakeServer(options: FakeOptions): Promise<GcpFake> {
  const { project, region = 'us-central1', owner } = options;
  const projectNumber = options.projectNumber ?? '123456789012';
  const requests: FakeRequest[] = [];
  const strayRequests: StrayRequest[] = [];
  let enabled = new Set(Object.keys(API_TITLES));
  let secrets = new Map<string, FakeSecret & { createTime: string; checksums: (string | undefined)[] }>();
  let repos = new Map<string, FakeRepository>();
  let run = new Map<string, RunState>();
  let readyAfterPolls = 1;
  let readyAfterMs: number | null = null;
  let failures = new Map<string, string | undefined>();
  let failingTags = new Map<string, string>();
  /** Log lines per Cloud Run service, oldest first (setLogs). */
  let logs = new Map<string, string[]>();
  /** Domain mappings by domain, and the domains the caller verified. */
  let mappings = new Map<string, Record<string, any>>();
  let verified: string[] = [];
  /** Cloud DNS: record sets by zone name, keyed `NAME TYPE`. */
  const newZones = () => new Map((options.managedZones ?? []).map((z) => [z.name, new Map<string, FakeRecordSet>([
    [`${z.dnsName} SOA`, { name: z.dnsName, type: 'SOA', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300'] }],
    [`${z.dnsName} NS`, { name: z.dnsName, type: 'NS', ttl: 21600, rrdatas: [1, 2, 3, 4].map((n) => `ns-cloud-a${n}.googledomains.com.`) }],
    ...(z.recordSets ?? []).map((set): [string, FakeRecordSet] => [`${set.name} ${set.type}`, clone(set)]),
  ])]));
  let zones = newZones();
  const DEFAULT_VPC: FakeVpc = { network: true, privateGoogleAccess: true, nat: true };
  let vpc = { ...DEFAULT_VPC };
  const defaultProjectIam = (): IamBinding[] => (owner ? [{ role: 'roles/owner', members: [owner] }] : []);
  let projectIam = defaultProjectIam();
  /** Service accounts by email with their own IAM bindings; the project's default compute account exists. */
  const defaultAccounts = () => new Map<string, IamBinding[]>([[`${projectNumber}-compute@developer.gserviceaccount.com`, []]]);
  let accounts = defaultAccounts();

  const ourProject = (p: string) => p === project || p === projectNumber;
  const checkProject = (p: string) => {
    // Google answers 403 (not 404) for projects you cannot see, so as not to reveal they exist.
    if (!ourProject(p)) throw new HttpError(403, 'PERMISSION_DENIED', `Permission denied on resource project ${p}.`);
  };

  function serviceDisabled(api: string): HttpError {
    const title = API_TITLES[api] ?? api;
    const url = `https://console.developers.google.com/apis/api/${api}/overview?project=${projectNumber}`;
    const message = `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
    return new HttpError(403, 'PERMISSION_DENIED', message, [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: api, consumer: `projects/${projectNumber}`, activationUrl: url, containerInfo: projectNumber, serviceTitle: title } },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url }] },
    ]);
  }

  // ---- Cloud Run (Knative) ----------------------------------------------------------------------
  const serviceUrl = (name: string, region: string) => `https://${name}-${projectNumber}.${region}.run.app`;
  const conditions = (status: string, reason?: string, message?: string) =>
    ['Ready', 'ConfigurationsReady', 'RoutesReady'].map((type) => ({ type, status, ...(reason && { reason }), ...(message && { message }), lastTransitionTime: now() }));

  /** The control plane finishing its work: the revision became ready, or failed its health check. */
  function settle(name: string, state: RunState): void {
    const { object } = state;
    const revision = object.status.latestCreatedRevisionName as string;
    object.status.observedGeneration = object.metadata.generation;
    object.status.url = serviceUrl(name, state.region);
    object.status.address = { url: object.status.url };
    const image = String(object.spec.template.spec.containers?.[0]?.image ?? '');
    if (failures.has(name) || (failingTags.has(name) && image.endsWith(`:${failingTags.get(name)}`))) {
      const message = failures.get(name) ?? `Revision '${revision}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=${object.spec.template.spec.containers?.[0]?.ports?.[0]?.containerPort ?? 8080} environment variable.`;
      object.status.conditions = conditions('False', 'HealthCheckContainerError', message);
    } else {
      object.status.conditions = conditions('True');
      object.status.latestReadyRevisionName = revision;
      object.status.traffic = [{ revisionName: revision, percent: 100, latestRevision: true }];
    }
    state.settled = true;
  }

  function poll(name: string, state: RunState): KnativeService {
    const due = readyAfterMs === null ? ++state.polls >= readyAfterPolls : Date.now() - state.changedAt >= readyAfterMs;
    if (!state.settled && due) settle(name, state);
    return clone(state.object);
  }

  /** Create (POST) or replace (PUT): bump the generation, cut a revision if the template changed. */
  function writeService(region: string, body: KnativeService, existing: RunState | undefined): KnativeService {
    const name = body.metadata.name as string;
    body.spec ??= {};
    const template = (body.spec.template ??= {});
    template.spec = { containerConcurrency: 80, timeoutSeconds: 300, ...template.spec }; // server defaults
    const metadata = body.metadata;
    const previous = existing?.object;
    const generation = (previous?.metadata.generation ?? 0) + 1;
    const ingress = metadata.annotations?.['run.googleapis.com/ingress'] ?? 'all';
    Object.assign(metadata, {
      namespace: projectNumber,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${projectNumber}/services/${name}`,
      uid: previous?.metadata.uid ?? randomUUID(),
      resourceVersion: Buffer.from(randomBytes(9)).toString('base64'),
      generation,
      creationTimestamp: previous?.metadata.creationTimestamp ?? now(),
      labels: { ...metadata.labels, 'cloud.googleapis.com/location': region },
      annotations: {
        ...metadata.annotations,
        'serving.knative.dev/creator': previous?.metadata.annotations['serving.knative.dev/creator'] ?? 'deployer',
        'serving.knative.dev/lastModifier': 'deployer',
        'run.googleapis.com/ingress': ingress,
        'run.googleapis.com/ingress-status': ingress,
        'run.googleapis.com/urls': JSON.stringify([serviceUrl(name, region)]),
      },
    });
    const state: RunState = existing ?? { region, object: body, template: '', revisions: 0, polls: 0, changedAt: Date.now(), settled: false, iam: [] };
    const status = { ...previous?.status, conditions: conditions('Unknown'), observedGeneration: previous?.metadata.generation };
    // gcloud puts a random `client.knative.dev/nonce` label in the template it sends, so every
    // `run deploy` cuts a revision; a replace that changes only the service's own metadata does not.
    if (canonical(template) !== state.template) {
      state.revisions += 1;
      state.template = canonical(template);
      status.latestCreatedRevisionName = `${name}-${String(state.revisions).padStart(5, '0')}-${suffix()}`;
    }
    body.apiVersion = 'serving.knative.dev/v1';
    body.kind = 'Service';
    body.spec.traffic ??= [{ percent: 100, latestRevision: true }];
    body.status = status;
    Object.assign(state, { object: body, polls: 0, changedAt: Date.now(), settled: false });
    run.set(name, state);
    if (readyAfterMs === null ? readyAfterPolls <= 0 : readyAfterMs <= 0) settle(name, state);
    return clone(body);
  }

  /** The container runtime contract's names: Cloud Run sets them and refuses a revision that does. */
  function refuseReservedEnv(body: KnativeService): void {
    const containers: { env?: { name: string }[] }[] = body?.spec?.template?.spec?.containers ?? [];
    containers.forEach((container, i) => {
      const reserved = (container.env ?? []).map((e) => e.name).filter((n) => RESERVED_ENV.includes(n));
      if (reserved.length) {
        throw new HttpError(400, 'INVALID_ARGUMENT', `spec.template.spec.containers[${i}].env: The following reserved env names were provided: ${reserved.join(', ')}. These values are automatically set by the system.`);
      }
    });
  }

  /**
   * Cloud Run checks every secret a revision references when it is deployed (run/docs/configuring/secrets):
   * the version, `latest` or a number, must exist, or the deploy fails.
   */
  function refuseMissingSecretVersions(body: KnativeService): void {
    const containers: { env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[] = body?.spec?.template?.spec?.containers ?? [];
    containers.forEach((container, i) => (container.env ?? []).forEach((e, j) => {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) return;
      const secret = secrets.get(ref.name);
      const n = ref.key === 'latest' ? secret?.versions.length : /^[1-9]\d*$/.test(ref.key) ? Number(ref.key) : NaN;
      if (!secret || !(n! >= 1 && n! <= secret.versions.length)) {
        throw new HttpError(400, 'INVALID_ARGUMENT', `spec.template.spec.containers[${i}].env[${j}].value_from.secret_key_ref.name: Secret ${secretName(ref.name)}/versions/${ref.key} was not found`);
      }
    }));
  }

  /**
   * Cloud Run's Probe rules (run.googleapis.com Container.startupProbe/livenessProbe): one handler;
   * timeoutSeconds 1-3600 (default 1); periodSeconds at least 1 and at most 240 for a startup probe,
   * 3600 for a liveness one (default 10), never below timeoutSeconds; failureThreshold at least 1;
   * initialDelaySeconds 0-240 (startup) or 0-3600 (liveness).
   */
  function refuseBadProbes(body: KnativeService): void {
    type Probe = { httpGet?: unknown; tcpSocket?: unknown; grpc?: unknown; timeoutSeconds?: number; periodSeconds?: number; failureThreshold?: number; initialDelaySeconds?: number };
    const containers: { startupProbe?: Probe; livenessProbe?: Probe }[] = body?.spec?.template?.spec?.containers ?? [];
    containers.forEach((container, i) => {
      for (const [kind, max] of [['startupProbe', 240], ['livenessProbe', 3600]] as const) {
        const probe = container[kind];
        if (!probe) continue;
        const field = `spec.template.spec.containers[${i}].${kind}`;
        const bad = (what: string) => { throw new HttpError(400, 'INVALID_ARGUMENT', `${field}.${what}`); };
        if ([probe.httpGet, probe.tcpSocket, probe.grpc].filter(Boolean).length > 1) bad('handler: exactly one of httpGet, tcpSocket or grpc may be set.');
        const { timeoutSeconds = 1, periodSeconds = 10, failureThreshold = 3, initialDelaySeconds = 0 } = probe;
        if (timeoutSeconds < 1 || timeoutSeconds > 3600) bad(`timeoutSeconds: must be between 1 and 3600, got ${timeoutSeconds}.`);
        if (periodSeconds < 1 || periodSeconds > max) bad(`periodSeconds: must be between 1 and ${max}, got ${periodSeconds}.`);
        if (periodSeconds < timeoutSeconds) bad(`periodSeconds: must be greater than or equal to timeoutSeconds (${timeoutSeconds}), got ${periodSeconds}.`);
        if (failureThreshold < 1) bad(`failureThreshold: must be at least 1, got ${failureThreshold}.`);
        if (initialDelaySeconds < 0 || initialDelaySeconds > max) bad(`initialDelaySeconds: must be between 0 and ${max}, got ${initialDelaySeconds}.`);
      }
    });
  }

  /**
   * Cloud Run runs a revision as its service account only for a caller who may act as it: here the
   * owner, through a role that carries iam.serviceAccounts.actAs on the project or on the account.
   */
  function refuseUnlessActAs(body: KnativeService): void {
    const email: string = body?.spec?.template?.spec?.serviceAccountName ?? `${projectNumber}-compute@developer.gserviceaccount.com`;
    const grants = (bindings: IamBinding[] = []) => bindings.some((b) => ACT_AS_ROLES.includes(b.role) && b.members.includes(owner!));
    if (owner && !(accounts.has(email) && (grants(projectIam) || grants(accounts.get(email))))) {
      throw new HttpError(403, 'PERMISSION_DENIED', `Permission 'iam.serviceaccounts.actAs' denied on service account ${email} (or it may not exist).`);
    }
  }

  // ---- Routes ---------------------------------------------------------------------------------------
  /** `m` is the path match; `region` comes from a `<region>-run.fake` host. */
  type Handler = (m: RegExpMatchArray, req: FakeRequest, region: string | undefined) => unknown;
  const routes: [string, string, RegExp, Handler][] = [];
  const route = (method: string, api: string, path: RegExp, handler: Handler) => routes.push([method, api, path, handler]);

  // The JWT-bearer grant of a service account (activate-service-account, then token refreshes).
  route('POST', 'token', /^\/token$/, () => ({ access_token: `ya29.fake-${randomUUID()}`, expires_in: 3600, token_type: 'Bearer' }));

  route('GET', 'cloudresourcemanager', /^\/v1\/projects\/([^/]+)$/, ([, p]) => {
    if (!ourProject(p)) throw new HttpError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
    return { projectNumber, projectId: project, lifecycleState: 'ACTIVE', name: project, createTime: '2024-01-01T00:00:00.000Z' };
  });

  const enableOperation = (ids: string[], single: boolean) => {
    ids.forEach((id) => enabled.add(id));
    const response = single
      ? { '@type': 'type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse', service: apiEntry(ids[0]) }
      : { '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse', services: ids.map(apiEntry) };
    // Done at once: gcloud reads `done` and does not poll.
    return { name: `operations/acf.p2-${projectNumber}-${randomUUID()}`, done: true, response };
  };
  const apiEntry = (api: string) => ({ name: `projects/${projectNumber}/services/${api}`, config: { name: api, title: API_TITLES[api] ?? api }, state: 'ENABLED', parent: `projects/${projectNumber}` });
  route('GET', 'serviceusage', /^\/v1\/projects\/([^/]+)\/services$/, ([, p], req) => {
    checkProject(p);
    const wantDisabled = req.query.filter === 'state:DISABLED';
    const names = wantDisabled ? Object.keys(API_TITLES).filter((a) => !enabled.has(a)) : [...enabled].sort();
    return { services: names.map((a) => ({ ...apiEntry(a), state: wantDisabled ? 'DISABLED' : 'ENABLED' })) };
  });
  // `gcloud run deploy` first checks that run.googleapis.com is enabled (and offers to enable it).
  route('GET', 'serviceusage', /^\/v1\/projects\/([^/]+)\/services\/([^/:]+)$/, ([, p, api]) => {
    checkProject(p);
    return { ...apiEntry(api), state: enabled.has(api) ? 'ENABLED' : 'DISABLED' };
  });
  // `services enable A B C` batches; `services enable A` (and run deploy's auto-enable) may use `A:enable`.
  route('POST', 'serviceusage', /^\/v1\/projects\/([^/]+)\/services:batchEnable$/, ([, p], req) => {
    checkProject(p);
    return enableOperation((req.body as { serviceIds?: string[] })?.serviceIds ?? [], false);
  });
  route('POST', 'serviceusage', /^\/v1\/projects\/([^/]+)\/services\/([^/:]+):enable$/, ([, p, api]) => (checkProject(p), enableOperation([api], true)));

  // ---- Secret Manager: names carry the project number, as Google's do.
  const secretName = (s: string) => `projects/${projectNumber}/secrets/${s}`;
  const getSecret = (p: string, s: string) => {
    checkProject(p);
    const secret = secrets.get(s);
    if (!secret) throw notFound(`Secret [${secretName(s)}] not found or has no versions.`);
    return secret;
  };
  const secretBody = (s: string) => {
    const secret = secrets.get(s)!;
    return { name: secretName(s), replication: { automatic: {} }, createTime: secret.createTime, labels: secret.labels, etag: `"${secret.versions.length}"` };
  };
  const versionBody = (s: string, n: number) => ({ name: `${secretName(s)}/versions/${n}`, createTime: now(), state: 'ENABLED', replicationStatus: { automatic: {} }, etag: `"${n}"`, clientSpecifiedPayloadChecksum: true });
  route('GET', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+)$/, ([, p, s]) => (getSecret(p, s), secretBody(s)));
  route('POST', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets$/, ([, p], req) => {
    checkProject(p);
    const id = req.query.secretId;
    if (secrets.has(id)) throw new HttpError(409, 'ALREADY_EXISTS', `Secret [${secretName(id)}] already exists.`);
    const body = (req.body ?? {}) as { labels?: Record<string, string> };
    secrets.set(id, { labels: body.labels ?? {}, versions: [], iamBindings: [], createTime: now(), checksums: [] });
    return secretBody(id);
  });
  route('POST', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+):addVersion$/, ([, p, s], req) => {
    const secret = getSecret(p, s);
    const payload = (req.body as { payload?: { data?: string; dataCrc32c?: string } })?.payload ?? {};
    secret.versions.push(Buffer.from(payload.data ?? '', 'base64').toString('utf8'));
    secret.checksums.push(payload.dataCrc32c);
    return versionBody(s, secret.versions.length);
  });
  route('GET', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+)\/versions\/([^/:]+):access$/, ([, p, s, v]) => {
    const secret = getSecret(p, s);
    const n = v === 'latest' ? secret.versions.length : Number(v);
    if (!(n >= 1 && n <= secret.versions.length)) throw notFound(`Secret Version [${secretName(s)}/versions/${v}] not found.`);
    const dataCrc32c = secret.checksums[n - 1];
    return { name: `${secretName(s)}/versions/${n}`, payload: { data: Buffer.from(secret.versions[n - 1]).toString('base64'), ...(dataCrc32c && { dataCrc32c }) } };
  });
  route('GET', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+):getIamPolicy$/, ([, p, s]) => {
    const { iamBindings } = getSecret(p, s);
    return iamBindings.length ? { version: 1, etag: 'BwXfake0', bindings: iamBindings } : { etag: 'ACAB' };
  });
  route('POST', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+):setIamPolicy$/, ([, p, s], req) => {
    const secret = getSecret(p, s);
    secret.iamBindings = clone((req.body as { policy?: { bindings?: IamBinding[] } })?.policy?.bindings ?? []);
    return { version: 1, etag: 'BwXfake0', bindings: secret.iamBindings };
  });

  route('GET', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets$/, ([, p]) => {
    checkProject(p);
    return { secrets: [...secrets.keys()].sort().map(secretBody), totalSize: secrets.size };
  });
  // `secrets delete` counts the versions first (for its prompt): a missing secret is a 404 there.
  route('GET', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+)\/versions$/, ([, p, s]) => {
    const secret = getSecret(p, s);
    const versions = secret.versions.map((_, i) => versionBody(s, i + 1)).reverse();
    return { versions, totalSize: versions.length };
  });
  // Deleting a secret destroys every version at once: no recovery window (secret-manager/docs/delete-secrets).
  route('DELETE', 'secretmanager', /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+)$/, ([, p, s]) => {
    getSecret(p, s);
    secrets.delete(s);
    return {};
  });

  // ---- Artifact Registry: names carry the project id.
  route('GET', 'artifactregistry', /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/:]+)$/, ([, p, l, r]) => {
    checkProject(p);
    const repo = repos.get(`${l}/${r}`);
    if (!repo) throw notFound('Requested entity was not found.');
    return repo;
  });
  route('POST', 'artifactregistry', /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/repositories$/, ([, p, l], req) => {
    checkProject(p);
    const id = req.query.repositoryId;
    if (repos.has(`${l}/${id}`)) throw new HttpError(409, 'ALREADY_EXISTS', 'the repository already exists');
    const repo = { ...(req.body as object), name: `projects/${project}/locations/${l}/repositories/${id}`, createTime: now(), updateTime: now() };
    repos.set(`${l}/${id}`, repo);
    // A long-running operation, finished at once.
    return { name: `projects/${project}/locations/${l}/operations/${randomUUID()}`, done: true, response: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.Repository', ...repo } };
  });

  // repositories.delete answers a long-running operation that is not done yet; the repository goes
  // when it is (here: at the first operations.get), which gcloud polls for unless --async.
  const pendingDeletes = new Map<string, string>();
  route('DELETE', 'artifactregistry', /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/:]+)$/, ([, p, l, r]) => {
    checkProject(p);
    if (!repos.has(`${l}/${r}`)) throw notFound('Requested entity was not found.');
    const name = `projects/${project}/locations/${l}/operations/${randomUUID()}`;
    pendingDeletes.set(name, `${l}/${r}`);
    return { name, metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' } };
  });
  route('GET', 'artifactregistry', /^\/v1\/(projects\/([^/]+)\/locations\/([^/]+)\/operations\/[^/:]+)$/, ([, name, p]) => {
    checkProject(p);
    const repo = pendingDeletes.get(name);
    if (repo === undefined) throw notFound(`Operation ${name} not found.`);
    repos.delete(repo);
    return { name, done: true, metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' }, response: { '@type': 'type.googleapis.com/google.protobuf.Empty' } };
  });

  // ---- Cloud Run v1: Knative services (the host carries the region) and their IAM policy.
  const runPath = /^\/apis\/serving\.knative\.dev\/v1\/namespaces\/([^/]+)\/services(?:\/([^/:]+))?$/;
  const inRegion = (region: string, name: string) => (run.get(name)?.region === region ? run.get(name) : undefined);
  const knativeNotFound = (region: string, name: string) => notFound(`Resource '${name}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`);
  // Knative calls go to the regional host only.
  function regional(region: string | undefined): string {
    if (!region) throw notFound('Knative services are served by <region>-run.googleapis.com');
    return region;
  }
  route('GET', 'run', runPath, ([, p, name], _req, host) => {
    const region = regional(host);
    checkProject(p);
    if (!name) {
      const items = [...run].filter(([, s]) => s.region === region).map(([n, s]) => poll(n, s));
      return { apiVersion: 'serving.knative.dev/v1', kind: 'ServiceList', metadata: {}, items, unreachable: [] };
    }
    const state = inRegion(region, name);
    if (!state) throw knativeNotFound(region, name);
    return poll(name, state);
  });
  route('POST', 'run', runPath, ([, p, name], req, host) => {
    const region = regional(host);
    checkProject(p);
    const body = req.body as KnativeService;
    if (name || !body?.metadata?.name) throw new HttpError(400, 'INVALID_ARGUMENT', 'metadata.name is required');
    if (run.has(body.metadata.name)) throw new HttpError(409, 'ALREADY_EXISTS', `Resource '${body.metadata.name}' already exists.`);
    refuseReservedEnv(body);
    refuseMissingSecretVersions(body);
    refuseBadProbes(body);
    refuseUnlessActAs(body);
    return writeService(region, clone(body), undefined);
  });
  route('PUT', 'run', runPath, ([, p, name], req, host) => {
    const region = regional(host);
    checkProject(p);
    const state = name ? inRegion(region, name) : undefined;
    if (!state) throw knativeNotFound(region, name ?? '');
    refuseReservedEnv(req.body as KnativeService);
    refuseMissingSecretVersions(req.body as KnativeService);
    refuseBadProbes(req.body as KnativeService);
    refuseUnlessActAs(req.body as KnativeService);
    return writeService(region, clone(req.body as KnativeService), state);
  });
  // namespaces.services.delete answers a Knative Status; the service, its revisions and its IAM policy go.
  // A domain mapping to it stays (dangling), as Cloud Run's do.
  route('DELETE', 'run', runPath, ([, p, name], _req, host) => {
    const region = regional(host);
    checkProject(p);
    const state = name ? inRegion(region, name) : undefined;
    if (!state) throw knativeNotFound(region, name ?? '');
    run.delete(name!);
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name, group: 'serving.knative.dev', kind: 'services', uid: state.object.metadata.uid } };
  });
  const runIam = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/:]+):(getIamPolicy|setIamPolicy|testIamPermissions)$/;
  const iamHandler: Handler = ([, p, region, name, verb], req) => {
    checkProject(p);
    // Deploying a new service without --[no-]allow-unauthenticated first asks whether the caller may
    // set its policy (to decide whether to offer the choice); the service need not exist yet.
    if (verb === 'testIamPermissions') return { permissions: (req.body as { permissions?: string[] })?.permissions ?? [] };
    const state = inRegion(region, name);
    if (!state) throw knativeNotFound(region, name);
    if (verb === 'setIamPolicy') state.iam = clone((req.body as { policy?: { bindings?: IamBinding[] } })?.policy?.bindings ?? []);
    return state.iam.length ? { version: 1, etag: 'BwXfake0', bindings: state.iam } : { etag: 'ACAB' };
  };
  // Not Knative calls: gcloud sends get/setIamPolicy to the global host (`run.fake`) and
  // testIamPermissions to the regional one.
  route('GET', 'run', runIam, iamHandler);
  route('POST', 'run', runIam, iamHandler);

  // ---- Cloud Run domain mappings (domains.cloudrun.com/v1, regional host), as `gcloud beta run
  // domain-mappings` reads and creates them. Only in the regions that have them
  // (cloud.google.com/run/docs/mapping-custom-domains, "Limitations"), stated here on their own.
  const DOMAIN_MAPPING_REGIONS = ['asia-east1', 'asia-northeast1', 'asia-southeast1', 'europe-north1', 'europe-west1', 'europe-west4', 'us-central1', 'us-east1', 'us-east4', 'us-west1'];
  const mappingPath = /^\/apis\/domains\.cloudrun\.com\/v1\/namespaces\/([^/]+)\/domainmappings(?:\/([^/:]+))?$/;
  const PENDING = 'Waiting for certificate provisioning. You must configure your DNS records for certificate issuance to begin.';
  const mappingConditions = (ready: boolean) => [
    { type: 'Ready', status: ready ? 'True' : 'Unknown', ...(!ready && { reason: 'CertificatePending', message: PENDING }), lastTransitionTime: now() },
    { type: 'CertificateProvisioned', status: ready ? 'True' : 'Unknown', ...(!ready && { reason: 'CertificatePending', message: PENDING }), lastTransitionTime: now() },
    { type: 'DomainRoutable', status: 'True', lastTransitionTime: now() },
  ];
  function mappingRegion(host: string | undefined): string {
    const region = regional(host);
    // The fake's wording: what Google answers in the other regions is not documented.
    if (!DOMAIN_MAPPING_REGIONS.includes(region)) throw notFound(`fake: Cloud Run domain mappings are not available in ${region}`);
    return region;
  }
  route('GET', 'run', mappingPath, ([, p, domain], _req, host) => {
    const region = mappingRegion(host);
    checkProject(p);
    const inThisRegion = [...mappings.values()].filter((m) => m.metadata.labels['cloud.googleapis.com/location'] === region);
    if (!domain) return { apiVersion: 'domains.cloudrun.com/v1', kind: 'DomainMappingList', metadata: {}, items: clone(inThisRegion) };
    const found = inThisRegion.find((m) => m.metadata.name === domain);
    if (!found) throw notFound(`Resource '${domain}' of kind 'DOMAIN_MAPPING' in region '${region}' in project '${project}' does not exist.`);
    return clone(found);
  });
  route('POST', 'run', mappingPath, ([, p, name], req, host) => {
    const region = mappingRegion(host);
    checkProject(p);
    const body = req.body as Record<string, any>;
    const domain: string | undefined = body?.metadata?.name;
    if (name || !domain) throw new HttpError(400, 'INVALID_ARGUMENT', 'metadata.name is required');
    if (!verified.some((v) => domain === v || domain.endsWith(`.${v}`))) throw new HttpError(403, 'PERMISSION_DENIED', `Caller is not authorized to administer the domain ${domain}. If you own ${domain}, you can obtain authorization by verifying ownership of the domain, or any of its parent domains, via the Webmaster Central portal: https://www.google.com/webmasters/verification/verification?domain=${domain}. We recommend verifying ownership of the largest scope you wish to use with subdomains (eg. verify 'example.com' if you wish to map 'subdomain.example.com').`);
    if (mappings.has(domain)) throw new HttpError(409, 'ALREADY_EXISTS', `Resource '${domain}' already exists.`);
    const routeName = body.spec?.routeName as string | undefined;
    if (!routeName || !inRegion(region, routeName)) throw new HttpError(400, 'INVALID_ARGUMENT', `spec.routeName: Service '${routeName}' does not exist in region '${region}'.`);
    const subdomain = domain.split('.').length > 2 ? domain.split('.').slice(0, -2).join('.') : undefined;
    const mapping = {
      apiVersion: 'domains.cloudrun.com/v1', kind: 'DomainMapping',
      metadata: { ...body.metadata, namespace: projectNumber, selfLink: `/apis/domains.cloudrun.com/v1/namespaces/${projectNumber}/domainmappings/${domain}`, uid: randomUUID(),
        resourceVersion: Buffer.from(randomBytes(9)).toString('base64'), generation: 1, creationTimestamp: now(),
        labels: { ...body.metadata.labels, 'cloud.googleapis.com/location': region }, annotations: { ...body.metadata.annotations, 'serving.knative.dev/creator': 'deployer', 'serving.knative.dev/lastModifier': 'deployer' } },
      spec: { certificateMode: 'AUTOMATIC', ...body.spec },
      // A subdomain gets a CNAME to ghs.googlehosted.com.; an apex domain A and AAAA records (not needed here).
      status: { conditions: mappingConditions(false), observedGeneration: 1, mappedRouteName: routeName,
        resourceRecords: subdomain ? [{ name: subdomain, type: 'CNAME', rrdata: 'ghs.googlehosted.com.' }] : [{ type: 'A', rrdata: '216.239.32.21' }] },
    };
    mappings.set(domain, mapping);
    return clone(mapping);
  });
  route('DELETE', 'run', mappingPath, ([, p, domain], _req, host) => {
    const region = mappingRegion(host);
    checkProject(p);
    const found = domain ? mappings.get(domain) : undefined;
    if (!found || found.metadata.labels['cloud.googleapis.com/location'] !== region) throw notFound(`Resource '${domain}' of kind 'DOMAIN_MAPPING' in region '${region}' in project '${project}' does not exist.`);
    mappings.delete(domain!);
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name: domain, group: 'domains.cloudrun.com', kind: 'domainmappings', uid: found.metadata.uid } };
  });
  // `create` first lists the domains the caller verified (global host).
  route('GET', 'run', /^\/v1\/projects\/([^/]+)\/authorizeddomains$/, ([, p], _req, host) => {
    if (host) throw notFound('authorized domains are served by run.googleapis.com');
    checkProject(p);
    return { domains: verified.map((id) => ({ name: `projects/${project}/authorizedDomains/${id}`, id })) };
  });

  // ---- Cloud DNS v1 (dns.googleapis.com/dns/v1), as gcloud 528 calls it: `dns managed-zones list`
  // is managedZones.list, `dns record-sets list` rrsets.list, `create` rrsets.create, `delete` rrsets.delete.
  // Errors carry `errors[]` with Cloud DNS's reasons (cloud.google.com/dns/docs/troubleshooting).
  const dnsError = (code: number, reason: string, message: string) => new HttpError(code, undefined, message, undefined, [{ domain: 'global', reason, message }]);
  const zoneOf = (p: string, name: string) => {
    checkProject(p);
    const sets = zones.get(name);
    if (!sets) throw dnsError(404, 'notFound', `The 'parameters.managedZone' resource named '${name}' does not exist.`);
    return { zone: options.managedZones!.find((z) => z.name === name)!, sets };
  };
  route('GET', 'dns', /^\/dns\/v1\/projects\/([^/]+)\/managedZones$/, ([, p], req) => {
    checkProject(p);
    const wanted = req.query.dnsName;
    return { kind: 'dns#managedZonesListResponse', managedZones: (options.managedZones ?? []).filter((z) => !wanted || z.dnsName === wanted).map((z, i) => ({
      kind: 'dns#managedZone', name: z.name, dnsName: z.dnsName, id: String(4_000_000_000_000_000 + i), description: '', visibility: z.visibility ?? 'public', creationTime: now(),
      nameServers: zones.get(z.name)!.get(`${z.dnsName} NS`)!.rrdatas })) };
  });
  route('GET', 'dns', /^\/dns\/v1\/projects\/([^/]+)\/managedZones\/([^/]+)\/rrsets$/, ([, p, z], req) => {
    const { sets } = zoneOf(p, z);
    // rrsets.list: type narrows a name, and needs one.
    if (req.query.type && !req.query.name) throw dnsError(400, 'required', "Required value 'name' is missing when 'type' is given.");
    const listed = [...sets.values()].filter((set) => (!req.query.name || set.name === req.query.name) && (!req.query.type || set.type === req.query.type));
    return { kind: 'dns#resourceRecordSetsListResponse', rrsets: listed.map((set) => ({ kind: 'dns#resourceRecordSet', ...clone(set) })) };
  });
  route('POST', 'dns', /^\/dns\/v1\/projects\/([^/]+)\/managedZones\/([^/]+)\/rrsets$/, ([, p, z], req) => {
    const { zone, sets } = zoneOf(p, z);
    const body = req.body as FakeRecordSet;
    const where = `entity.change.additions[${body.name}][${body.type}]`;
    if (!body.name?.endsWith('.') || !(body.name === zone.dnsName || body.name.endsWith(`.${zone.dnsName}`))) throw dnsError(400, 'invalid', `Invalid value for '${where}.name': '${body.name}'`);
    if (!body.rrdatas?.length || !body.ttl) throw dnsError(400, 'required', `Required value for '${where}.rrdatas' and '.ttl'`);
    if (sets.has(`${body.name} ${body.type}`)) throw dnsError(409, 'alreadyExists', `The resource '${where}' named '${body.name} (${body.type})' already exists`);
    // RFC 1034 3.6.2: a CNAME is the only record at its name.
    const beside = [...sets.values()].find((set) => set.name === body.name && (set.type === 'CNAME' || body.type === 'CNAME'));
    if (beside) throw dnsError(400, 'cnameResourceRecordSetConflict', `The resource '${where}' named '${body.name} (${body.type})' cannot be created because a ${beside.type} record set exists at that name: a CNAME cannot coexist with other records.`);
    if (body.type === 'CNAME' && body.rrdatas.length > 1) throw dnsError(400, 'invalid', `Invalid value for '${where}.rrdata': a CNAME has one target`);
    const set = { name: body.name, type: body.type, ttl: body.ttl, rrdatas: [...body.rrdatas] };
    sets.set(`${set.name} ${set.type}`, set);
    return { kind: 'dns#resourceRecordSet', ...clone(set) };
  });

  route('DELETE', 'dns', /^\/dns\/v1\/projects\/([^/]+)\/managedZones\/([^/]+)\/rrsets\/([^/]+)\/([^/]+)$/, ([, p, z, name, type]) => {
    const { sets } = zoneOf(p, z);
    if (!sets.delete(`${name} ${type}`)) throw dnsError(404, 'notFound', `The 'entity.resourceRecordSet' resource named '${name} (${type})' does not exist.`);
    return {};
  });

  // ---- Compute Engine v1: what the preflight reads of the VPC. Links are www.googleapis.com ones,
  // as Google's are whatever endpoint was asked; errors are Compute's (`errors[]`, no `status`).
  const computeLink = (path: string) => `https://www.googleapis.com/compute/v1/projects/${project}/${path}`;
  const computeNotFound = (path: string) => {
    const message = `The resource 'projects/${project}/${path}' was not found`;
    return new HttpError(404, undefined, message, undefined, [{ message, domain: 'global', reason: 'notFound' }]);
  };
  const networkPath = 'global/networks/default';
  const subnetPath = `regions/${region}/subnetworks/default`;
  route('GET', 'compute', /^\/compute\/v1\/projects\/([^/]+)\/global\/networks\/([^/]+)$/, ([, p, n]) => {
    checkProject(p);
    if (!vpc.network || n !== 'default') throw computeNotFound(`global/networks/${n}`);
    return {
      kind: 'compute#network', id: '4000000000000000001', creationTimestamp: '2024-01-01T00:00:00.000-08:00', name: n,
      description: 'Default network for the project', selfLink: computeLink(networkPath), autoCreateSubnetworks: true,
      subnetworks: [computeLink(subnetPath)], routingConfig: { routingMode: 'REGIONAL' }, networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    };
  });
  route('GET', 'compute', /^\/compute\/v1\/projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/, ([, p, r, n]) => {
    checkProject(p);
    if (!vpc.network || r !== region || n !== 'default') throw computeNotFound(`regions/${r}/subnetworks/${n}`);
    return {
      kind: 'compute#subnetwork', id: '4000000000000000002', creationTimestamp: '2024-01-01T00:00:00.000-08:00', name: n,
      network: computeLink(networkPath), ipCidrRange: '10.128.0.0/20', gatewayAddress: '10.128.0.1', region: computeLink(`regions/${r}`),
      selfLink: computeLink(subnetPath), privateIpGoogleAccess: vpc.privateGoogleAccess, fingerprint: 'fakeFp0=', purpose: 'PRIVATE', stackType: 'IPV4_ONLY',
    };
  });
  route('GET', 'compute', /^\/compute\/v1\/projects\/([^/]+)\/regions\/([^/]+)\/routers$/, ([, p, r]) => {
    checkProject(p);
    const items = vpc.network && r === region
      ? [{
          kind: 'compute#router', id: '4000000000000000003', creationTimestamp: '2024-01-01T00:00:00.000-08:00', name: 'nat-router',
          region: computeLink(`regions/${r}`), network: computeLink(networkPath), selfLink: computeLink(`regions/${r}/routers/nat-router`),
          ...(vpc.nat && { nats: [{ name: 'nat-config', natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES', type: 'PUBLIC', endpointTypes: ['ENDPOINT_TYPE_VM'], enableEndpointIndependentMapping: false, autoNetworkTier: 'PREMIUM' }] }),
        }]
      : [];
    return { kind: 'compute#routerList', id: `projects/${project}/regions/${r}/routers`, ...(items.length && { items }), selfLink: computeLink(`regions/${r}/routers`) };
  });

  // ---- IAM v1 service accounts (gcloud addresses them as projects/-/serviceAccounts/EMAIL) and the project's policy.
  const policy = (bindings: IamBinding[]) => (bindings.length ? { version: 1, etag: 'BwXfake0', bindings: clone(bindings) } : { etag: 'ACAB' });
  const account = (email: string) => {
    const bindings = accounts.get(email);
    if (!bindings) throw new HttpError(404, 'NOT_FOUND', 'Unknown service account');
    return bindings;
  };
  route('GET', 'iam', /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)$/, ([, , email]) => {
    account(email);
    const [id] = email.split('@');
    return { name: `projects/${project}/serviceAccounts/${email}`, projectId: project, uniqueId: '100000000000000000002', email, displayName: id.endsWith('-compute') ? 'Compute Engine default service account' : id, etag: 'MDEwMjE5MjA=', oauth2ClientId: '100000000000000000002' };
  });
  route('POST', 'iam', /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):getIamPolicy$/, ([, , email]) => policy(account(email)));
  route('POST', 'cloudresourcemanager', /^\/v1\/projects\/([^/:]+):getIamPolicy$/, ([, p]) => (checkProject(p), policy(projectIam)));

  // ---- Cloud Logging v2: entries:list, newest first, for `gcloud logging read` filtered by service name.
  route('POST', 'logging', /^\/v2\/entries:list$/, (_m, req) => {
    const { filter = '', pageSize = 50 } = (req.body ?? {}) as { filter?: string; pageSize?: number };
    const service = /resource\.labels\.service_name="([^"]+)"/.exec(filter)?.[1];
    const lines = (service && logs.get(service)) || [];
    const entries = lines.map((textPayload, i) => ({
      logName: `projects/${project}/logs/run.googleapis.com%2Fstdout`,
      resource: { type: 'cloud_run_revision', labels: { service_name: service } },
      textPayload,
      timestamp: new Date(Date.now() - (lines.length - i) * 1000).toISOString(),
    }));
    return { entries: entries.reverse().slice(0, pageSize) };
  });

  // ---- The proxy itself -----------------------------------------------------------------------------
  function reply(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    // Origin-form (`GET /path`) means someone talked to 127.0.0.1 directly, not through the proxy.
    const url = URL.canParse(req.url ?? '') ? new URL(req.url ?? '') : undefined;
    const target = url?.protocol === 'http:' ? parseHost(url.hostname) : undefined;
    if (!url || !target) {
      strayRequests.push({ method: req.method ?? '', url: url?.href ?? req.url ?? '', reason: 'foreign host' });
      return reply(res, 502, { error: { code: 502, message: `the test proxy reaches only *.fake hosts, not ${req.url}`, status: 'UNAVAILABLE' } });
    }
    const host = url.hostname;
    const type = req.headers['content-type'] ?? '';
    let body: unknown;
    if (raw) body = type.includes('json') ? JSON.parse(raw) : type.includes('urlencoded') ? Object.fromEntries(new URLSearchParams(raw)) : raw;
    const query = Object.fromEntries(url.searchParams);
    const entry: FakeRequest = { method: req.method ?? '', host, path: decodeURIComponent(url.pathname), query, body };
    requests.push(entry);
    try {
      // Service Usage, Resource Manager and the token endpoint are never gated.
      const api = `${target.api}.googleapis.com`;
      if (api in API_TITLES && !enabled.has(api)) throw serviceDisabled(api);
      for (const [method, routeApi, pathRe, handler] of routes) {
        const m = method === entry.method && routeApi === target.api ? entry.path.match(pathRe) : null;
        if (m) return reply(res, 200, handler(m, entry, target.region));
      }
      strayRequests.push({ method: entry.method, url: url.href, reason: 'no route' });
      throw notFound(`The fake has no route for ${entry.method} ${host}${entry.path}`);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const { code, message, status, details, errors } = error;
      reply(res, code, { error: { code, message, ...(status && { status }), ...(details && { details }), ...(errors && { errors }) } });
    }
  }

  // Every socket is tracked so that stop() can end kept-alive connections, not wait for them.
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        reply(res, 500, { error: { code: 500, message: `fake error: ${(error as Error).message}`, status: 'INTERNAL' } });
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // HTTPS through the proxy (e.g. to a real googleapis.com host) is never tunnelled.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    strayRequests.push({ method: 'CONNECT', url: req.url ?? '', reason: 'CONNECT' });
    socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;

  return {
    port,
    project,
    projectNumber,
    requests,
    strayRequests,
    services: () => Object.fromEntries([...run].map(([name, s]) => [name, clone(s.object)])),
    secrets: () => Object.fromEntries([...secrets].map(([name, s]) => [name, clone({ labels: s.labels, versions: s.versions, iamBindings: s.iamBindings })])),
    repositories: () => Object.fromEntries([...repos].map(([key, r]) => [key, clone(r)])),
    serviceIamBindings: (name) => clone(run.get(name)?.iam ?? []),
    enabledApis: () => [...enabled].sort(),
    setReadyAfterPolls: (n) => void (readyAfterPolls = n),
    setReadyAfterMs: (ms) => void (readyAfterMs = ms),
    failRevision: (name, message) => void (message === null ? failures.delete(name) : failures.set(name, message)),
    failImageTag: (name, tag) => void (tag === null ? failingTags.delete(name) : failingTags.set(name, tag)),
    setLogs: (name, lines) => void (lines === null ? logs.delete(name) : logs.set(name, lines)),
    domainMappings: () => Object.fromEntries([...mappings].map(([domain, m]) => [domain, clone(m)])),
    recordSets: (zone) => clone([...(zones.get(zone)?.values() ?? [])]),
    setVerifiedDomains: (domains) => void (verified = [...domains]),
    provisionCertificates() {
      for (const mapping of mappings.values()) mapping.status.conditions = mappingConditions(true);
    },
    disableApi: (api) => void enabled.delete(api),
    setVpc: (change) => void Object.assign(vpc, change),
    setProjectIamBindings: (bindings) => void (projectIam = clone(bindings)),
    setServiceAccountIamBindings: (email, bindings) => void accounts.set(email, clone(bindings)),
    reset() {
      requests.length = strayRequests.length = 0;
      [enabled, secrets, repos, run, failures, failingTags, logs] = [new Set(Object.keys(API_TITLES)), new Map(), new Map(), new Map(), new Map(), new Map(), new Map()];
      [mappings, verified, zones] = [new Map(), [], newZones()];
      [vpc, projectIam, accounts] = [{ ...DEFAULT_VPC }, defaultProjectIam(), defaultAccounts()];
      pendingDeletes.clear();
      readyAfterPolls = 1;
      readyAfterMs = null;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
