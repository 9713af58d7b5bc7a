// The answers file and the secrets, as zod schemas: the single definition every input
// (file, flags, env, saved state, prompts) is validated against before any cloud call.
import { z } from 'zod';
import type { MembraneAuth, SecretKey } from '../membrane/env.js';
import { SERVICE_IDS, serviceSpec, type ServiceId } from '../membrane/services.js';

const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const HOST_AND_PORT = /^(?=.{1,253}(?::\d+)?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/i;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const PARTITION = '(?:aws|aws-cn|aws-us-gov)';
const IAM_ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role\\/[\\w+=,.@/-]+$`);
const TARGET_GROUP_ARN = new RegExp(`^arn:${PARTITION}:elasticloadbalancing:[a-z0-9-]+:\\d{12}:targetgroup\\/[\\w-]+\\/[0-9a-f]+$`);

/** The AWS partition a region is in: its ARNs and managed policies are spelled with it. */
export function awsPartition(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  return region.startsWith('cn-') ? 'aws-cn' : region.includes('-gov-') ? 'aws-us-gov' : 'aws';
}
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Every string answer: at most `max` characters (the cloud's own limit where it has one), and
 * never starting with "-": passed to a CLI as its own argv word (a log group named --debug), it
 * would be read as an option. The first failed check ends the field's checks: one problem each.
 */
const answer = (max: number) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters`, abort: true })
    .refine((value) => !value.startsWith('-'), { error: 'must not start with "-" (a CLI would read it as an option)', abort: true });

/** Far above any real secret: a bound, so that a file pasted into a variable by mistake is refused. */
const secretValue = () => z.string().max(64 * 1024, { error: 'must be at most 64 KB', abort: true });

/** DNS names are case-insensitive: kept lower case, so every name built from one matches what the cloud shows. */
const domainName = (what: string) =>
  answer(253).regex(DNS_NAME, `must be a bare DNS name like ${what} (no scheme, no path, no port)`).toLowerCase();

const smtpSchema = z.strictObject({
  host: domainName('smtp.example.com'),
  port: z.number().int().min(1).max(65535).default(587),
  user: answer(254).min(1, 'must not be empty'),
  from: answer(254).pipe(z.email('must be an email address like noreply@example.com')),
});

const authSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('password'), smtp: smtpSchema.optional() }),
  z.strictObject({
    mode: z.literal('auth0'),
    auth0: z.strictObject({ domain: domainName('your-tenant.auth0.com'), clientId: answer(256).min(1, 'must not be empty') }),
  }),
], 'must have "mode": "password" or "mode": "auth0"') satisfies z.ZodType<MembraneAuth>;

const storageSchema = z.strictObject({
  tmpBucket: answer(63).regex(S3_BUCKET, 'must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens').optional(),
  connectorsBucket: answer(63).regex(S3_BUCKET, 'must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens').optional(),
  staticBucket: answer(63).regex(S3_BUCKET, 'must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens').optional(),
  staticUri: answer(2048).pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL like https://static.example.com' })).optional(),
});

const serviceOverride = z.strictObject({
  cpu: z.number().int().positive('must be CPU units (1024 = one vCPU), e.g. 512').optional(),
  memory: z.number().int().positive('must be MiB, e.g. 2048').optional(),
  /** The fewest instances; the cloud scales between it and maxReplicas. */
  replicas: z.number().int().min(1, 'must be at least 1').max(100).optional(),
  maxReplicas: z.number().int().min(1, 'must be at least 1').max(100).optional(),
});

/** The min/max rules that need both numbers (and the catalogue's defaults): one problem per service. */
const servicesSchema = z.partialRecord(z.enum(SERVICE_IDS), serviceOverride).default({}).superRefine((services, context) => {
  for (const [id, override] of Object.entries(services) as [ServiceId, z.output<typeof serviceOverride>][]) {
    if (override?.maxReplicas === undefined) continue;
    const spec = serviceSpec(id);
    const replicas = override.replicas ?? spec.defaultReplicas;
    const path = [id, 'maxReplicas'];
    if (spec.scaling.metric === 'fixed' && override.maxReplicas !== replicas) {
      context.addIssue({ code: 'custom', path, input: override.maxReplicas, message: `must equal ${id}'s replicas (${replicas}): the ${id} never scales (it runs a fixed count for high availability); set replicas alone` });
    } else if (override.maxReplicas < replicas) {
      context.addIssue({ code: 'custom', path, input: override.maxReplicas, message: `is below services.${id}.replicas (${replicas}): replicas is the fewest instances, maxReplicas the most` });
    }
  }
});

