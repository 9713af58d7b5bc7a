import type { Settings } from '../answers/settings.js';
import { awsAdapter } from './aws/index.js';
import { azureAdapter } from './azure/index.js';
import { demoAdapter, type DemoOptions } from './demo/index.js';
import { gcpAdapter } from './gcp/index.js';
import type { CloudAdapter } from './types.js';

const CLOUD_NAMES = { aws: 'AWS ECS (Fargate)', azure: 'Azure Container Apps', gcp: 'Google Cloud Run' } as const;

export function cloudName(cloud: keyof typeof CLOUD_NAMES): string {
  return CLOUD_NAMES[cloud];
}

/** The cloud's adapter, or the simulated one when demo options are given (--demo). */
export function adapterFor(settings: Settings, demo?: DemoOptions): CloudAdapter {
  if (demo) return demoAdapter(settings, demo);
  const { cloud } = settings.answers;
  if (cloud === 'aws') return awsAdapter(settings);
  if (cloud === 'gcp') return gcpAdapter(settings);
  return azureAdapter(settings);
}
