// Read-only checks before anything changes, run concurrently: az and its containerapp
// commands, the login and subscription, and the resource group, environment and Key Vault.
import type { SettingsFor } from '../../answers/settings.js';
import type { Runner } from '../../exec/runner.js';
import { definitions, fail, pass, type Check, type FailureFixes } from '../checks.js';
import { runJson } from '../cli-json.js';
import type { PreflightCheckDefinition } from '../types.js';
import { dnsZoneCheck } from './dns.js';
import { azArgv } from './names.js';

/** containerapp commands with --yaml, secrets as Key Vault references, need az 2.70 or later. */
const MIN_AZ = [2, 70];

const FIXES: FailureFixes = {
  missingCli: ['the az CLI is not installed or not on PATH', 'install it: https://learn.microsoft.com/cli/azure/install-azure-cli'],
  accessDenied: 'log in (az login) as an account that may manage Container Apps, identities, role assignments and Key Vault secrets',
  badAnswer: 'fix the azure block of the answers file',
  other: 'check network access to Azure and try again',
};

export function azurePreflight(settings: SettingsFor<'azure'>, runner: Runner): PreflightCheckDefinition[] {
  const azure = settings.answers.azure;
  const call = (...args: string[]) => runJson(runner, { argv: azArgv(azure.subscription, ...args) });
  const checks: [string, Check][] = [
    ['az CLI installed (2.70 or later)', async () => {
      const versions = await runJson(runner, { argv: ['az', 'version', '--output', 'json'] }, { attempts: 1 });
      const version = String(versions['azure-cli'] ?? '');
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < MIN_AZ[0]! || (major === MIN_AZ[0] && minor < MIN_AZ[1]!)) return fail(`az ${version || 'of unknown version'}`, 'update it: az upgrade (containerapp commands need 2.70 or later)');
      return pass(`az ${version}`);
    }],
    [`Logged in, subscription ${azure.subscription}`, async () => {
      const account = await call('account', 'show');
      if (account.state && account.state !== 'Enabled') return fail(`subscription ${account.name} is ${account.state}`, 'use an enabled subscription in azure.subscription');
      return pass(`${account.name} as ${account.user?.name ?? 'unknown user'}`);
    }],
    [`Resource group ${azure.resourceGroup}`, async () => {
      const group = await call('group', 'show', '--name', azure.resourceGroup);
      return pass(`in ${group.location}`);
    }],
    [`Container Apps environment ${azure.environment}`, async () => {
      const environment = await call('containerapp', 'env', 'show', '--name', azure.environment, '--resource-group', azure.resourceGroup);
      if (environment.properties?.provisioningState !== 'Succeeded') return fail(`${azure.environment} is ${environment.properties?.provisioningState}`, 'wait until the environment is provisioned, then run again');
      return pass(environment.properties.defaultDomain);
    }],
    [`Key Vault ${azure.keyVault}`, async () => {
      const vault = await call('keyvault', 'show', '--name', azure.keyVault);
      if (vault.properties?.enableRbacAuthorization === false) {
        return fail(`${azure.keyVault} uses access policies`, `switch it to Azure RBAC (az keyvault update --name ${azure.keyVault} --enable-rbac-authorization true): the apps' identities are granted "Key Vault Secrets User" on their secrets`);
      }
      return pass(vault.properties?.vaultUri ?? azure.keyVault);
    }],
    ...(settings.answers.dns ? [dnsZoneCheck(settings, runner, settings.answers.dns.zone)] : []),
  ];
  return definitions(checks, FIXES);
}
