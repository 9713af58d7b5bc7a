// plan --out DIR: the whole plan as files a reviewer can read before anyone holds
// credentials. No CLI is run; values only the cloud knows become <placeholders>.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Settings } from '../answers/settings.js';
import type { Outputs, Step, UninstallPlan } from '../clouds/types.js';
import { displayArgv, displayStdin, isFileArg, shellQuote, type Command } from '../exec/command.js';

const placeholders: Outputs = { get: (key) => `<${key}>` };

function commandsOf(step: Step): Command[] {
  return step.kind === 'action' ? step.preview(placeholders) : [];
}

/** Which command a plan is of, and what plan.json says besides the steps (old → new tags, the differences). */
export interface PlanOf {
  command: 'install' | 'upgrade' | 'rollback';
  /** Extra keys of plan.json; the install's plan has none, so its document stays as it was. */
  extra?: Record<string, unknown>;
}

const INSTALL: PlanOf = { command: 'install' };

export function planDocument(settings: Settings, steps: Step[], notes: string[], of: PlanOf = INSTALL) {
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
    ...(of.command === 'install' ? {} : { command: of.command }),
    ...of.extra,
    steps: steps.map((step) => ({
      id: step.id,
      title: step.title,
      kind: step.kind,
      ...(step.kind === 'rollout' ? { waitsFor: step.services } : { deploys: step.deploys }),
      commands: commandsOf(step).map((command) => ({ argv: displayArgv(command), ...(command.stdin ? { stdin: displayStdin(command) } : {}) })),
    })),
  };
}

/** A command as deploy.sh runs it: secrets reach the CLI through process substitution, a pipe, never argv or a file on disk. */
function scriptLine(command: Command): string {
  const argv = command.argv.map((arg) => (!isFileArg(arg) ? shellQuote(arg) : arg.secret ? `${arg.prefix}<(${arg.secret.shell})` : `${arg.prefix}${arg.name}`)).join(' ');
  return command.stdin ? `${command.stdin.secret.shell} | ${argv}` : argv;
}

function deployScript(settings: Settings, steps: Step[], command: PlanOf['command']): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# The ${command} of Membrane deployment "${settings.name}" as plain commands, written by create-membrane-deploy plan.`,
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
    for (const command of commandsOf(step)) lines.push(scriptLine(command));
    lines.push('');
  });
  return lines.join('\n');
}

/** Documents passed as files (policies, service updates) are written too, so the script can run. */
function addFileArgs(files: Map<string, string>, commands: Command[]): void {
  for (const command of commands) for (const arg of command.argv) if (isFileArg(arg) && arg.content !== undefined && !files.has(arg.name)) files.set(arg.name, arg.content);
}

export async function writePlan(dir: string, settings: Settings, steps: Step[], notes: string[], of: PlanOf = INSTALL): Promise<string[]> {
  const files = new Map<string, string>();
  files.set('plan.json', `${JSON.stringify(planDocument(settings, steps, notes, of), null, 2)}\n`);
  for (const step of steps) {
    if (step.kind !== 'action') continue;
    for (const artifact of step.artifacts?.(placeholders) ?? []) files.set(artifact.path, artifact.content);
    addFileArgs(files, commandsOf(step));
  }
  files.set('deploy.sh', deployScript(settings, steps, of.command));
  return writeFiles(dir, files);
}

/** plan --for uninstall: what uninstall would remove, in its order, with the commands; uninstall.sh runs them. */
export async function writeUninstallPlan(dir: string, settings: Settings, plan: UninstallPlan): Promise<string[]> {
  const files = new Map<string, string>();
  files.set('plan.json', `${JSON.stringify({
    version: 1,
    name: settings.name,
    cloud: settings.answers.cloud,
    command: 'uninstall',
    about: 'What uninstall would remove, in the order it removes them (the reverse of creation), found from the journal and the cloud\'s own tags; nothing was removed.',
    removals: plan.removals.map((removal) => ({ kind: removal.kind, id: removal.id, title: removal.title, commands: removal.preview().map((command) => ({ argv: displayArgv(command) })) })),
    kept: plan.kept,
    notes: plan.notes,
  }, null, 2)}\n`);
  for (const removal of plan.removals) addFileArgs(files, removal.preview());
  files.set('uninstall.sh', [
    '#!/usr/bin/env bash',
    `# The uninstall of Membrane deployment "${settings.name}" as plain commands, written by create-membrane-deploy plan --for uninstall.`,
    '# Review it; uninstall runs the same commands, but looks first, so what is already gone counts as removed.',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    '',
    ...plan.removals.flatMap((removal, index) => [`# ${index + 1}. ${removal.title}`, ...removal.preview().map(scriptLine), '']),
    ...(plan.kept.length ? ['# It leaves:', ...plan.kept.map((text) => `#   ${text}`), ''] : []),
  ].join('\n'));
  return writeFiles(dir, files);
}

async function writeFiles(dir: string, files: Map<string, string>): Promise<string[]> {
  for (const [path, content] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return [...files.keys()];
}
