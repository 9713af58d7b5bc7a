// The one interface every cloud adapter implements. Adapters turn settings into steps
// (argv as data) and read the cloud's state back; the engine decides when to run what.
import type { Cloud, SecretKey, Secrets } from '../answers/schema.js';
import type { SettingsFor } from '../answers/settings.js';
import type { Command } from '../exec/command.js';
import type { Runner } from '../exec/runner.js';
import type { PublicServiceId, ServiceId } from '../membrane/services.js';
import type { Discoveries } from './discovery.js';
import type { QuestionKit } from './questions.js';

// The adapters' words for a service's phase and a step's outcome live here, not in
// engine/events.ts: adapters report them and the engine and views above pass them on,
// so the imports point down.

/** What a person sees per service in the live table. */
export type ServicePhase = 'pending' | 'creating' | 'deploying' | 'healthy' | 'failed';

/** What a step did to the cloud: made something, changed it, or found it already right. */
export type StepOutcome = 'created' | 'updated' | 'unchanged' | 'checked';

export interface PreflightResult {
  ok: boolean;
  /** What was found (a version, an account id) or what went wrong, in the CLI's words. */
  detail: string;
  /** How to fix it, when it failed. */
  fix?: string;
  /** When it passed but differs from the guide: what differs and the command that matches the guide (one a line). */
  note?: string;
  /** What the check read from the cloud about a resource the review lists: replaces that review line (same label). */
  seen?: ReviewResource[];
}

/** A read-only check; `run` never rejects: a failure is a result with ok false. */
export interface PreflightCheckDefinition {
  title: string;
  run(): Promise<PreflightResult>;
}

export type PreflightCheck = PreflightResult & { title: string };

/**
 * Values that only the cloud knows (ARNs, ids), produced by one step and read by later ones.
 * When planning without cloud access, `get` returns a readable placeholder instead.
 */
export interface Outputs {
  get(key: string): string;
}

export interface StepContext {
  runner: Runner;
  outputs: Outputs;
  /** Present when applying; plan mode has none. */
  secrets: Secrets;
  /** Tells the views what the step is waiting for ("waiting for …"), on its service's row. */
  progress(message: string): void;
  /** Aborted on the first Ctrl-C: a step that waits between tries stops at the next one. */
  stop: AbortSignal;
}

export interface StepResult {
  outcome: StepOutcome;
  outputs?: Record<string, string>;
}

export interface Artifact {
  /** Path inside the plan directory. */
  path: string;
  content: string;
}

/** Steps that store a secret are named `secret:KEY`, so the journal tells which secrets the cloud already holds. */
export const SECRET_STEP_PREFIX = 'secret:';

/**
 * A secret step's output: the version of the secret the services are to read. Readers name it in
 * their definitions (task definition, app, revision), so a new version changes exactly theirs and
 * the platform's rolling update restarts exactly them.
 */
export const secretVersionOutput = (key: SecretKey) => `${SECRET_STEP_PREFIX}${key}:version`;

/** Steps that set a service's autoscaling are named `scaling:SERVICE`; the review counts them with the services. */
export const SCALING_STEP_PREFIX = 'scaling:';

export interface ActionStep {
  kind: 'action';
  /** Stable across runs: the journal's key for resume. */
  id: string;
  title: string;
  /** The service this step creates or updates, for the live table. */
  deploys?: ServiceId;
  /** Consecutive steps with the same group run concurrently. */
  group?: string;
  /** A change makes new outputs (a new revision's ARN), so the steps after it cannot go on with the recorded ones (diff). */
  renewsOutputs?: boolean;
  /** The commands that make the change, as plan.json and deploy.sh show them. */
  preview(outputs: Outputs, secrets?: Secrets): Command[];
  /** Documents a reviewer reads (task definitions, service specs). */
  artifacts?(outputs: Outputs): Artifact[];
  /** Looks first, then creates, updates or adopts: running it twice changes nothing. */
  apply(context: StepContext): Promise<StepResult>;
}

/** Waits until the given services are healthy; the engine runs it with the adapter's observe(). */
export interface RolloutStep {
  kind: 'rollout';
  id: string;
  title: string;
  services: ServiceId[];
}

