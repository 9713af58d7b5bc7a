// The review's list of the user's own Azure resources the deployment uses, as the answers name them.
import type { SettingsFor } from '../../answers/settings.js';
import type { ReviewResource } from '../types.js';
import { azureNames } from './names.js';

export function azureResources(settings: SettingsFor<'azure'>): ReviewResource[] {
  const azure = settings.answers.azure;
  const names = azureNames(settings);
  return [
    { label: 'Subscription', value: azure.subscription },
    { label: 'Resource group', value: `${azure.resourceGroup} in ${azure.location}` },
    { label: 'Apps environment', value: azure.environment },
    { label: 'Key Vault', value: `${azure.keyVault} (Azure RBAC): the secrets are written here, each app reads only its own` },
    { label: 'Engine identity', value: `${names.identity('engine')}, created when missing` },
    // The installer creates no storage account and grants nothing on it: the one thing left to the user.
    { label: 'Storage account', value: `${names.storageAccount}: grant ${names.identity('engine')} "Storage Blob Data Contributor" there` },
  ];
}