export const awsSchema = z.strictObject({
  region: answer(32).regex(AWS_REGION, 'must be an AWS region like us-east-1'),
  cluster: answer(255).regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be an ECS cluster name (letters, digits, - and _)'),
  subnets: z.array(answer(32).regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id like subnet-0123456789abcdef0')).min(1, 'needs at least one subnet id'),
  securityGroups: z.array(answer(32).regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id like sg-0123456789abcdef0')).min(1, 'needs at least one security group id'),
  /** Pulls images and reads the secrets; when absent, the installer creates one for this deployment alone. */
  executionRoleArn: answer(2048).regex(IAM_ROLE_ARN, 'must be an IAM role ARN like arn:aws:iam::123456789012:role/ecsTaskExecutionRole').optional(),
  taskRoleArn: answer(2048).regex(IAM_ROLE_ARN, 'must be an IAM role ARN like arn:aws:iam::123456789012:role/membrane-task-role'),
  targetGroups: z.strictObject({
    api: answer(2048).regex(TARGET_GROUP_ARN, 'must be a target group ARN'),
    ui: answer(2048).regex(TARGET_GROUP_ARN, 'must be a target group ARN'),
    console: answer(2048).regex(TARGET_GROUP_ARN, 'must be a target group ARN'),
  }).superRefine((groups, context) => {
    // Each service registers its own tasks in its group; a shared one sends ui traffic to the api.
    const entries = Object.entries(groups);
    entries.forEach(([service, arn], index) => {
      const first = entries.findIndex(([, other]) => other === arn);
      if (first < index) context.addIssue({ code: 'custom', path: [service], input: arn, message: `is the same target group as ${entries[first]![0]}; each public service needs its own` });
    });
  }),
  assignPublicIp: z.boolean().default(false),
  logGroup: answer(512).regex(/^[\w#./-]{1,512}$/, 'must be a CloudWatch log group name like /ecs/membrane').optional(),
  /** Private DNS namespace (Cloud Map) through which the services reach the code runner. */
  namespace: domainName('membrane.internal').optional(),
}).superRefine((aws, context) => {
  // ECS takes roles and target groups of the service's own account, region and partition only.
  // (Checked on values that are well-formed; a malformed one already has its own problem line.)
  if (!AWS_REGION.test(aws.region)) return;
  const partition = awsPartition(aws.region);
  const arns: [(string | number)[], string | undefined][] = [
    [['executionRoleArn'], aws.executionRoleArn],
    [['taskRoleArn'], aws.taskRoleArn],
    ...Object.entries(aws.targetGroups).map(([service, arn]): [(string | number)[], string] => [['targetGroups', service], arn]),
  ];
  const accounts = new Set<string>();
  for (const [path, arn] of arns) {
    if (!arn || !(IAM_ROLE_ARN.test(arn) || TARGET_GROUP_ARN.test(arn))) continue;
    const [, arnPartition, , arnRegion, account] = arn.split(':');
    accounts.add(account!);
    if (arnPartition !== partition) context.addIssue({ code: 'custom', path, input: arn, message: `is in partition ${arnPartition}, but region ${aws.region} is in ${partition}` });
    else if (arnRegion && arnRegion !== aws.region) context.addIssue({ code: 'custom', path, input: arn, message: `is in region ${arnRegion}, not in aws.region ${aws.region}` });
  }
  if (accounts.size > 1) context.addIssue({ code: 'custom', path: ['taskRoleArn'], input: aws.taskRoleArn, message: `names accounts ${[...accounts].join(', ')}: the roles and target groups must be of the account the services run in` });
});

export const azureSchema = z.strictObject({
  subscription: answer(128).min(1, 'must not be empty'),
  resourceGroup: answer(90).regex(/^[\w.()-]{1,90}$/, 'must be a resource group name'),
  environment: answer(60).regex(/^[a-z0-9-]{2,60}$/i, 'must be a Container Apps environment name'),
  location: answer(64).regex(/^[a-z0-9]+$/, 'must be an Azure location like eastus'),
  keyVault: answer(24).regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/i, 'must be a Key Vault name (3-24 letters, digits, hyphens)'),
  /** User-assigned identity the engine apps use to read their Key Vault secrets; created when missing (the runner and ui/console have their own). */
  identity: answer(128).regex(/^[a-zA-Z0-9][\w-]{2,127}$/, 'must be a managed identity name (3-128 letters, digits, - and _)').optional(),
  /** Storage account of the three containers (buckets), reached with the same identity. */
  storageAccount: answer(24).regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3-24 lowercase letters and digits)').optional(),
});

const GCP_RESOURCE_NAME = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const gcpSchema = z.strictObject({
  project: answer(30).regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a project id like my-project (6-30 lowercase letters, digits, hyphens)'),
  region: answer(64).regex(/^[a-z]+-[a-z]+\d+$/, 'must be a Cloud Run region like us-central1'),
  /** Artifact Registry remote repository that proxies the Harbor registry. */
  repository: answer(63).regex(GCP_RESOURCE_NAME, 'must be a repository name: lowercase letters, digits and hyphens, starting with a letter').optional(),
  /** Identity the services run as; the project's default compute account when absent. */
  serviceAccount: answer(254).regex(/^[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com$/, 'must be a service account email like membrane@my-project.iam.gserviceaccount.com').optional(),
  /** VPC network and subnet for Direct VPC egress: how the engine reaches the internal runner, MongoDB and Redis. */
  network: answer(63).regex(GCP_RESOURCE_NAME, 'must be a VPC network name like default').default('default'),
  subnet: answer(63).regex(GCP_RESOURCE_NAME, 'must be a subnet name like default').default('default'),
});

export const CLOUDS = ['aws', 'azure', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

const answersObject = z.strictObject({
  cloud: z.enum(CLOUDS, `must be one of ${CLOUDS.join(', ')}`),
  domain: domainName('example.com'),
  /** The domain's DNS zone in the same account: the installer creates the records there (AWS: a Route 53 hosted zone). */
  dns: z.strictObject({
    // Cloud DNS also names its zones by resource name (example-com); the clouds' preflight finds the zone either way.
    zone: answer(253).regex(new RegExp(`${DNS_NAME.source}|^[a-z][a-z0-9-]{0,62}$`, 'i'), 'must be the zone\'s DNS name like example.com (or, on Cloud Run, its managed zone name like example-com)').toLowerCase(),
  }).optional(),
  imageTag: answer(128).regex(IMAGE_TAG, 'must be an image tag like 2025-09-19'),
  registry: z.strictObject({
    server: answer(260).regex(HOST_AND_PORT, 'must be a registry host like harbor.integration.app').default('harbor.integration.app'),
    username: answer(255).min(1, 'must not be empty'),
  }),
  auth: authSchema.default({ mode: 'password' }),
  storage: storageSchema.default({}),
  services: servicesSchema,
  aws: awsSchema.optional(),
  azure: azureSchema.optional(),
  gcp: gcpSchema.optional(),
  // Each cloud's own block, by its name: the compiler asks for the block of a new Cloud.
} satisfies Record<Cloud, z.ZodType> & z.ZodRawShape);

// The block of the chosen cloud is required; the others may stay for a later switch.
// `when` makes the check run even while other fields are wrong, so one run lists everything.
export const answersSchema = CLOUDS.reduce(
  (schema, cloud) => schema.refine((answers) => answers.cloud !== cloud || answers[cloud], requiredBlock(cloud)),
  answersObject,
);

function requiredBlock(cloud: Cloud) {
  return {
    path: [cloud],
    message: `is required when cloud is "${cloud}"`,
    when: ({ value }: { value: unknown }) => (value as { cloud?: unknown } | undefined)?.cloud === cloud,
  };
}

export type Answers = z.output<typeof answersSchema>;
export type AwsAnswers = z.output<typeof awsSchema>;

/** The secrets: never in the answers file, the state, the audit log or the plan. */
export const SECRET_ENV = {
  secret: 'MEMBRANE_SECRET',
  encryptionSecret: 'MEMBRANE_ENCRYPTION_SECRET',
  mongoUri: 'MEMBRANE_MONGO_URI',
  redisUri: 'MEMBRANE_REDIS_URI',
  registryPassword: 'MEMBRANE_REGISTRY_PASSWORD',
  auth0ClientSecret: 'MEMBRANE_AUTH0_CLIENT_SECRET',
  smtpPassword: 'MEMBRANE_SMTP_PASSWORD',
} as const satisfies Record<SecretKey, string>;

export type { SecretKey };

// Messages never echo the value: these are secrets.
export const secretsSchema = z.object({
  secret: secretValue().min(1, 'must not be empty (generate one with: openssl rand -base64 32)'),
  encryptionSecret: secretValue().min(1, 'must not be empty (generate one with: openssl rand -base64 32)'),
  mongoUri: secretValue().regex(/^mongodb(?:\+srv)?:\/\/[^\s/]+/, 'must be a MongoDB connection string starting with mongodb:// or mongodb+srv://'),
  redisUri: secretValue().regex(/^rediss?:\/\/[^\s/]+/, 'must be a Redis connection string starting with redis:// or rediss://'),
  registryPassword: secretValue().min(1, 'must not be empty (the Harbor robot account password)'),
  auth0ClientSecret: secretValue().min(1, 'must not be empty').optional(),
  smtpPassword: secretValue().min(1, 'must not be empty').optional(),
});

/**
 * The secret values given for this run. A secret already in the cloud's secret store from an
 * earlier run may be absent: the installer then keeps the stored one.
 */
export type Secrets = Partial<z.output<typeof secretsSchema>>;