export type Step = ActionStep | RolloutStep;

/** One poll of a rollout wait: every service's state. */
export type Poll = (runner: Runner, known?: Readonly<Record<string, string>>) => Promise<ServiceObservation[]>;

export interface ServiceObservation {
  service: ServiceId;
  /** Absent when the cloud has no such service yet. */
  phase?: Exclude<ServicePhase, 'creating'>;
  running: number;
  desired: number;
  message?: string;
}

/** What the cloud says about one service, for troubleshooting. */
export interface ServiceInspection {
  service: ServiceId;
  /** False when the cloud has no such service. */
  found: boolean;
  healthy: boolean;
  /** The cloud's own words on why it is not healthy: a stopped reason, a Ready=False message, a revision's details. */
  reasons: string[];
  /** Env as deployed: plain values, and the names whose values come from the secret store. */
  env: Record<string, string>;
  secretEnv: string[];
  /** The container's port, and the port the platform sends traffic and health checks to. */
  containerPort?: number;
  checkedPort?: number;
  /** How long the platform lets the container start before health checks count, in seconds. */
  startupGraceSeconds?: number;
  /** The description as the CLI gave it, for the support bundle. */
  raw: unknown;
}

export interface ShellAccess {
  ok: boolean;
  summary: string;
  evidence: string[];
  /** How to open the way in, when it is shut. */
  fix?: string;
}

/** The cloud's half of the troubleshooting checklist. */
export interface CloudDiagnostics {
  /** Every service at once, in a handful of concurrent calls. */
  inspect(runner: Runner): Promise<ServiceInspection[]>;
  /** The service's most recent log lines, oldest first. */
  logs(runner: Runner, service: ServiceId, limit: number): Promise<string[]>;
  /** The command a person runs to read the same logs. */
  logsCommand(service: ServiceId): string;
  /** Where a container can be reached from inside the deployment's network, to test MongoDB and Redis by hand. */
  insideCommand(service: ServiceId): string;
  /** Whether insideCommand can work now (ECS Exec enabled and allowed); absent where the platform always lets you in. */
  shellAccess?(runner: Runner): Promise<ShellAccess>;
  /** Env names the platform sets itself, so the deployed env never has them (CloudEnvironment.reservedEnv). */
  reservedEnv?: readonly string[];
}

export interface CloudAdapter {
  /** Problems with the answers that only this cloud rules out (e.g. Fargate sizes); no CLI call. */
  inputProblems(): string[];
  /** Read-only checks, run concurrently before anything changes. */
  preflight(runner: Runner): PreflightCheckDefinition[];
  /** Everything the install does, in order, idempotent step by step. */
  plan(): ActionStep[];
  /**
   * Every service's state in ONE CLI call. `known` holds the outputs of the steps run so far, so an
   * adapter can tell the revision it just made from one the cloud went back to.
   */
  observe(runner: Runner, known?: Readonly<Record<string, string>>): Promise<ServiceObservation[]>;
  /**
   * For a cloud where one call cannot say everything a wait needs (Azure: why a revision is not
   * ready): a poller for one rollout wait of `services`, still ONE CLI call per poll, spreading the
   * extra reads over the wait's polls. Made afresh for each wait, so nothing read before the steps
   * that ran since is ever reported; each poll returns every service. Without it, each poll is observe().
   */
  watch?(services: readonly ServiceId[]): Poll;
  /** What the review screen says about this cloud beyond the steps (caveats, manual follow-ups). */
  notes(): string[];
  /** The cloud's half of the troubleshooting checklist. */
  diagnostics?(): CloudDiagnostics;
  /**
   * What uninstall removes, found from `known` (the journal's outputs, possibly none) and from the
   * cloud's own tags, in reverse order of creation; read-only.
   */
  uninstall(runner: Runner, known: Readonly<Record<string, string>>, options: UninstallOptions): Promise<UninstallPlan>;
}

export interface UninstallOptions {
  /** Secrets go only when asked (--delete-secrets), and then with the store's recovery window. */
  deleteSecrets: boolean;
}

