// What the user reads before anything changes: the services, the user's own resources it uses and the steps.
import { changedPaths, type RawAnswers } from '../answers/load.js';
import { lookAlikeWarning } from '../answers/look-alikes.js';
import type { Cloud } from '../answers/schema.js';
import { settingsFor, type Settings } from '../answers/settings.js';
import { CLOUD_MODULES } from '../clouds/index.js';
import { SCALING_STEP_PREFIX, type ReviewResource, type ServiceScaling, type Step } from '../clouds/types.js';
import { SERVICES, type ServiceId } from '../membrane/services.js';

export interface ReviewOptions {
  /** Every step on its own line and the notes in full; otherwise alike steps share a line, so the review fits a 40-row terminal. */
  verbose?: boolean;
  /** Ids of the steps already done (a resumed run): marked, and the step it resumes at named. */
  done?: ReadonlySet<string>;
  /** What preflight read from the cloud about the listed resources: each replaces the line with its label. */
  seen?: readonly ReviewResource[];
}

export function reviewLines(settings: Settings, steps: Step[], notes: string[], { verbose = false, done = new Set(), seen = [] }: ReviewOptions = {}): string[] {
  const { answers } = settings;
  const cloud = CLOUD_MODULES[answers.cloud];
  const exposure = (id: (typeof SERVICES)[number]) =>
    id.exposure === 'public' ? `public ${settings.urls[id.subdomain!]}` : id.exposure === 'internal' ? 'internal only' : 'no ingress';
  const resources = resourcesOf(answers.cloud, settings).map((resource) => seen.find((fact) => fact.label === resource.label) ?? resource);
  const width = Math.max(...resources.map((resource) => resource.label.length));
  const scaling = scalingOf(answers.cloud, settings);
  const range = Object.fromEntries(scaling.map((s) => [s.service, s.on && s.min !== s.max ? `${s.min}–${s.max} ${cloud.platform.unit}s` : `${s.min} ${cloud.platform.unit}${s.min === 1 ? '' : 's'}`]));
  const rangeWidth = Math.max(...Object.values(range).map((text) => text.length));
  return [
    `Deployment "${settings.name}" to ${cloud.title}, image tag ${answers.imageTag} from ${answers.registry.server}`,
    ...lookAlikeLines(answers.domain),
    'Services (in deployment order):',
    ...SERVICES.map((spec) => {
      const size = settings.sizing[spec.id];
      return `  ${spec.id.padEnd(19)} ${`${spec.image}`.padEnd(24)} ${`${size.cpu / 1024} vCPU ${size.memory} MiB`.padEnd(18)} ${range[spec.id]!.padEnd(rangeWidth)}  ${exposure(spec)}`;
    }),
    ...singleReplicaLine(settings),
    scalingLine(scaling),
    `Storage: ${cloud.storage} buckets ${braced([settings.buckets.tmp, settings.buckets.connectors, settings.buckets.static])}; static files at ${settings.urls.static}`,
    `Auth: ${answers.auth.mode === 'auth0' ? `Auth0 (${answers.auth.auth0.domain})` : 'username/password'}`,
    '',
    ...(resources.length ? [`Resources it will use (yours, as ${seen.length ? 'the cloud describes' : 'the answers name'} them):`, ...resources.map(({ label, value }) => `  ${label.padEnd(width)}  ${value}`), ''] : []),
    'Steps (each looks first: what exists and matches is kept, nothing is created twice):',
    ...progressLine(steps, done),
    ...(verbose ? steps.map((step, index) => `  ${String(index + 1).padStart(2)}. ${step.title}${done.has(step.id) ? '  ✔ done' : ''}`) : stepGroups(steps).map(([kind, group]) => groupLine(kind, group, done))),
    // Compact, the adapter's first note stays (what it leads with, e.g. the demo's "This is a demo"); the rest are counted.
    ...(verbose || notes.length < 2
      ? notes.map((note) => `• ${note}`)
      : [`• ${notes[0]}`, `• ${notes.length - 1} more notes on how this deployment works: --verbose shows them here, plan --out DIR writes them to plan.json.`]),
  ];
}

/**
 * What scales which service, alike ones together, in one terminal row: "Scaling (the rest are fixed):
 * api, ui, console on CPU 50 %". The table shows the ranges; the notes say why the rest are fixed.
 */
export function scalingLine(scaling: ServiceScaling[]): string {
  const groups = new Map<string, string[]>();
  for (const s of scaling.filter((s) => s.on && s.min !== s.max)) groups.set(s.on!, [...(groups.get(s.on!) ?? []), s.service]);
  if (groups.size === 0) return 'Scaling: none, every service runs a fixed count';
  const rest = scaling.length > [...groups.values()].flat().length ? ' (the rest are fixed)' : '';
  return `Scaling${rest}: ${[...groups].map(([on, services]) => `${services.join(', ')} on ${on}`).join('; ')}`;
}

/** Each service's scaling as the cloud does it (clouds/<cloud>/scaling.ts). */
export function scalingOf<C extends Cloud>(cloud: C, settings: Settings): ServiceScaling[] {
  return CLOUD_MODULES[cloud].scaling(settingsFor(settings, cloud));
}

