// Entry point: argv -> command -> exit code. The one place that decides how the process ends.
import { HELP, parseCli, type CliOptions } from './args.js';
import { exitCodeOf, UsageError } from './errors.js';

declare const __VERSION__: string;

async function run(options: CliOptions): Promise<number> {
  switch (options.command) {
    case 'install':
    case 'resume':
    case 'upgrade':
      return (await import('./commands/deploy.js')).deploy(options, options.command);
    case 'status':
      return (await import('./commands/status.js')).status(options);
    case 'plan':
      return (await import('./commands/plan.js')).plan(options);
    case 'troubleshoot':
      return (await import('./commands/troubleshoot.js')).troubleshoot(options);
    case 'uninstall':
      throw new UsageError(`${options.command} is not in this version yet. See README.md for the manual steps.`);
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = exitCodeOf(error);
    if (error instanceof Error && error.name === 'ExitPromptError') {
      // Ctrl-C at a question: nothing has been changed yet.
      process.stderr.write('\nCancelled. Nothing was changed.\n');
      process.exitCode = 130;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${error.problems.map((problem) => `  ✖ ${problem}\n`).join('')}`);
    } else if (code !== undefined) {
      process.stderr.write(`${(error as Error).message}\n`);
    } else {
      // A bug, not a user error: the stack helps us, and the message helps the user report it.
      process.stderr.write(`Unexpected error: ${error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : String(error)}\nPlease report it with the audit log (see status).\n`);
    }
    process.exitCode = code ?? 1;
  },
);
