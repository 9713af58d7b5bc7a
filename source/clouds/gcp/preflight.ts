// Read-only checks before anything changes, run concurrently: gcloud, the login, the project,
// which of the needed APIs are on (the install enables the rest, and says so), the VPC the engine
// services leave through, and the identity the services run as. The network and IAM are the
// user's: we never change them, a failure names the gcloud command that does.
import type { SettingsFor } from '../../answers/settings.js';
import type { Arg } from '../../exec/command.js';
import { CliError } from '../../exec/errors.js';
import type { Runner } from '../../exec/runner.js';
import { definitions, fail, once, pass, type Check, type FailureFixes } from '../checks.js';
import { findOrNull, runJson } from '../cli-json.js';
import type { PreflightCheckDefinition } from '../types.js';
import { managedZoneCheck } from './dns.js';
import { DOMAIN_MAPPING_REGIONS } from './endpoints.js';
import { COMPUTE_API, gcloudArgv, REQUIRED_APIS, serviceAccounts } from './names.js';

/** Direct VPC egress (--network/--subnet on run deploy) is GA from this release on. */
const MIN_GCLOUD_MAJOR = 470;

const FIXES: FailureFixes = {
  missingCli: ['the gcloud CLI is not installed or not on PATH', 'install it: https://cloud.google.com/sdk/docs/install'],
  accessDenied: 'log in (gcloud auth login) as an account with roles Cloud Run Admin, Secret Manager Admin, Artifact Registry Admin, Service Usage Admin, Compute Network Viewer and Service Account User on the project',
  badAnswer: 'fix gcp.project / gcp.region in the answers file',
  other: 'check network access to Google Cloud and try again',
};

/** Predefined roles that carry iam.serviceAccounts.actAs. */
const ACT_AS_ROLES = ['roles/iam.serviceAccountUser', 'roles/editor', 'roles/owner'];

interface Subnetwork { network: string; ipCidrRange?: string; privateIpGoogleAccess?: boolean }
interface RouterNat { name: string; type?: 'PUBLIC' | 'PRIVATE'; sourceSubnetworkIpRangesToNat?: string; subnetworks?: { name: string }[] }
interface Router { name: string; network: string; nats?: RouterNat[] }
interface Policy { bindings?: { role: string; members?: string[] }[] }

/** Compute Engine links end in the resource's name. */
const nameOf = (link: string) => link.split('/').pop()!;

