// The review's list of the user's own Google Cloud resources the deployment uses, as the answers name them.
import type { SettingsFor } from '../../answers/settings.js';
import type { ReviewResource } from '../types.js';
import { gcpNames } from './names.js';

export function gcpResources(settings: SettingsFor<'gcp'>): ReviewResource[] {
  const gcp = settings.answers.gcp;
  return [
    { label: 'Project', value: `${gcp.project}, Cloud Run in ${gcp.region}` },
    { label: 'VPC network', value: `${gcp.network}, subnet ${gcp.subnet} (needs Private Google Access and a Cloud NAT)` },
    {
      label: 'Service account',
      value: gcp.serviceAccount ?? "the project's default compute service account (set gcp.serviceAccount to a dedicated one)",
    },
    { label: 'Registry proxy', value: `Artifact Registry ${gcpNames(settings).repository}, created when missing` },
  ];
}
