// The guide's troubleshooting section as data: which symptom a failure message points to,
// and what to check for it. The guided checklist (troubleshoot) will grow from here.

export interface Symptom {
  title: string;
  checks: string[];
}

const SYMPTOMS: { pattern: RegExp; symptom: Symptom }[] = [
  {
    pattern: /CannotPullContainer|pull access denied|manifest unknown|ImagePull|unauthorized: /i,
    symptom: {
      title: 'Cannot pull image',
      checks: [
        'Verify the registry credentials: registry.username and MEMBRANE_REGISTRY_PASSWORD (try docker login with them).',
        'Check network and firewall rules: the tasks\' subnets need a route to the registry (NAT gateway, or aws.assignPublicIp).',
        'Ensure the image name and tag are correct (imageTag).',
      ],
    },
  },
  {
    pattern: /health check|HealthCheck|unhealthy|Target\.FailedHealthChecks|ELB/i,
    symptom: {
      title: 'Health checks failing',
      checks: [
        'Verify the container listens on port 5000 and the target group checks / on port 5000.',
        'Check the startup time: increase the health check grace period if the service needs longer.',
        'Review the application logs of the service.',
      ],
    },
  },
  {
    pattern: /.*/,
    symptom: {
      title: 'Container fails to start',
      checks: [
        'Check the service\'s logs (CloudWatch log group of the deployment).',
        'Verify the environment variables (plan --out writes them into task-definitions/*.json).',
        'Ensure MongoDB and Redis are reachable from the tasks\' subnets and security groups.',
      ],
    },
  },
];

export function symptomFor(message: string): Symptom {
  return SYMPTOMS.find(({ pattern }) => pattern.test(message))!.symptom;
}
