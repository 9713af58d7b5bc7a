// Test support: a loopback HTTP proxy in front of moto that can answer instead of moto.
// Moto has no fault injection; this proxy throttles, fails with HTTP 500, denies access, loses
// the answer of a request moto carried out, slows (or holds) calls, or rewrites ECS
// DescribeServices into a FAILED rollout, one still in progress or a crash loop (crash-loop.ts), by rules matched on the
// AWS operation. It also keeps what moto drops and real ECS keeps (a service's
// enableExecuteCommand), so tests of the installer see the cloud's answers. Every request is recorded (operation and what was done with it) so tests can
// count calls. Point a child `aws` at it by overriding AWS_ENDPOINT_URL (see `env()`).
//
// Error bodies follow each protocol as botocore parses them:
//  - JSON protocol (ECS, Secrets Manager, CloudWatch Logs, Cloud Map): operation in the
//    `x-amz-target` header; error = JSON `{"__type": Code, "message": ...}`.
//  - query protocol (IAM, STS, ELBv2): form body with `Action=`; error = XML
//    `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
//  - EC2 protocol: form body with `Action=`; error = XML
//    `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
// botocore retries throttling and 5xx itself: runs that must exercise the installer's own
// retries set AWS_MAX_ATTEMPTS=1 and AWS_RETRY_MODE=standard (see NO_BOTOCORE_RETRIES).
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CrashLoops, type CrashLoopRule } from './crash-loop.js';

const HOST = '127.0.0.1';