export function gcpPreflight(settings: SettingsFor<'gcp'>, runner: Runner): PreflightCheckDefinition[] {
  const { project, region, network, subnet, serviceAccount } = settings.answers.gcp;
  const gcloud = <T = any>(...args: Arg[]) => runJson<T>(runner, { argv: gcloudArgv(project, ...args) });
  const find = <T = any>(...args: Arg[]) => findOrNull<T>(runner, { argv: gcloudArgv(project, ...args) });
  // Answers two checks need, asked once.
  const activeAccount = once(async () => {
    const accounts = await runJson<{ account: string; status: string }[]>(runner, { argv: ['gcloud', 'auth', 'list', '--format=json'] });
    return (Array.isArray(accounts) ? accounts : []).find((a) => a.status === 'ACTIVE')?.account;
  });
  const projectInfo = once(() => gcloud('projects', 'describe', project));

  const checks: [string, Check][] = [
    ['gcloud CLI installed', async () => {
      const versions = await runJson(runner, { argv: ['gcloud', 'version', '--format=json'] }, { attempts: 1 });
      const sdk = String(versions['Google Cloud SDK'] ?? '');
      if (Number(sdk.split('.')[0]) < MIN_GCLOUD_MAJOR) return fail(`Google Cloud SDK ${sdk || 'of unknown version'}`, `update it to ${MIN_GCLOUD_MAJOR}.0.0 or later: gcloud components update`);
      // The end of the install reads the domain mappings, which only gcloud beta knows.
      if (DOMAIN_MAPPING_REGIONS.includes(region) && versions.beta === undefined) return fail(`Google Cloud SDK ${sdk} without its beta commands (Cloud Run domain mappings are read with gcloud beta)`, 'install them: gcloud components install beta (or your package manager\'s google-cloud-cli, which has them)');
      return pass(`Google Cloud SDK ${sdk}`);
    }],
    ['Logged in to Google Cloud', async () => {
      const account = await activeAccount();
      return account ? pass(account) : fail('no active account', 'log in: gcloud auth login (or gcloud auth activate-service-account --key-file=KEY.json)');
    }],
    [`Project ${project}`, async () => {
      const found = await projectInfo();
      if (found.lifecycleState !== 'ACTIVE') return fail(`${project} is ${found.lifecycleState}`, 'use an ACTIVE project in gcp.project');
      return pass(`number ${found.projectNumber}`);
    }],
    ['APIs: Compute Engine, Cloud Run, Secret Manager, Artifact Registry', async () => {
      const enabled = await gcloud<{ config?: { name: string } }[]>('services', 'list', '--enabled');
      const on = new Set((Array.isArray(enabled) ? enabled : []).map((service) => service.config?.name));
      if (!on.has(COMPUTE_API)) return fail(`${COMPUTE_API} is off: the VPC network and Direct VPC egress need it`, `gcloud services enable ${COMPUTE_API} --project=${project}`);
      const missing = REQUIRED_APIS.filter((api) => !on.has(api));
      return pass(missing.length ? `off: ${missing.join(', ')}; the install enables them (first step)` : 'all enabled');
    }],
    [`Subnet ${subnet} of network ${network} in ${region}, with Private Google Access`, async () => {
      const found = await find<Subnetwork>('compute', 'networks', 'subnets', 'describe', subnet, `--region=${region}`);
      if (!found) {
        // Only now does it matter whether the network is there at all.
        if (!(await find('compute', 'networks', 'describe', network))) {
          return fail(`there is no network ${network} in ${project}`, `gcloud compute networks create ${network} --subnet-mode=auto --project=${project} (its subnets take its name), or set gcp.network and gcp.subnet to an existing network and subnet`);
        }
        return fail(`network ${network} has no subnet ${subnet} in ${region}`, `gcloud compute networks subnets create ${subnet} --network=${network} --region=${region} --range=CIDR --enable-private-ip-google-access --project=${project} (CIDR: a free range, /26 or larger), or set gcp.subnet`);
      }
      if (nameOf(found.network) !== network) return fail(`subnet ${subnet} is in network ${nameOf(found.network)}, not ${network}`, `set gcp.network to ${nameOf(found.network)}, or gcp.subnet to a subnet of ${network} in ${region}`);
      // The runner has internal ingress: Cloud Run counts the engine's calls to it as internal only
      // when they leave through the VPC from a subnet with Private Google Access.
      if (!found.privateIpGoogleAccess) {
        return fail(`Private Google Access is off on ${subnet}, so the code runner (internal ingress) would refuse the engine's calls`, `gcloud compute networks subnets update ${subnet} --region=${region} --enable-private-ip-google-access --project=${project}`);
      }
      return pass(`${found.ipCidrRange ?? 'range unknown'}, Private Google Access on`);
    }],
    [`Cloud NAT for ${subnet} in ${region}`, async () => {
      // Matched here by name: gcloud sends --filter=network:NAME as a word match, which other networks' names can pass too.
      const routers = await gcloud<Router[]>('compute', 'routers', 'list', `--regions=${region}`);
      const onNetwork = (Array.isArray(routers) ? routers : []).filter((router) => nameOf(router.network) === network);
      const nats = onNetwork.flatMap((router) => (router.nats ?? []).filter((nat) => nat.type !== 'PRIVATE').map((nat) => ({ router: router.name, nat })));
      const serving = nats.find(({ nat }) => nat.sourceSubnetworkIpRangesToNat?.startsWith('ALL_SUBNETWORKS') || nat.subnetworks?.some((s) => nameOf(s.name) === subnet));
      if (serving) return pass(`${serving.nat.name} on router ${serving.router}`);
      const why = `no Cloud NAT serves ${subnet}: with all their traffic through the VPC, the engine services cannot reach MongoDB Atlas, Redis, Auth0 or SMTP`;
      const listed = nats[0];
      if (listed) {
        const ranges = [...(listed.nat.subnetworks ?? []).map((s) => nameOf(s.name)), subnet].join(',');
        return fail(why, `gcloud compute routers nats update ${listed.nat.name} --router=${listed.router} --region=${region} --nat-custom-subnet-ip-ranges=${ranges} --project=${project}`);
      }
      const createNat = (router: string) => `gcloud compute routers nats create nat-config --router=${router} --region=${region} --auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges --project=${project}`;
      const router = onNetwork[0]?.name;
      return fail(why, router ? createNat(router) : `gcloud compute routers create nat-router --network=${network} --region=${region} --project=${project}, then ${createNat('nat-router')}`);
    }],
    [`Runtime service account ${serviceAccount ?? '(the project\'s default compute one)'}`, async () => {
      const [info, me] = await Promise.all([projectInfo(), activeAccount()]);
      const email = serviceAccounts(settings, String(info.projectNumber)).runtime;
      if (!me) return fail(`no active account to act as ${email}`, 'log in: gcloud auth login');
      // gcloud has no command for IAM's testIamPermissions (the exact answer to "may I act as it?"),
      // so the project's and the account's policies are read for a role that carries actAs.
      const [found, onProject] = await Promise.all([find('iam', 'service-accounts', 'describe', email), readable(gcloud<Policy>('projects', 'get-iam-policy', project))]);
      if (!found) {
        const [name, domain] = email.split('@');
        return fail(`${email} does not exist`, !serviceAccount
          ? `gcloud services enable ${COMPUTE_API} --project=${project} (it creates the default compute service account), or set gcp.serviceAccount`
          : domain === `${project}.iam.gserviceaccount.com`
            ? `gcloud iam service-accounts create ${name} --project=${project}, or set gcp.serviceAccount to an existing one`
            : 'set gcp.serviceAccount to an existing service account');
      }
      const member = `${me.endsWith('.gserviceaccount.com') ? 'serviceAccount' : 'user'}:${me}`;
      const onAccount = grantIn(onProject, member) ? undefined : await readable(gcloud<Policy>('iam', 'service-accounts', 'get-iam-policy', email));
      const granted = grantIn(onProject, member) ?? grantIn(onAccount, member);
      if (granted) return pass(`${email}; ${me} may act as it (${granted.role}${granted.via ? ` through ${granted.via}` : ''})`);
      if (onProject === undefined || onAccount === undefined) return pass(`${email}; could not read who may act as it, so not confirmed that ${me} may`);
      return fail(`${me} holds none of ${ACT_AS_ROLES.join(', ')} on ${email} or on ${project} (custom roles and folder or organization grants are not visible here), so Cloud Run would refuse to run the services as it`,
        `gcloud iam service-accounts add-iam-policy-binding ${email} --member=${member} --role=roles/iam.serviceAccountUser --project=${project}`);
    }],
    // dns.zone is refused before preflight where the region has no domain mappings (index.ts).
    ...(settings.answers.dns && DOMAIN_MAPPING_REGIONS.includes(region) ? [managedZoneCheck(settings, runner, settings.answers.dns.zone)] : []),
  ];
  return definitions(checks, FIXES);
}

/** A policy we may not read says nothing either way. */
function readable(policy: Promise<Policy>): Promise<Policy | undefined> {
  return policy.catch((error: unknown) => {
    if (error instanceof CliError && error.kind === 'access-denied') return undefined;
    throw error;
  });
}

/** A binding that lets `member` act as service accounts: its own, or a group's or domain's it may belong to. */
function grantIn(policy: Policy | undefined, member: string): { role: string; via?: string } | undefined {
  const bindings = (policy?.bindings ?? []).filter((binding) => ACT_AS_ROLES.includes(binding.role));
  const direct = bindings.find((binding) => binding.members?.includes(member));
  if (direct) return { role: direct.role };
  for (const binding of bindings) {
    const group = binding.members?.find((m) => m.startsWith('group:') || m.startsWith('domain:'));
    if (group) return { role: binding.role, via: `${group}, if ${member.split(':')[1]} is in it` };
  }
  return undefined;
}
