// The record of clouds: each Cloud's entry is the one chosen, narrowing happens once, and a
// missing answers block (the schema bypassed) is a bug reported as such, not another cloud.
import { describe, expect, it } from 'vitest';
import { CLOUDS } from '../../source/answers/schema.js';
import { deriveSettings, settingsFor } from '../../source/answers/settings.js';
import { adapterFor, CLI_ENV, CLOUD_MODULES, cloudName } from '../../source/clouds/index.js';
import { awsSettings, azureSettings, gcpSettings } from './fixtures.js';

describe('the clouds record', () => {
  it('has one entry per cloud, each with its own title and storage', () => {
    expect(Object.keys(CLOUD_MODULES).sort()).toEqual([...CLOUDS].sort());
    expect(CLOUDS.map(cloudName)).toEqual(['AWS ECS (Fargate)', 'Azure Container Apps', 'Google Cloud Run']);
    expect(CLOUDS.map((cloud) => CLOUD_MODULES[cloud].storage)).toEqual(['S3', 'Azure Blob Storage', 'Cloud Storage']);
  });

  it('builds the chosen cloud\'s adapter', () => {
    expect(adapterFor(awsSettings()).notes().join(' ')).toContain('Secrets Manager');
    expect(adapterFor(azureSettings()).notes().join(' ')).toContain('Key Vault');
    expect(adapterFor(gcpSettings()).notes().join(' ')).toContain('Artifact Registry');
  });

  it('refuses settings without the chosen cloud\'s block as an internal error', () => {
    const { answers } = gcpSettings();
    const bypassed = deriveSettings('default', { ...answers, cloud: 'azure' });
    expect(() => adapterFor(bypassed)).toThrow(/Internal error: the answers have no "azure" block/);
    expect(() => settingsFor(bypassed, 'aws')).toThrow(/no "aws" block/);
  });

  it('gives every CLI the env each cloud\'s CLI needs', () => {
    expect(CLI_ENV).toEqual({ AWS_PAGER: '' });
  });
});

describe('dns.zone', () => {
  it('is refused before anything runs where the installer cannot write the zone yet, and planned where it can', () => {
    const zoned = { zone: 'example.com' };
    // Cloud Run: only where the region has domain mappings; elsewhere the hosts need a load balancer, not in this version.
    const unmapped = adapterFor(gcpSettings((raw) => ((raw.dns = zoned), (raw.gcp.region = 'europe-west2'))));
    expect(unmapped.inputProblems()).toEqual(['dns.zone (--dns-zone): creating the records in a Cloud DNS managed zone for europe-west2, which has no Cloud Run domain mappings (its hosts need a global external Application Load Balancer) is not in this version; leave it out, and create the records the end screen lists.']);
    const mapped = adapterFor(gcpSettings((raw) => (raw.dns = zoned)));
    expect(mapped.inputProblems()).toEqual([]);
    expect(mapped.plan().map((step) => step.id).slice(-2)).toEqual(['dns-records', 'endpoints']);
    expect(adapterFor(gcpSettings()).plan().map((step) => step.id).slice(-2)).not.toContain('dns-records');
    const aws = adapterFor(awsSettings((raw) => (raw.dns = zoned)));
    expect(aws.inputProblems()).toEqual([]);
    expect(aws.plan().map((step) => step.id).slice(-2)).toEqual(['endpoints', 'dns-records']);
    expect(adapterFor(awsSettings()).plan().map((step) => step.id).at(-1)).toBe('endpoints');
    // Azure binds the domains before the endpoints are read, so the journal's endpoints say they are bound.
    const azure = adapterFor(azureSettings((raw) => (raw.dns = zoned)));
    expect(azure.inputProblems()).toEqual([]);
    expect(azure.plan().map((step) => step.id).slice(-2)).toEqual(['dns-records', 'endpoints']);
    expect(adapterFor(azureSettings()).plan().map((step) => step.id).slice(-2)).not.toContain('dns-records');
  });
});
