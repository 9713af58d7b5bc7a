// What the user reads before anything changes: the checks, the services and the steps.
import type { Settings } from '../answers/settings.js';
import { CLOUD_MODULES } from '../clouds/index.js';
import type { Step } from '../clouds/types.js';
import { SERVICES } from '../membrane/services.js';

export function reviewLines(settings: Settings, steps: Step[], notes: string[]): string[] {
  const { answers } = settings;
  const cloud = CLOUD_MODULES[answers.cloud];
  const exposure = (id: (typeof SERVICES)[number]) =>
    id.exposure === 'public' ? `public ${settings.urls[id.subdomain!]}` : id.exposure === 'internal' ? 'internal only' : 'no ingress';
  return [
    `Deployment "${settings.name}" to ${cloud.title}, image tag ${answers.imageTag} from ${answers.registry.server}`,
    '',
    'Services (in deployment order):',
    ...SERVICES.map((spec) => {
      const size = settings.sizing[spec.id];
      return `  ${spec.id.padEnd(19)} ${`${spec.image}`.padEnd(24)} ${`${size.cpu / 1024} vCPU ${size.memory} MiB ×${size.replicas}`.padEnd(22)} ${exposure(spec)}`;
    }),
    '',
    `Storage: ${cloud.storage} buckets ${settings.buckets.tmp}, ${settings.buckets.connectors}, ${settings.buckets.static}; static files at ${settings.urls.static}`,
    `Auth: ${answers.auth.mode === 'auth0' ? `Auth0 (${answers.auth.auth0.domain})` : 'username/password'}`,
    '',
    'Steps (each looks first: what exists and matches is kept, nothing is created twice):',
    ...steps.map((step, index) => `  ${String(index + 1).padStart(2)}. ${step.title}`),
    '',
    ...notes.map((note) => `• ${note}`),
  ];
}

/** `next`: the adapter's next steps (CloudAdapter.nextSteps), when its cloud has no load balancer to point DNS at. */
export function summaryLines(settings: Settings, paths: { auditLog: string; journal: string }, next?: string[]): string[] {
  return [
    `API: ${settings.urls.api}`,
    `UI: ${settings.urls.ui}`,
    `Console: ${settings.urls.console}`,
    ...(next ?? [`Next: point DNS for api., ui. and console.${settings.answers.domain} at your load balancer and serve TLS there.`]),
    `Audit log: ${paths.auditLog}`,
    `State: ${paths.journal}`,
  ];
}
