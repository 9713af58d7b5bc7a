// plan --out DIR: the whole plan as files a reviewer can read before anyone holds
// credentials. No CLI is run; values only the cloud knows become <placeholders>.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Settings } from '../answers/settings.js';
import type { Outputs, Step } from '../clouds/types.js';
import { displayArgv, displayStdin, isFileArg, shellQuote, type Command } from '../exec/command.js';

const placeholders: Outputs = { get: (key) => `<${key}>` };

function commandsOf(step: Step): Command[] {
  return step.kind === 'action' ? step.preview(placeholders) : [];
}

export function planDocument(settings: Settings, steps: Step[], notes: string[]) {
  const { answers } = settings;
  return {
    version: 1,
    name: settings.name,
    cloud: answers.cloud,
    about: 'Values in <angle brackets> are known only after the step that creates them has run; the installer fills them in. Secrets are never written here: each <secret NAME> comes from that environment variable.',
    settings: {
      domain: answers.domain,
      imageTag: answers.imageTag,
      registry: answers.registry,
      auth: answers.auth.mode,
      urls: settings.urls,
      buckets: settings.buckets,
      sizing: settings.sizing,
      [answers.cloud]: answers[answers.cloud],
    },
    notes,
    steps: steps.map((step) => ({
      id: step.id,
      title: step.title,
      kind: step.kind,
      ...(step.kind === 'rollout' ? { waitsFor: step.services } : { deploys: step.deploys }),
      commands: commandsOf(step).map((command) => ({ argv: displayArgv(command), ...(command.stdin ? { stdin: displayStdin(command) } : {}) })),
    })),
  };
}

function deployScript(settings: Settings, steps: Step[]): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# The install of Membrane deployment "${settings.name}" as plain commands, written by create-membrane-deploy plan.`,
    '# Review it; the installer runs the same commands, but looks first and only creates what is missing.',
    '# Values in <angle brackets> come from earlier steps: replace them before running by hand.',
    '# Secrets are read from MEMBRANE_* environment variables and passed through a pipe, never put in argv.',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    '',
  ];
  steps.forEach((step, index) => {
    lines.push(`# ${index + 1}. ${step.title}`);
    if (step.kind === 'rollout') lines.push('#    wait until these services are healthy before going on');
    for (const command of commandsOf(step)) {
      // Secrets reach the CLI through process substitution: a pipe, never argv or a file on disk.
      const argv = command.argv.map((arg) => (!isFileArg(arg) ? shellQuote(arg) : arg.secret ? `${arg.prefix}<(${arg.secret.shell})` : `${arg.prefix}${arg.name}`)).join(' ');
      lines.push(command.stdin ? `${command.stdin.secret.shell} | ${argv}` : argv);
    }
    lines.push('');
  });
  return lines.join('\n');
}

export async function writePlan(dir: string, settings: Settings, steps: Step[], notes: string[]): Promise<string[]> {
  const files = new Map<string, string>();
  files.set('plan.json', `${JSON.stringify(planDocument(settings, steps, notes), null, 2)}\n`);
  for (const step of steps) {
    if (step.kind !== 'action') continue;
    for (const artifact of step.artifacts?.(placeholders) ?? []) files.set(artifact.path, artifact.content);
    // Documents passed as files (policies, service updates) are written too, so deploy.sh can run.
    for (const command of commandsOf(step)) for (const arg of command.argv) if (isFileArg(arg) && arg.content !== undefined && !files.has(arg.name)) files.set(arg.name, arg.content);
  }
  files.set('deploy.sh', deployScript(settings, steps));
  for (const [path, content] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return [...files.keys()];
}
