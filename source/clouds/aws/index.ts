import type { Settings } from '../../answers/settings.js';
import { SERVICES } from '../../membrane/services.js';
import type { CloudAdapter } from '../types.js';
import { fargateSizeProblem, runnerUri } from './documents.js';
import { awsDiagnostics } from './diagnostics.js';
import { awsNames } from './names.js';
import { observeAws } from './observe.js';
import { awsPreflight } from './preflight.js';
import { awsSteps } from './steps.js';

export function awsAdapter(settings: Settings): CloudAdapter {
  const names = awsNames(settings);
  return {
    inputProblems: () =>
      SERVICES.flatMap((spec) => fargateSizeProblem(spec.id, settings.sizing[spec.id].cpu, settings.sizing[spec.id].memory) ?? []),
    preflight: (runner) => awsPreflight(settings, runner),
    plan: () => awsSteps(settings),
    observe: (runner, known) => observeAws(settings, runner, known),
    diagnostics: () => awsDiagnostics(settings),
    notes: () => [
      `Images are pulled from ${settings.answers.registry.server} with the credentials in Secrets Manager (${names.secret('registryPassword')}).`,
      `The API, workers and orchestrator reach the code runner at ${runnerUri(names)} (Cloud Map private DNS); it is never public.`,
      `The execution role gets an inline policy ${names.executionPolicy} allowing it to read only these secrets.`,
      `Point DNS for api., ui. and console.${settings.answers.domain} at the load balancer that owns the target groups, with TLS on its listener.`,
    ],
  };
}
