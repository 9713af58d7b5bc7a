// argv -> a command and its options. node:util's parseArgs keeps start-up fast.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { SERVICE_IDS, type ServiceId } from './membrane/services.js';

export const COMMANDS = ['install', 'resume', 'status', 'plan', 'troubleshoot', 'verify', 'upgrade', 'rollback', 'diff', 'uninstall'] as const;
export type CommandName = (typeof COMMANDS)[number];

const OPTIONS = {
  config: { type: 'string' },
  name: { type: 'string', default: 'default' },
  yes: { type: 'boolean', default: false },
  'state-dir': { type: 'string' },
  demo: { type: 'boolean', default: false },
  'demo-fail': { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  out: { type: 'string' },
  bundle: { type: 'string' },
  cloud: { type: 'string' },
  domain: { type: 'string' },
  'dns-zone': { type: 'string' },
  'image-tag': { type: 'string' },
  'rollout-timeout': { type: 'string', default: '30' },
  'dry-run': { type: 'boolean', default: false },
  'strict-order': { type: 'boolean', default: false },
  'delete-secrets': { type: 'boolean', default: false },
  for: { type: 'string', default: 'install' },
  diff: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;
type OptionName = keyof typeof OPTIONS;

/** Every command takes these: which deployment, where its state is, and "never prompt". */
const COMMON: readonly OptionName[] = ['name', 'state-dir', 'yes', 'help', 'version'];
const ANSWERS: readonly OptionName[] = ['config', 'cloud', 'domain', 'dns-zone', 'image-tag'];
const DEPLOY: readonly OptionName[] = [...ANSWERS, 'demo', 'demo-fail', 'json', 'verbose', 'rollout-timeout', 'strict-order'];

/** The options each command reads besides COMMON; any other is refused rather than silently ignored. */
const COMMAND_OPTIONS: Record<CommandName, readonly OptionName[]> = {
  install: DEPLOY,
  resume: DEPLOY,
  status: ['json', 'demo'],
  plan: [...ANSWERS, 'demo', 'out', 'strict-order', 'for', 'diff', 'delete-secrets'],
  troubleshoot: [...ANSWERS, 'demo', 'bundle'],
  // --demo is taken only to refuse it with a reason: the demo has no real hosts.
  verify: [...ANSWERS, 'demo', 'json'],
  upgrade: DEPLOY,
  // The release's own answers: nothing to override.
  rollback: ['demo', 'demo-fail', 'json', 'verbose', 'rollout-timeout', 'strict-order'],
  diff: [...ANSWERS, 'demo', 'json', 'verbose'],
  uninstall: ['config', 'demo', 'json', 'dry-run', 'delete-secrets'],
};

export function takesOption(command: CommandName, option: string): boolean {
  return COMMON.includes(option as OptionName) || COMMAND_OPTIONS[command].includes(option as OptionName);
}

/** `--out is not an option of install; it goes with plan`: the first option the command does not take. */
function misplacedOption(command: CommandName, given: string[]): string | undefined {
  const option = given.find((name) => !takesOption(command, name));
  if (option === undefined) return undefined;
  const owners = COMMANDS.filter((other) => takesOption(other, option));
  return `--${option} is not an option of ${command}; it goes with ${owners.join(', ')}.`;
}

/** What `plan --for` writes the plan of: the commands that change the cloud. */
export const PLAN_FOR = ['install', 'upgrade', 'rollback', 'uninstall'] as const;
export type PlanFor = (typeof PLAN_FOR)[number];

export interface CliOptions {
  command: CommandName;
  config?: string;
  name: string;
  yes: boolean;
  stateDir?: string;
  demo: boolean;
  /** With --demo: the service whose simulated rollout fails. */
  demoFail?: ServiceId;
  json: boolean;
  /** With install, resume, upgrade: the review lists every step and note. */
  verbose: boolean;
  out?: string;
  /** With troubleshoot: write a support bundle (tar.gz) here. */
  bundle?: string;
  cloud?: string;
  domain?: string;
  /** Overrides "dns.zone": the zone in the same account where the installer creates the records. */
  dnsZone?: string;
  imageTag?: string;
  rolloutTimeoutMinutes: number;
  /** With install, resume, upgrade, plan: one service at a time instead of the guide's waves. */
  strictOrder: boolean;
  /** With uninstall: list what would go, remove nothing. */
  dryRun: boolean;
  /** With uninstall (and plan --for uninstall): the secrets go too (scheduled for deletion, with the store's recovery window). */
  deleteSecrets: boolean;
  /** With plan: which command's plan to write (install unless --for says otherwise). */
  planFor: PlanFor;
  /** With plan: only the steps whose state in the cloud differs (reads the cloud). */
  planDiff: boolean;
  help: boolean;
  version: boolean;
}

export const HELP = `Usage: create-membrane-deploy [command] [options]

Deploys self-hosted Membrane (7 services) to AWS ECS Fargate, Google Cloud Run or Azure Container Apps
using your own aws, gcloud or az login.

Commands:
  install (default)  answers -> preflight checks -> review -> deploy with a live table -> health
  resume             continue the interrupted install or upgrade of --name
  status             each service's state from the journal (--json: machine-readable)
  plan               write the whole plan to --out DIR; changes nothing in the cloud (--for upgrade, rollback,
                     uninstall: that command's plan instead of the install's; --diff: only what differs)
  upgrade            rolling update to --image-tag, workers before the API
  rollback           back to the previous release recorded for --name (its image tag and answers), rolled out the same way
  troubleshoot       the guide's checklist, run against the cloud; names the likely cause (exit 1 when it finds one)
  verify             DNS, TLS and health of each public URL of the domain (exit 0 all pass, 1 not)
  diff               the cloud now against what the answers make, changes by hand included (exit 0 same, 1 differs, 2 error)
  uninstall          remove what the installer created for --name, after confirmation; --dry-run lists it

Options (a command refuses one it does not take; --name, --state-dir and --yes go with every command):
  --config FILE            answers file (JSON); see README for its keys
  --name NAME              deployment name (default "default"); state is kept per name
  --yes                    never prompt; missing answers exit 2, naming each one
  --state-dir DIR          where the journal and the audit log live (default: your config dir)
  --cloud aws|azure|gcp    overrides "cloud" in the answers file (--config, --cloud, --domain, --image-tag:
                           every command but status)
  --domain DOMAIN          overrides "domain" (services get api., ui., console. subdomains)
  --dns-zone ZONE          overrides "dns.zone": the domain's zone in the same account (AWS: a Route 53 hosted
                           zone); the installer then creates the DNS records itself, and checks them
  --image-tag TAG          overrides "imageTag"
  --out DIR                with plan: where to write plan.json, the cloud's documents and deploy.sh (uninstall.sh)
  --for COMMAND            with plan: install (default), upgrade (with --image-tag), rollback (to the release rollback
                           would pick) or uninstall (reads the cloud's tags, so it needs your login; with --delete-secrets)
  --diff                   with plan: read the cloud (your login) and write only the steps whose state differs, as diff
                           compares them (install, upgrade, rollback)
  --json                   with status, verify, diff: one JSON document (the state; the checks; the differences);
                           with install, resume, upgrade, rollback, uninstall: one JSON event a line on stdout and nothing else
                           (it never prompts: a cloud changes only with --yes)
  --verbose                with install, resume, upgrade, rollback: the review lists every step and every note;
                           with diff: the steps that match too
  --bundle FILE            with troubleshoot: also write a support bundle (tar.gz, no secrets)
  --rollout-timeout MIN    with install, resume, upgrade, rollback: minutes a wave of services may take to become healthy (default 30)
  --strict-order           with install, resume, upgrade, rollback, plan: one service at a time, each healthy before the next
                           (by default the services of a wave roll out together: the three workers, then ui and console)
  --dry-run                with uninstall: list what it would remove, and remove nothing
  --delete-secrets         with uninstall, plan: delete the deployment's secrets too (AWS: after a 30-day recovery window;
                           Cloud Run: at once, Secret Manager has no recovery); plan takes it only with --for uninstall
  --demo                   the real AWS install against a simulated AWS account: no account, no CLI, nothing
                           created; resume, troubleshoot and status with --demo continue the same demo
  --demo-fail SERVICE      with --demo: make that service's rollouts of a new image fail in this run
  --help, -h               this help
  --version, -v            the version

Secrets come from the environment (or a masked prompt), never from the answers file:
  MEMBRANE_SECRET  MEMBRANE_ENCRYPTION_SECRET  MEMBRANE_MONGO_URI  MEMBRANE_REDIS_URI
  MEMBRANE_REGISTRY_PASSWORD  (and MEMBRANE_AUTH0_CLIENT_SECRET or MEMBRANE_SMTP_PASSWORD when used)

Exit codes: 0 done · 1 a step failed (state kept; resume continues) · 2 invalid input or usage · 130 interrupted
`;

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$/;

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split(/\.\s/)[0]}. Run with --help to see the options.`);
  }
  const { values, positionals, tokens } = parsed;
  const [command = 'install', ...extra] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command "${command}". Commands: ${COMMANDS.join(', ')}.`);
  }
  // Only the options given count (defaults are not); --help and --version run nothing, so they win.
  const given = tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : []));
  const misplaced = values.help || values.version ? undefined : misplacedOption(command as CommandName, given);
  if (misplaced) throw new UsageError(misplaced);
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}". Run with --help to see the usage.`);
  if (!NAME.test(values.name)) {
    throw new UsageError(`--name: "${values.name}" must be 1-30 lowercase letters, digits or hyphens (it becomes part of resource names).`);
  }
  const rolloutTimeoutMinutes = Number(values['rollout-timeout']);
  if (!Number.isFinite(rolloutTimeoutMinutes) || rolloutTimeoutMinutes <= 0) {
    throw new UsageError(`--rollout-timeout: "${values['rollout-timeout']}" must be a positive number of minutes.`);
  }
  const demoFail = values['demo-fail'];
  if (demoFail !== undefined && !(SERVICE_IDS as readonly string[]).includes(demoFail)) {
    throw new UsageError(`--demo-fail: "${demoFail}" is not a service; use one of ${SERVICE_IDS.join(', ')}.`);
  }
  if (demoFail !== undefined && !values.demo) throw new UsageError('--demo-fail only works with --demo.');
  const planFor = values.for as PlanFor;
  if (!(PLAN_FOR as readonly string[]).includes(planFor)) throw new UsageError(`--for: "${values.for}" is not a command plan writes; use one of ${PLAN_FOR.join(', ')}.`);
  if (planFor === 'uninstall' && values.diff) throw new UsageError('--diff compares the steps a deployment is made of; plan --for uninstall lists what would be removed, so it takes no --diff.');
  if (values['delete-secrets'] && command === 'plan' && planFor !== 'uninstall') throw new UsageError('--delete-secrets goes with plan --for uninstall.');
  return {
    command: command as CommandName,
    config: values.config,
    name: values.name,
    yes: values.yes,
    stateDir: values['state-dir'],
    demo: values.demo,
    demoFail: demoFail as ServiceId | undefined,
    json: values.json,
    verbose: values.verbose,
    out: values.out,
    bundle: values.bundle,
    cloud: values.cloud,
    domain: values.domain,
    dnsZone: values['dns-zone'],
    imageTag: values['image-tag'],
    rolloutTimeoutMinutes,
    strictOrder: values['strict-order'],
    dryRun: values['dry-run'],
    deleteSecrets: values['delete-secrets'],
    planFor,
    planDiff: values.diff,
    help: values.help,
    version: values.version,
  };
}
