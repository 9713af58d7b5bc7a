import { describe, expect, it } from 'vitest';
import { symptomFor } from '../../source/troubleshoot/hints.js';

describe('symptomFor', () => {
  it('names the symptom of a failed rollout in the words of its cloud', () => {
    const pull = symptomFor('api failed: CannotPullContainerError: pull access denied for harbor.integration.app/core/api', 'aws')!;
    expect(pull.title).toBe('Cannot pull image');
    const start = "Wait until api is healthy: api failed: Revision 'membrane-api-00001-abc' is not ready and cannot serve traffic.";
    const gcp = symptomFor(start, 'gcp')!;
    expect(gcp.title).toBe('Container fails to start');
    expect(gcp.checks.join(' ')).toContain('gcloud logging read');
    expect(gcp.checks.join(' ')).not.toContain('CloudWatch');
    expect(symptomFor('queued-worker failed: Essential container in task exited', 'aws')!.checks.join(' ')).toContain('CloudWatch');
    expect(symptomFor('not healthy after 10 min: api (0/2 running)', 'azure')!.checks.join(' ')).toContain('az containerapp logs show');
  });

  it('offers no container symptom for a command the cloud refused', () => {
    expect(symptomFor('Cloud Run service membrane-api: gcloud run services: ERROR: (gcloud.run.services.describe) PERMISSION_DENIED: denied', 'gcp')).toBeUndefined();
    expect(symptomFor('ECS service membrane-api: aws ecs create-service: An error occurred (AccessDeniedException)', 'aws')).toBeUndefined();
  });
});