/** Upgrade's review: the image tag every service moves from and to, and which other answers change (their paths). */
export function upgradeLine(running: RawAnswers, next: RawAnswers): string {
  const others = changedPaths(running, next).filter((path) => path !== 'imageTag');
  const tags = running.imageTag === next.imageTag ? `image tag ${String(next.imageTag)} (unchanged)` : `image tag ${String(running.imageTag)} → ${String(next.imageTag)} for every service`;
  return `Upgrade: ${tags}; ${others.length ? `other answers that change: ${others.join(', ')}` : 'no other answer changes'}.`;
}

function lookAlikeLines(domain: string): string[] {
  const warning = lookAlikeWarning(domain);
  return warning ? [`⚠ ${warning}`] : [];
}

/** The guide keeps at least 2 instances running through an update; one alone has no stand-in while it is replaced or fails. */
function singleReplicaLine(settings: Settings): string[] {
  const alone = SERVICES.filter((spec) => settings.sizing[spec.id].replicas < 2).map((spec) => spec.id);
  if (alone.length === 0) return [];
  return [`  ⚠ ${alone.join(', ')} ${alone.length > 1 ? 'run' : 'runs'} 1 replica: nothing answers while it is replaced or fails; the guide keeps at least 2 (services.ID.replicas).`];
}

function resourcesOf<C extends Cloud>(cloud: C, settings: Settings): ReviewResource[] {
  return CLOUD_MODULES[cloud].resources?.(settingsFor(settings, cloud)) ?? [];
}

/** On resume: how far it got, and where it goes on. */
function progressLine(steps: Step[], done: ReadonlySet<string>): string[] {
  const finished = steps.filter((step) => done.has(step.id)).length;
  if (finished === 0) return [];
  const next = steps.find((step) => !done.has(step.id));
  return [`  ${finished} of ${steps.length} steps already done; ${next ? `resumes at: ${next.title}` : 'nothing is left to do'}.`];
}

/** Alike steps together, where the first of them is: the services with their waits, else one kind (the id before ":", e.g. secret:KEY). */
function stepGroups(steps: Step[]): [string, Step[]][] {
  const groups = new Map<string, Step[]>();
  for (const step of steps) {
    // The scaling of the services (set after the last wave) is part of deploying them.
    const kind = step.kind === 'rollout' || step.deploys || step.id.startsWith(SCALING_STEP_PREFIX) ? 'services' : step.id.split(':')[0]!;
    groups.set(kind, [...(groups.get(kind) ?? []), step]);
  }
  return [...groups];
}

function groupLine(kind: string, group: Step[], done: ReadonlySet<string>): string {
  const finished = group.filter((step) => done.has(step.id)).length;
  const mark = finished === 0 ? '' : finished === group.length ? '  ✔ done' : `  (${finished} of ${group.length} done)`;
  const deploying = group.filter((step) => step.kind === 'action' && step.deploys);
  if (deploying.length) {
    // The waves, as the rollout steps close them: each is healthy before the next starts.
    const waves = group.reduce<ServiceId[][]>((found, step) => {
      if (step.kind === 'rollout') return [...found, []];
      if (step.deploys) found.at(-1)!.push(step.deploys);
      return found;
    }, [[]]).filter((wave) => wave.length);
    const scaling = group.filter((step) => step.id.startsWith(SCALING_STEP_PREFIX)).length;
    // The arrows are the waves (the word "waves" would push the line past a row).
    return `  ${alike(deploying).what} ×${deploying.length}: ${waves.map((wave) => wave.join(', ')).join(' → ')}${scaling ? `; autoscaling ×${scaling}` : ''}${mark}`;
  }
  if (group.length === 1) return `  ${group[0]!.title}${mark}`;
  const { what, which } = alike(group);
  // Titles that do not start alike ("membrane-apps may read …") are named by their kind and first words.
  return what ? `  ${what} ×${group.length}: ${braced(which)}${mark}` : `  ${kind[0]!.toUpperCase()}${kind.slice(1)} ×${group.length}: ${braced(which.map((title) => title.split(' ')[0]!))}${mark}`;
}

/** The words the titles start with alike ("Task definition"), and what follows in each. */
function alike(steps: Step[]): { what: string; which: string[] } {
  const titles = steps.map((step) => step.title.split(' '));
  let shared = 0;
  while (shared < titles[0]!.length - 1 && titles.every((words) => words[shared] === titles[0]![shared])) shared++;
  return { what: titles[0]!.slice(0, shared).join(' '), which: titles.map((words) => words.slice(shared).join(' ')) };
}

/** Names with a shared start written once, as a shell would expand them: membrane-{api, ui, console}. */
function braced(names: string[]): string {
  const first = names[0] ?? '';
  let shared = 0;
  while (shared < first.length && names.every((name) => name[shared] === first[shared])) shared++;
  // Up to the last - or / of what they share, so each keeps a whole word.
  const prefix = first.slice(0, Math.max(first.lastIndexOf('-', shared - 1), first.lastIndexOf('/', shared - 1)) + 1);
  return names.length < 2 || !prefix ? names.join(', ') : `${prefix}{${names.map((name) => name.slice(prefix.length)).join(', ')}}`;
}

/** `next`: what the domain still needs, from the endpoints the run read from the cloud (clouds/endpoints.ts). */
export function summaryLines(settings: Settings, paths: { auditLog: string; journal: string }, next: string[]): string[] {
  return [
    `API: ${settings.urls.api}`,
    `UI: ${settings.urls.ui}`,
    `Console: ${settings.urls.console}`,
    ...next,
    `Audit log: ${paths.auditLog}`,
    `State: ${paths.journal}`,
  ];
}
