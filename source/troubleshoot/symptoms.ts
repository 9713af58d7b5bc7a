// The guide's three troubleshooting symptoms, and the cloud's words that point to each
// (ECS stoppedReason and rollout reasons, Cloud Run Ready messages, revision details).

export type SymptomId = 'start' | 'pull' | 'health';

export const SYMPTOM_TITLES: Record<SymptomId, string> = {
  start: 'Container fails to start',
  pull: 'Cannot pull image',
  health: 'Health checks failing',
};

export const PULL_PATTERN = /CannotPullContainer|pull access denied|manifest unknown|ImagePull|ErrImagePull|failed to (?:pull|resolve) image|unauthorized: |Image .* not found/i;
export const HEALTH_PATTERN = /health ?check|unhealthy|Target\.FailedHealthChecks|Target\.ResponseCodeMismatch|listen on the port|Probe of \w+ failed|probe failed|\bELB\b/i;
/** A service that did not become healthy, for a reason the two patterns above don't name. */
export const START_PATTERN = /failed: |failed to start|Essential container|exited|not ready|not healthy after/i;