/** One thing the installer made, and how it goes. */
export interface Removal {
  /** What a person reads in the list and the progress lines: "ECS service membrane-api (cluster c)". */
  title: string;
  /** The resource's type, stable for programs: ecs-service, task-definitions, iam-role, secret… */
  kind: string;
  /** The cloud's id of it (an ARN, a name). */
  id: string;
  /** Consecutive removals with the same group run concurrently (as ActionStep.group). */
  group?: string;
  /** The commands that remove it, as --dry-run shows them. */
  preview(): Command[];
  /** Looks first: what is already gone counts as removed, so a re-run finishes an interrupted uninstall. */
  remove(runner: Runner): Promise<void>;
}

export interface UninstallPlan {
  /** In the order they go: the reverse of creation. */
  removals: Removal[];
  /** What stays, and why: found under the installer's names but not made by it, secrets without --delete-secrets. */
  kept: string[];
  /** What a person should know after (a recovery window and how to restore). */
  notes: string[];
}

/** Where a cloud keeps what the troubleshooting hints point at, in that cloud's words. */
export interface TroubleshootingPlaces {
  logs: string;
  env: string;
  network: string;
  pullRoute: string;
  grace: string;
}

/** How one service scales on this cloud, for the review and status. */
export interface ServiceScaling {
  service: ServiceId;
  /** The fewest instances. */
  min: number;
  /** The most; equal to min where the service does not scale here. */
  max: number;
  /** What it scales on, in few words ("CPU 50 %"); absent when nothing scales it. */
  on?: string;
  /** Why it stays at min on this cloud although the answers allow more (absent for the orchestrator, fixed by design). */
  fixed?: string;
}

/** The short form the review and status print: "2–10 tasks on CPU 50 %", "2 (fixed)". */
export function scalingText({ min, max, on, fixed }: ServiceScaling, unit: string): string {
  const units = (n: number) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (!on) return `${units(min)} (fixed${fixed ? `: ${fixed}` : ''})`;
  if (min === max) return `${units(min)} (fixed)`;
  return `${min}–${units(max)} on ${on}`;
}

/** One line of the review's "Resources it will use": what it is for, and which one (with what the user must know of it). */
export interface ReviewResource {
  label: string;
  value: string;
}

/** The cloud's words for what stands in front of a public service, so verify's causes name what the user will look at. */
export interface PlatformWords {
  /** What a service's DNS record points at. */
  address: string;
  /** Where TLS ends, so where the certificate is attached. */
  terminator: string;
  /** What forwards requests to the service. */
  front: string;
  /** What runs the service's containers: a task, a replica. */
  unit: string;
  notReady(service: PublicServiceId): string;
  /** The fix when the host reaches the platform but not the service (404). */
  route(service: PublicServiceId, host: string): string;
  /** The fix when something in front refuses the request (401, 403). */
  refused(service: PublicServiceId): string;
}

/** Everything the installer knows about one cloud; clouds/index.ts holds one per Cloud. */
export interface CloudModule<C extends Cloud> {
  /** The platform's name, as the wizard offers it and the review and preflight print it. */
  title: string;
  /** The wizard's questions for this cloud's answers block, asked after the common ones; it picks its own lookups. */
  ask(kit: QuestionKit, discoveries: Discoveries): Promise<void>;
  /** Built from settings that hold this cloud's answers block (settingsFor narrows once). */
  adapter(settings: SettingsFor<C>): CloudAdapter;
  /** What of the user's own the deployment uses, for the review: cluster, network, roles, vault, identity… */
  resources?(settings: SettingsFor<C>): ReviewResource[];
  /** Each service's min, max and what scales it, as this cloud does it: no CLI call. */
  scaling(settings: SettingsFor<C>): ServiceScaling[];
  /** The object store the three buckets live in, as the review names it. */
  storage: string;
  where: TroubleshootingPlaces;
  platform: PlatformWords;
  /** Env its CLI needs in every call (the runner passes every cloud's to every command). */
  cliEnv: Readonly<Record<string, string>>;
}
