// What the wizard can offer as choices instead of free text, per cloud (each cloud's lookups
// are in its folder). Every lookup may fail (no CLI, no login): the wizard then falls back to
// typed, validated input.
import type { AwsDiscovery } from './aws/discovery.js';

export interface Choice {
  value: string;
  name: string;
  description?: string;
}

/** The lookups of every cloud that has some, by cloud: what the wizard's caller provides. */
export interface Discoveries {
  aws: AwsDiscovery;
}
