// A command as data: what the plan shows, deploy.sh prints and the runner executes.

/** A secret fed to the CLI on stdin, so it never appears in argv. */
export interface SecretInput {
  /** Known at run time; absent when only planning. */
  value?: string;
  /** A POSIX shell expression that prints the value, for deploy.sh (e.g. printf '%s' "$MEMBRANE_SECRET"). */
  shell: string;
}

/** A non-secret document the CLI reads from a file (e.g. a task definition). */
export interface FileArg {
  /** How the argument is spelled before the path: "file://" for aws, "--flags-file=" for gcloud. */
  prefix: string;
  /** File name in plan output and in the audit log. */
  name: string;
  content: string;
}

export type Arg = string | FileArg;

export interface Command {
  argv: Arg[];
  stdin?: SecretInput;
}

export function isFileArg(arg: Arg): arg is FileArg {
  return typeof arg !== 'string';
}

/** argv as a person reads it in plan.json and the audit log: files by name, no contents. */
export function displayArgv(command: Command): string[] {
  return command.argv.map((arg) => (isFileArg(arg) ? `${arg.prefix}${arg.name}` : arg));
}

/** Quotes one word for a POSIX shell (deploy.sh); `$` in robot$core+acme stays literal. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
