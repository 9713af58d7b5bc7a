// The review's list of the user's own AWS resources the deployment uses, as the answers name them.
import type { SettingsFor } from '../../answers/settings.js';
import { PUBLIC_SERVICES } from '../../membrane/services.js';
import type { ReviewResource } from '../types.js';
import { awsNames } from './names.js';

export function awsResources(settings: SettingsFor<'aws'>): ReviewResource[] {
  const aws = settings.answers.aws;
  const names = awsNames(settings);
  return [
    { label: 'ECS cluster', value: `${aws.cluster} in ${aws.region}` },
    { label: 'Subnets', value: `${aws.subnets.join(', ')} (${aws.assignPublicIp ? 'tasks get a public IP' : 'no public IP: they need a NAT gateway to reach the registry'})` },
    { label: 'Security groups', value: aws.securityGroups.join(', ') },
    // A shared execution role is the one choice here that widens who can read the secrets: say so where it is chosen.
    {
      label: 'Execution role',
      value: aws.executionRoleArn
        ? `${names.executionRole}: every task that uses it will be able to read these secrets`
        : `created: ${names.executionRole}, for this deployment alone`,
    },
    { label: 'Task role', value: `${aws.taskRoleArn.split('/').pop()} (api, workers, orchestrator)` },
    // arn:…:targetgroup/NAME/ID: the name is what the console and the wizard show.
    { label: 'Target groups', value: PUBLIC_SERVICES.map((service) => `${service} → ${aws.targetGroups[service].split('/')[1]}`).join(', ') },
  ];
}
