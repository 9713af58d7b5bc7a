// Entry point: argv -> command -> exit code. The one place that decides how the process ends.
import { HELP, parseCli, type CliOptions } from './args.js';
import { exitCodeOf, UsageError } from './errors.js';
import { jsonLine } from './ui/json-reporter.js';

declare const __VERSION__: string;

async function run(options: CliOptions): Promise<number> {
  switch (options.command) {
    case 'install':
    case 'resume':
    case 'upgrade':
    case 'rollback': {
      const [{ deploy }, { presenterFor }] = await Promise.all([import('./commands/deploy.js'), import('./ui/presenter.js')]);
      return deploy(options, options.command, { presenter: presenterFor(options), env: process.env, exit: exitNow });
    }
    case 'status':
      return (await import('./commands/status.js')).status(options);
    case 'plan':
      return (await import('./commands/plan.js')).plan(options, process.env);
    case 'troubleshoot':
      return (await import('./commands/troubleshoot.js')).troubleshoot(options, { env: process.env });
    case 'verify':
      return (await import('./commands/verify.js')).verify(options);
    case 'diff':
      return (await import('./commands/diff.js')).diff(options, { env: process.env });
    case 'uninstall':
      return (await import('./commands/uninstall.js')).uninstall(options, { env: process.env, exit: exitNow });
  }
}

/** A second Ctrl-C: the running command is killed and the journal already says where we are. */
function exitNow(code: number): never {
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  // chalk (inside Ink) ignores NO_COLOR; FORCE_COLOR=0 is what it honours, read once at import.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  const options = parseCli(argv);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`${__VERSION__}\n`);
    return 0;
  }
  return run(options);
}

// `status | head -1`: a reader that stops reading is not an error of ours; end quietly, as other CLIs do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const argv = process.argv.slice(2);
// Known before parsing can fail: a --json run gets its error as JSON too, whatever went wrong.
const json = argv.includes('--json');

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { exitCode, message, problems, text } = describeFailure(error);
    process.stderr.write(text);
    if (json) process.stdout.write(`${jsonLine({ type: 'error', exitCode, message, problems })}\n`);
    process.exitCode = exitCode;
  },
);

/** What ended the run: its exit code, its words for a person, and the same as data for --json. */
function describeFailure(error: unknown): { exitCode: number; message: string; problems: string[]; text: string } {
  if (error instanceof Error && error.name === 'ExitPromptError') {
    // Ctrl-C at a question: nothing has been changed yet.
    const message = 'Cancelled. Nothing was changed.';
    return { exitCode: 130, message, problems: [], text: `\n${message}\n` };
  }
  if (error instanceof UsageError) {
    return { exitCode: error.exitCode, message: error.message, problems: error.problems, text: `${error.message}\n${error.problems.map((problem) => `  ✖ ${problem}\n`).join('')}` };
  }
  const code = exitCodeOf(error);
  if (code !== undefined) {
    const message = (error as Error).message;
    return { exitCode: code, message, problems: [], text: `${message}\n` };
  }
  // A bug, not a user error: the stack helps us, and the message helps the user report it.
  const message = `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  const shown = error instanceof Error && process.env.DEBUG ? `Unexpected error: ${error.stack}` : message;
  return { exitCode: 1, message, problems: [], text: `${shown}\nPlease report it with the audit log (see status).\n` };
}
