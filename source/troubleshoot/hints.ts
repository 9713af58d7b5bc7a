// The guide's troubleshooting section as data: which symptom a failure message points to,
// and what to check for it, in the words of the cloud it happened on. The guided checklist
// (troubleshoot) will grow from here.
import type { Cloud } from '../answers/schema.js';
import { HEALTH_PATTERN, PULL_PATTERN, START_PATTERN, SYMPTOM_TITLES } from './symptoms.js';

export interface Symptom {
  title: string;
  checks: string[];
}

/** Where each cloud keeps what the checks point at. */
const WHERE: Record<Cloud, { logs: string; env: string; network: string; pullRoute: string; grace: string }> = {
  aws: {
    logs: 'the CloudWatch log group of the deployment (aws logs filter-log-events)',
    env: 'plan --out writes them into task-definitions/*.json',
    network: 'the tasks\' subnets and security groups',
    pullRoute: 'the tasks\' subnets need a route to the registry (NAT gateway, or aws.assignPublicIp)',
    grace: 'increase the health check grace period',
  },
  gcp: {
    logs: 'Cloud Logging (gcloud logging read \'resource.type="cloud_run_revision"\')',
    env: 'plan --out writes them into services/*.env.yaml',
    network: 'the VPC subnet of Direct VPC egress (gcp.network, gcp.subnet)',
    pullRoute: 'the Artifact Registry remote repository must reach the registry over the internet',
    grace: 'give the container a longer startup probe',
  },
  azure: {
    logs: 'the Log Analytics workspace (az containerapp logs show)',
    env: 'plan --out writes them into the app specs',
    network: 'the Container Apps environment\'s virtual network',
    pullRoute: 'the environment needs outbound access to the registry',
    grace: 'lengthen the startup probe',
  },
};

const SYMPTOMS: { pattern: RegExp; symptom: (cloud: Cloud) => Symptom }[] = [
  {
    pattern: PULL_PATTERN,
    symptom: (cloud) => ({
      title: SYMPTOM_TITLES.pull,
      checks: [
        'Verify the registry credentials: registry.username and MEMBRANE_REGISTRY_PASSWORD (try docker login with them).',
        `Check network and firewall rules: ${WHERE[cloud].pullRoute}.`,
        'Ensure the image name and tag are correct (imageTag).',
      ],
    }),
  },
  {
    pattern: HEALTH_PATTERN,
    symptom: (cloud) => ({
      title: SYMPTOM_TITLES.health,
      checks: [
        'Verify the container listens on port 5000 and the platform checks port 5000.',
        `Check the startup time: ${WHERE[cloud].grace} if the service needs longer.`,
        `Review the application logs of the service in ${WHERE[cloud].logs}.`,
      ],
    }),
  },
  {
    pattern: START_PATTERN,
    symptom: (cloud) => ({
      title: SYMPTOM_TITLES.start,
      checks: [
        `Check the service's logs in ${WHERE[cloud].logs}.`,
        `Verify the environment variables (${WHERE[cloud].env}).`,
        `Ensure MongoDB and Redis are reachable from ${WHERE[cloud].network}.`,
      ],
    }),
  },
];

/** The likely symptom of a failed rollout, or undefined when the failure is not about a container (a refused command, say). */
export function symptomFor(message: string, cloud: Cloud): Symptom | undefined {
  return SYMPTOMS.find(({ pattern }) => pattern.test(message))?.symptom(cloud);
}
