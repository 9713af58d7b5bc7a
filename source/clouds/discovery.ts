// What the wizard can offer as choices instead of free text, per cloud. Every lookup may
// fail (no CLI, no login): the wizard then falls back to typed, validated input.

export interface Choice {
  value: string;
  name: string;
  description?: string;
}

export interface AwsDiscovery {
  /** From AWS_REGION, AWS_DEFAULT_REGION or the CLI's configured region. */
  defaultRegion(): Promise<string | undefined>;
  regions(): Promise<Choice[]>;
  clusters(region: string): Promise<Choice[]>;
  subnets(region: string): Promise<(Choice & { vpc: string })[]>;
  securityGroups(region: string): Promise<(Choice & { vpc: string })[]>;
  /** Roles that ECS tasks may assume. */
  taskRoles(): Promise<Choice[]>;
  /** Target groups of type ip (what Fargate needs). */
  targetGroups(region: string): Promise<(Choice & { vpc: string })[]>;
}

/** The lookups of every cloud that has some, by cloud: what the wizard's caller provides (the demo its own). */
export interface Discoveries {
  aws: AwsDiscovery;
}
