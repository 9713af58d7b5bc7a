// A command as data: what the plan shows, deploy.sh prints and the runner executes.

/** A secret the CLI reads from a file, so it never appears in argv. */
export interface SecretInput {
  /** Known at run time; absent when only planning. */
  value?: string;
  /** A POSIX shell expression that prints the value, for deploy.sh (e.g. printf '%s' "$MEMBRANE_SECRET"). */
  shell: string;
}

/**
 * A document the CLI reads from a file: a task definition, or a secret. The runner writes
 * it to a 0600 temp file and removes it afterwards. (aws cannot read file:///dev/stdin:
 * Node gives children a socket, not a pipe, and opening /dev/stdin on a socket fails.)
 */
export interface FileArg {
  /** How the argument is spelled before the path: "file://" for aws, "--flags-file=" for gcloud. */
  prefix: string;
  /** File name in plan output and in the audit log. */
  name: string;
  /** A plain document; exactly one of content and secret is set. */
  content?: string;
  secret?: SecretInput;
}

export type Arg = string | FileArg;

export interface Command {
  argv: Arg[];
  /** What this command would change, in a few words, where the step knows ("desired count 1 → 2"): diff shows it. */
  change?: string;
  /** A secret the CLI reads from its standard input (gcloud's --data-file=-): no file at all. */
  stdin?: { name: string; secret: SecretInput };
}

export function isFileArg(arg: Arg): arg is FileArg {
  return typeof arg !== 'string';
}

/** True when the command hands the CLI a secret's value (a file or its standard input). */
export function carriesSecret(command: Command): boolean {
  return command.stdin !== undefined || command.argv.some((arg) => isFileArg(arg) && arg.secret !== undefined);
}

/** argv as a person reads it in plan.json and the audit log: files by name, never a secret. */
export function displayArgv(command: Command): string[] {
  return command.argv.map((arg) => (isFileArg(arg) ? `${arg.prefix}${arg.secret ? `<secret ${arg.name}>` : arg.name}` : arg));
}

/** How the plan and the audit log show a command's standard input: its variable, never its value. */
export function displayStdin(command: Command): string | undefined {
  return command.stdin && `<secret ${command.stdin.name}>`;
}

/** Quotes one word for a POSIX shell (deploy.sh); `$` in robot$core+acme stays literal. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Verbs of the three CLIs that only read: aws describe-/get-/list-, gcloud describe/list/access/read, az show/list. */
const READ_VERB = /^(?:(?:describe|get|list)-[a-z-]+|describe|list|show|access|read|get-iam-policy)$/;

/**
 * True when the command only reads: a read verb is among the words before its first flag (the
 * groups, the verb and a resource name; all three CLIs take them first). Anything else counts as a
 * change, so diff can never make one.
 */
export function isReadOnly(command: Command): boolean {
  const flag = command.argv.findIndex((arg, index) => index > 0 && (typeof arg !== 'string' || arg.startsWith('-')));
  return command.argv.slice(1, flag === -1 ? undefined : flag).some((word) => typeof word === 'string' && READ_VERB.test(word));
}
