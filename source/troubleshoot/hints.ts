// The guide's troubleshooting section as data: which symptom a failure message points to,
// and what to check for it, in the words of the cloud it happened on. The guided checklist
// (troubleshoot) will grow from here.
import type { Cloud } from '../answers/schema.js';
import { CLOUD_MODULES } from '../clouds/index.js';
import { HEALTH_PATTERN, PULL_PATTERN, START_PATTERN, SYMPTOM_TITLES } from './symptoms.js';

export interface Symptom {
  title: string;
  checks: string[];
}

/** Where each cloud keeps what the checks point at. */
const where = (cloud: Cloud) => CLOUD_MODULES[cloud].where;

const SYMPTOMS: { pattern: RegExp; symptom: (cloud: Cloud) => Symptom }[] = [
  {
    pattern: PULL_PATTERN,
    symptom: (cloud) => ({
      title: SYMPTOM_TITLES.pull,
      checks: [
        'Verify the registry credentials: registry.username and MEMBRANE_REGISTRY_PASSWORD (try docker login with them).',
        `Check network and firewall rules: ${where(cloud).pullRoute}.`,
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
        `Check the startup time: ${where(cloud).grace} if the service needs longer.`,
        `Review the application logs of the service in ${where(cloud).logs}.`,
      ],
    }),
  },
  {
    pattern: START_PATTERN,
    symptom: (cloud) => ({
      title: SYMPTOM_TITLES.start,
      checks: [
        `Check the service's logs in ${where(cloud).logs}.`,
        `Verify the environment variables (${where(cloud).env}).`,
        `Ensure MongoDB and Redis are reachable from ${where(cloud).network}.`,
      ],
    }),
  },
];

/** The likely symptom of a failed rollout, or undefined when the failure is not about a container (a refused command, say). */
export function symptomFor(message: string, cloud: Cloud): Symptom | undefined {
  return SYMPTOMS.find(({ pattern }) => pattern.test(message))?.symptom(cloud);
}