/** Env for a child `aws` so that botocore makes exactly one attempt per call (aws CLI v1.45 / botocore 1.43 honour both). */
export const NO_BOTOCORE_RETRIES = { AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard' } as const;

export type Fault = 'throttle' | 'internal' | 'access-denied';
export type Protocol = 'json' | 'query' | 'ec2' | 'other';

export interface FaultRule {
  /** Operation name: the x-amz-target suffix (`DescribeServices`) or the form `Action` (`GetCallerIdentity`). */
  operation: string;
  /** Signing name of the service (`ecs`, `secretsmanager`, `iam`, ...) when the operation name alone is ambiguous. */
  service?: string;
  fault: Fault;
  /** Answer the first `times` matching requests, then let them through; omitted: every matching request. */
  times?: number;
  /**
   * Forward the request to moto first (it is carried out), then answer with the fault instead of
   * moto's answer: a response lost after the change was made, as when a connection drops.
   */
  afterUpstream?: boolean;
  /** Error code instead of the protocol's usual one (ThrottlingException / Throttling / RequestLimitExceeded, ...). */
  code?: string;
  message?: string;
}

export interface DelayRule {
  operation: string;
  service?: string;
  /** How long to hold each matching request; omitted: until the rule is removed (a hold). */
  ms?: number;
  /** Delay the first `times` matching requests only; omitted: every matching request. */
  times?: number;
}

export interface RecordedRequest {
  /** Order of arrival, from 0. */
  seq: number;
  time: number;
  /** Signing name from the Authorization header's credential scope (`ecs`, `sts`, ...), or '' when unsigned. */
  service: string;
  operation: string;
  protocol: Protocol;
  /** What the proxy answered instead of moto; undefined when moto answered. */
  injected?: Fault;
  /** The injected fault replaced the answer of a request moto had carried out (FaultRule.afterUpstream). */
  carriedOut?: boolean;
  /** Set when an ECS answer was rewritten (a FAILED rollout, one still in progress, a crash loop). */
  rewritten?: boolean;
  /** HTTP status sent back to the client (undefined while in flight). */
  status?: number;
  /** The request's JSON body (json protocol: ECS, Secrets Manager, Logs…). */
  input?: Record<string, unknown>;
}

export interface FaultProxy {
  port: number;
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Overrides for a child env (pointing at moto): AWS_ENDPOINT_URL of the proxy, plus NO_BOTOCORE_RETRIES unless `botocoreRetries`. */
  env(base: Record<string, string>, options?: { botocoreRetries?: boolean }): Record<string, string>;
  /** Adds a rule; rules are tried in the order added. Returns a function that removes it. */
  inject(rule: FaultRule): () => void;
  /** Delays matching requests before forwarding them (answers stay moto's). Returns the remover, which also lets held requests go on at once. */
  delay(rule: DelayRule): () => void;
  /**
   * Rewrites every DescribeServices answer: the named service's PRIMARY deployment becomes FAILED with
   * this reason, until an UpdateService with forceNewDeployment starts a new one (as on ECS).
   */
  failRollout(serviceName: string, reason: string): () => void;
  /**
   * Rewrites every DescribeServices answer into what the circuit breaker's rollback leaves: the
   * named service's new deployment FAILED with this reason, beside a PRIMARY that runs the
   * previous revision of its task definition again and has COMPLETED.
   */
  rollBack(serviceName: string, reason: string): () => void;
  /** The named service's tasks crash (see crash-loop.ts) until the returned remover is called. */
  crashLoop(serviceName: string, rule: CrashLoopRule): () => void;
  /** When the first task of a crash-looping service's current deployment failed, if one has. */
  firstCrash(serviceName: string): number | undefined;
  /**
   * Rollouts take time, as on ECS while tasks start: for `ms` after a service's deployment started
   * (its CreateService, or an UpdateService with forceNewDeployment or another task definition),
   * DescribeServices shows its PRIMARY deployment IN_PROGRESS with no task running (deployment and
   * service). Moto, started with MOTO_ECS_SERVICE_RUNNING, shows every rollout COMPLETED at once.
   */
  rolloutTakes(ms: number): () => void;
  /** Removes every rule, delay and rewrite (requests stay recorded). */
  clearRules(): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Requests for an operation (optionally of one service), optionally only those answered by a fault. */
  count(operation: string, options?: { service?: string; injected?: boolean }): number;
  /** Resolves with the first recorded request (from `since`, a seq) for the operation; rejects after timeoutMs. */
  waitFor(operation: string, options?: { service?: string; since?: number; timeoutMs?: number }): Promise<RecordedRequest>;
  /** Stops accepting connections, ends open ones, and waits until the server is closed. Safe to call twice. */
  stop(): Promise<void>;
}

/** The JSON protocol's target prefixes of the services the installer calls (for requests without a signature). */
const TARGET_PREFIX_SERVICE: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  secretsmanager: 'secretsmanager',
  Logs_20140328: 'logs',
  Route53AutoNaming_v20170314: 'servicediscovery',
};

interface Classified {
  service: string;
  operation: string;
  protocol: Protocol;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Which service and operation a request is, from its headers and (form) body. */
export function classify(headers: IncomingHttpHeaders, body: Buffer): Classified {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(header(headers, 'authorization') ?? '');
  let service = scope?.[1] ?? '';
  const target = header(headers, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    const prefix = dot >= 0 ? target.slice(0, dot) : '';
    service ||= TARGET_PREFIX_SERVICE[prefix] ?? prefix;
    return { service, operation: dot >= 0 ? target.slice(dot + 1) : target, protocol: 'json' };
  }
  const contentType = header(headers, 'content-type') ?? '';
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
    return { service, operation: action, protocol: service === 'ec2' ? 'ec2' : 'query' };
  }
  return { service, operation: '', protocol: 'other' };
}

interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The error a real AWS endpoint sends for this fault, in the request's protocol. */
export function errorAnswer(fault: Fault, request: Classified, rule: Pick<FaultRule, 'code' | 'message'> = {}): ErrorAnswer {
  const requestId = randomUUID();
  const status = fault === 'internal' ? 500 : fault === 'access-denied' && request.protocol !== 'json' ? 403 : 400;
  const denial = `User: arn:aws:sts::123456789012:assumed-role/installer/test is not authorized to perform: ${request.service || 'aws'}:${request.operation} because no identity-based policy allows the ${request.service || 'aws'}:${request.operation} action`;
  const defaults: Record<Protocol, Record<Fault, [string, string]>> = {
    json: { throttle: ['ThrottlingException', 'Rate exceeded'], internal: ['InternalFailure', 'We encountered an internal error. Please try again.'], 'access-denied': ['AccessDeniedException', denial] },
    query: { throttle: ['Throttling', 'Rate exceeded'], internal: ['InternalFailure', 'We encountered an internal error. Please try again.'], 'access-denied': ['AccessDenied', denial] },
    ec2: { throttle: ['RequestLimitExceeded', 'Request limit exceeded.'], internal: ['InternalError', 'An internal error has occurred'], 'access-denied': ['UnauthorizedOperation', `You are not authorized to perform this operation. ${denial}`] },
    other: { throttle: ['Throttling', 'Rate exceeded'], internal: ['InternalFailure', 'We encountered an internal error. Please try again.'], 'access-denied': ['AccessDenied', denial] },
  };
  const [defaultCode, defaultMessage] = defaults[request.protocol][fault];
  const code = rule.code ?? defaultCode;
  const message = rule.message ?? defaultMessage;
  if (request.protocol === 'json') {
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  if (request.protocol === 'ec2') {
    return {
      status,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse xmlns="https://${request.service || 'aws'}.amazonaws.com/doc/"><Error><Type>${fault === 'internal' ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export interface RolloutRewrite {
  reason: string;
  /** The circuit breaker rolled back to the previous revision, which completed. */
  rolledBack: boolean;
  /** Answers given so far: ECS lists the failed deployment beside the rollback only until the rollback is steady. */
  answered?: number;
}

/** How many answers show the failed deployment beside a completed rollback before ECS drops it. */
const FAILED_DEPLOYMENT_SHOWN = 3;

interface Deployment {
  status?: string;
  taskDefinition?: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  runningCount?: number;
  desiredCount?: number;
  [key: string]: unknown;
}

/** `...:task-definition/membrane-api:3` -> `...:task-definition/membrane-api:2` (never below 1). */
const previousRevision = (arn: string) => arn.replace(/:(\d+)$/, (_, revision: string) => `:${Math.max(1, Number(revision) - 1)}`);

/** The named services' rollouts rewritten as failed (an ECS DescribeServices answer). */
export function rewriteRollouts(body: unknown, rewrites: ReadonlyMap<string, RolloutRewrite>): { body: unknown; changed: boolean } {
  const services = (body as { services?: { serviceName?: string; taskDefinition?: string; deployments?: Deployment[] }[] })?.services;
  if (!Array.isArray(services)) return { body, changed: false };
  let changed = false;
  for (const service of services) {
    const rewrite = service.serviceName === undefined ? undefined : rewrites.get(service.serviceName);
    if (rewrite === undefined) continue;
    const primary = (service.deployments ?? []).find((deployment) => deployment.status === 'PRIMARY');
    if (!primary) continue;
    changed = true;
    if (!rewrite.rolledBack) {
      primary.rolloutState = 'FAILED';
      primary.rolloutStateReason = rewrite.reason;
      continue;
    }
    const previous = previousRevision(primary.taskDefinition ?? '');
    service.taskDefinition = previous;
    rewrite.answered = (rewrite.answered ?? 0) + 1;
    service.deployments = [
      { ...primary, id: `${String(primary.id)}-rollback`, taskDefinition: previous, rolloutState: 'COMPLETED', rolloutStateReason: 'ECS deployment ecs-svc/rollback completed.' },
      ...(rewrite.answered <= FAILED_DEPLOYMENT_SHOWN ? [{ ...primary, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: rewrite.reason, runningCount: 0 }] : []),
    ];
  }
  return { body, changed };
}

/**
 * The services whose deployment started less than `ms` before `now` (`started`: epoch ms by service
 * name) shown as ECS shows a rollout whose tasks are still starting (an ECS DescribeServices answer).
 */
export function rewriteStartingRollouts(body: unknown, started: ReadonlyMap<string, number>, ms: number, now = Date.now()): { body: unknown; changed: boolean } {
  const services = (body as { services?: { serviceName?: string; runningCount?: number; deployments?: Deployment[] }[] })?.services;
  if (!Array.isArray(services)) return { body, changed: false };
  let changed = false;
  for (const service of services) {
    const at = service.serviceName === undefined ? undefined : started.get(service.serviceName);
    const primary = (service.deployments ?? []).find((deployment) => deployment.status === 'PRIMARY');
    if (at === undefined || now - at >= ms || !primary) continue;
    changed = true;
    Object.assign(primary, { rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment in progress.', runningCount: 0 });
    service.runningCount = 0;
  }
  return { body, changed };
}

/** ECS answers that describe services. */
const ECS_SERVICE_ANSWERS = new Set(['CreateService', 'UpdateService', 'DescribeServices']);

/**
 * Moto drops `enableExecuteCommand` (create-service ignores it, describe-services never shows it);
 * real ECS keeps it per service and reports false when it was never set. The proxy keeps it.
 */
function keepExecuteCommand(operation: string, input: { serviceName?: string; service?: string; enableExecuteCommand?: boolean }, answer: any, kept: Map<string, boolean>): unknown {
  const name = (operation === 'CreateService' ? input.serviceName : input.service)?.split('/').pop();
  if (name !== undefined && input.enableExecuteCommand !== undefined) kept.set(name, input.enableExecuteCommand);
  for (const service of answer?.services ?? (answer?.service ? [answer.service] : [])) service.enableExecuteCommand = kept.get(service.serviceName) ?? false;
  return answer;
}

interface DeploymentInput {
  serviceName?: string;
  service?: string;
  forceNewDeployment?: boolean;
}

/** A CreateService starts a deployment; an UpdateService does when it forces one or changes the task definition. */
function noteDeployment(deployments: Map<string, { at: number; taskDefinition?: string }>, operation: string, input: DeploymentInput, answer: any): void {
  const name = (operation === 'CreateService' ? input.serviceName : input.service)?.split('/').pop();
  if (name === undefined) return;
  const taskDefinition = answer?.service?.taskDefinition as string | undefined;
  const known = deployments.get(name);
  if (operation === 'CreateService' || input.forceNewDeployment || known === undefined || known.taskDefinition !== taskDefinition) {
    deployments.set(name, { at: Date.now(), taskDefinition });
  }
}

function matches(rule: { operation: string; service?: string }, request: Classified): boolean {
  return rule.operation === request.operation && (rule.service === undefined || rule.service === request.service);
}

// Hop-by-hop headers are the proxy's own business, not the upstream's.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(headers: IncomingHttpHeaders, bodyLength?: number): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (bodyLength !== undefined && name === 'content-length') continue;
    result[name] = value;
  }
  if (bodyLength !== undefined) result['content-length'] = String(bodyLength);
  return result;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the proxy on a free loopback port, forwarding to `upstream` (moto's endpoint, `http://127.0.0.1:PORT`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  if (target.protocol !== 'http:' || (target.hostname !== HOST && target.hostname !== 'localhost')) {
    throw new Error(`fault proxy forwards to loopback http only, not ${upstream}`);
  }
  const requests: RecordedRequest[] = [];
  let faults: { rule: FaultRule; used: number }[] = [];
  interface DelayEntry {
    rule: DelayRule;
    used: number;
    /** Resolvers of the requests this rule is holding right now. */
    held: Set<() => void>;
  }
  let delays: DelayEntry[] = [];
  const releaseDelay = (entry: DelayEntry) => {
    for (const release of entry.held) release();
    entry.held.clear();
  };
  const rolloutFailures = new Map<string, RolloutRewrite>();
  const crashLoops = new CrashLoops();
  /** When each service's latest deployment started, and its task definition (kept whether or not rolloutTakes is on). */
  const deployments = new Map<string, { at: number; taskDefinition?: string }>();
  let rolloutMs = 0;
  const executeCommand = new Map<string, boolean>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const answer = (res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string) => {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { ...headers, 'content-length': String(payload.length) });
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const request = classify(req.headers, body);
    const record: RecordedRequest = { seq: seq++, time: Date.now(), ...request, ...(request.protocol === 'json' ? { input: JSON.parse(body.toString('utf8') || '{}') } : {}) };
    requests.push(record);

    const delay = delays.find((entry) => matches(entry.rule, request) && (entry.rule.times === undefined || entry.used < entry.rule.times));
    if (delay) {
      delay.used++;
      await new Promise<void>((resolve) => {
        const timer = delay.rule.ms === undefined ? undefined : setTimeout(done, delay.rule.ms);
        delay.held.add(done);
        function done() {
          if (timer) clearTimeout(timer);
          delay!.held.delete(done);
          resolve();
        }
      });
    }

    const fault = faults.find((entry) => matches(entry.rule, request) && (entry.rule.times === undefined || entry.used < entry.rule.times));
    if (fault) fault.used++;
    if (fault && !fault.rule.afterUpstream) {
      record.injected = fault.rule.fault;
      const error = errorAnswer(fault.rule.fault, request, fault.rule);
      record.status = error.status;
      answer(res, error.status, error.headers, error.body);
      return;
    }

    const describesServices = request.operation === 'DescribeServices' && request.service !== 'servicediscovery';
    const rewrite = describesServices && rolloutFailures.size > 0;
    const upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
      const forward = httpRequest(
        {
          host: target.hostname,
          port: Number(target.port),
          method: req.method,
          path: req.url,
          headers: forwardHeaders(req.headers, body.length),
        },
        resolve,
      );
      forward.once('error', reject);
      forward.end(body);
    });
    const responseHeaders = forwardHeaders(upstreamResponse.headers) as Record<string, string>;
    let payload = await readBody(upstreamResponse);
    if (fault) {
      // The change was made (or refused) upstream; the client only sees the fault.
      record.injected = fault.rule.fault;
      record.carriedOut = true;
      const error = errorAnswer(fault.rule.fault, request, fault.rule);
      record.status = error.status;
      answer(res, error.status, error.headers, error.body);
      return;
    }
    if (request.service === 'ecs' && request.operation === 'UpdateService' && upstreamResponse.statusCode === 200) {
      // As on ECS, a FAILED deployment stays FAILED until a new deployment replaces it.
      const input = record.input as { service?: string; forceNewDeployment?: boolean };
      if (input.service && input.forceNewDeployment && rolloutFailures.get(input.service)?.rolledBack === false) rolloutFailures.delete(input.service);
    }
    if (request.service === 'ecs' && (request.operation === 'CreateService' || request.operation === 'UpdateService') && upstreamResponse.statusCode === 200) {
      noteDeployment(deployments, request.operation, record.input as DeploymentInput, JSON.parse(payload.toString('utf8')));
    }
    if (describesServices && rolloutMs > 0 && upstreamResponse.statusCode === 200) {
      const starting = rewriteStartingRollouts(JSON.parse(payload.toString('utf8')), new Map([...deployments].map(([name, d]) => [name, d.at])), rolloutMs);
      if (starting.changed) {
        record.rewritten = true;
        payload = Buffer.from(JSON.stringify(starting.body), 'utf8');
      }
    }
    if (request.service === 'ecs' && crashLoops.active && upstreamResponse.statusCode === 200) {
      const input = (record.input ?? {}) as { serviceName?: string; service?: string; forceNewDeployment?: boolean };
      if (request.operation === 'CreateService' || request.operation === 'UpdateService') crashLoops.deploymentStarted(input.serviceName ?? input.service, input.forceNewDeployment === true);
      const answered = JSON.parse(payload.toString('utf8'));
      const crashed = request.operation === 'DescribeServices' ? crashLoops.describeServices(answered)
        : request.operation === 'ListTasks' ? crashLoops.listTasks(record.input ?? {}, answered)
          : request.operation === 'DescribeTasks' ? crashLoops.describeTasks(record.input ?? {}, answered) : false;
      if (crashed) {
        record.rewritten = true;
        payload = Buffer.from(JSON.stringify(answered), 'utf8');
      }
    }
    if (request.service === 'ecs' && ECS_SERVICE_ANSWERS.has(request.operation) && upstreamResponse.statusCode === 200) {
      payload = Buffer.from(JSON.stringify(keepExecuteCommand(request.operation, JSON.parse(body.toString('utf8') || '{}'), JSON.parse(payload.toString('utf8')), executeCommand)), 'utf8');
    }
    if (rewrite && upstreamResponse.statusCode === 200) {
      const rewritten = rewriteRollouts(JSON.parse(payload.toString('utf8')), rolloutFailures);
      if (rewritten.changed) {
        record.rewritten = true;
        payload = Buffer.from(JSON.stringify(rewritten.body), 'utf8');
      }
    }
    delete responseHeaders['content-length'];
    record.status = upstreamResponse.statusCode ?? 502;
    answer(res, record.status, responseHeaders, payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      // Moto unreachable or a bug here: a 502 the CLI reports, never a hang.
      if (!res.headersSent) answer(res, 502, { 'content-type': 'text/plain' }, `fault proxy: ${error.message}`);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${HOST}:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    port,
    endpoint,
    requests,
    env(base, options = {}) {
      return { ...base, AWS_ENDPOINT_URL: endpoint, ...(options.botocoreRetries ? {} : NO_BOTOCORE_RETRIES) };
    },
    inject(rule) {
      const entry = { rule, used: 0 };
      faults.push(entry);
      return () => {
        faults = faults.filter((other) => other !== entry);
      };
    },
    delay(rule) {
      const entry: DelayEntry = { rule, used: 0, held: new Set() };
      delays.push(entry);
      return () => {
        delays = delays.filter((other) => other !== entry);
        releaseDelay(entry);
      };
    },
    failRollout(serviceName, reason) {
      rolloutFailures.set(serviceName, { reason, rolledBack: false });
      return () => {
        rolloutFailures.delete(serviceName);
      };
    },
    rollBack(serviceName, reason) {
      rolloutFailures.set(serviceName, { reason, rolledBack: true });
      return () => {
        rolloutFailures.delete(serviceName);
      };
    },
    crashLoop: (serviceName, rule) => crashLoops.add(serviceName, rule),
    firstCrash: (serviceName) => crashLoops.firstFailure(serviceName),
    rolloutTakes(ms) {
      rolloutMs = ms;
      return () => {
        rolloutMs = 0;
      };
    },
    clearRules() {
      rolloutMs = 0;
      crashLoops.clear();
      faults = [];
      for (const entry of delays) releaseDelay(entry);
      delays = [];
      rolloutFailures.clear();
    },
    clearRequests() {
      requests.length = 0;
    },
    count(operation, options = {}) {
      return requests.filter(
        (r) => r.operation === operation && (options.service === undefined || r.service === options.service) && (options.injected === undefined || Boolean(r.injected) === options.injected),
      ).length;
    },
    async waitFor(operation, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      for (;;) {
        const found = requests.find((r) => r.seq >= (options.since ?? 0) && r.operation === operation && (options.service === undefined || r.service === options.service));
        if (found) return found;
        if (Date.now() >= deadline) throw new Error(`no ${options.service ? `${options.service} ` : ''}${operation} request reached the fault proxy within ${options.timeoutMs ?? 60_000} ms`);
        await sleep(10);
      }
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const entry of delays) releaseDelay(entry);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
