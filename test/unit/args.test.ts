import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP, parseCli, takesOption } from '../../source/args.js';
import { UsageError } from '../../source/errors.js';

function usageErrorOf(argv: string[]): UsageError {
  try {
    parseCli(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return error as UsageError;
  }
  throw new Error(`expected parseCli(${JSON.stringify(argv)}) to throw a UsageError`);
}

describe('parseCli', () => {
  it('defaults to install of the "default" deployment, prompting, with a 30 minute rollout timeout', () => {
    expect(parseCli([])).toEqual({
      command: 'install',
      config: undefined,
      name: 'default',
      yes: false,
      stateDir: undefined,
      demo: false,
      json: false,
      verbose: false,
      out: undefined,
      cloud: undefined,
      domain: undefined,
      imageTag: undefined,
      rolloutTimeoutMinutes: 30,
      strictOrder: false,
      dryRun: false,
      deleteSecrets: false,
      planFor: 'install',
      planDiff: false,
      help: false,
      version: false,
    });
  });

  it.each(COMMANDS)('accepts the %s command', (command) => {
    expect(parseCli([command]).command).toBe(command);
  });

  it('reads every option of install', () => {
    const options = parseCli([
      'install',
      '--config', 'answers.json',
      '--name', 'prod-eu-1',
      '--yes',
      '--state-dir', '/tmp/state',
      '--json',
      '--cloud', 'aws',
      '--domain', 'example.com',
      '--image-tag', '2025-09-19',
      '--rollout-timeout', '45',
      '--demo',
      '--demo-fail', 'api',
    ]);
    expect(options).toMatchObject({
      command: 'install',
      config: 'answers.json',
      name: 'prod-eu-1',
      yes: true,
      stateDir: '/tmp/state',
      json: true,
      cloud: 'aws',
      domain: 'example.com',
      imageTag: '2025-09-19',
      rolloutTimeoutMinutes: 45,
      demo: true,
      demoFail: 'api',
    });
  });

  it('reads the options of plan, troubleshoot and status', () => {
    expect(parseCli(['plan', '--config', 'a.json', '--out', 'plan-dir', '--cloud', 'gcp', '--domain', 'example.com', '--image-tag', 't', '--demo'])).toMatchObject({
      command: 'plan',
      out: 'plan-dir',
      cloud: 'gcp',
      demo: true,
    });
    expect(parseCli(['troubleshoot', '--name', 'default', '--state-dir', '/s', '--yes', '--bundle', 'support.tar.gz', '--config', 'a.json'])).toMatchObject({
      command: 'troubleshoot',
      bundle: 'support.tar.gz',
      yes: true,
    });
    expect(parseCli(['status', '--json', '--name', 'prod', '--state-dir', '/s'])).toMatchObject({ command: 'status', json: true, name: 'prod' });
  });

  it('reads --strict-order for the commands that roll out, and plan; diff takes the answers, --json and --verbose', () => {
    expect(parseCli(['install', '--strict-order']).strictOrder).toBe(true);
    expect(parseCli(['plan', '--out', 'd', '--strict-order']).strictOrder).toBe(true);
    expect(parseCli(['upgrade', '--image-tag', 't']).strictOrder).toBe(false);
    expect(parseCli(['diff', '--json', '--verbose', '--image-tag', 't', '--config', 'a.json'])).toMatchObject({ command: 'diff', json: true, verbose: true, imageTag: 't', config: 'a.json' });
  });

  it('reads plan --for and --diff: install by default, the other commands that change the cloud, refusing what does not fit', () => {
    expect(parseCli(['plan', '--out', 'd'])).toMatchObject({ planFor: 'install', planDiff: false });
    expect(parseCli(['plan', '--out', 'd', '--for', 'upgrade', '--image-tag', 't', '--diff'])).toMatchObject({ planFor: 'upgrade', imageTag: 't', planDiff: true });
    expect(parseCli(['plan', '--out', 'd', '--for', 'uninstall', '--delete-secrets'])).toMatchObject({ planFor: 'uninstall', deleteSecrets: true });
    expect(usageErrorOf(['plan', '--out', 'd', '--for', 'status']).message).toBe('--for: "status" is not a command plan writes; use one of install, upgrade, rollback, uninstall.');
    expect(usageErrorOf(['plan', '--out', 'd', '--for', 'uninstall', '--diff']).message).toContain('plan --for uninstall lists what would be removed, so it takes no --diff');
    expect(usageErrorOf(['plan', '--out', 'd', '--delete-secrets']).message).toBe('--delete-secrets goes with plan --for uninstall.');
    expect(usageErrorOf(['install', '--for', 'upgrade']).message).toBe('--for is not an option of install; it goes with plan.');
  });

  it('reads the options of uninstall: --dry-run and --delete-secrets go with it alone', () => {
    expect(parseCli(['uninstall', '--config', 'a.json', '--dry-run', '--delete-secrets', '--json', '--demo', '--yes'])).toMatchObject({
      command: 'uninstall',
      config: 'a.json',
      dryRun: true,
      deleteSecrets: true,
      json: true,
      demo: true,
      yes: true,
    });
    expect(usageErrorOf(['install', '--dry-run']).message).toBe('--dry-run is not an option of install; it goes with uninstall.');
    expect(usageErrorOf(['uninstall', '--image-tag', 't']).message).toBe('--image-tag is not an option of uninstall; it goes with install, resume, plan, troubleshoot, verify, upgrade, diff.');
  });

  // Each combination below was once silently ignored: the user believed it did something.
  it.each([
    [['install', '--out', 'plan-dir'], '--out is not an option of install; it goes with plan.'],
    [['--bundle', 'b.tar.gz'], '--bundle is not an option of install; it goes with troubleshoot.'],
    [['plan', '--out', 'd', '--json'], '--json is not an option of plan; it goes with install, resume, status, verify, upgrade, rollback, diff, uninstall.'],
    [['troubleshoot', '--json'], '--json is not an option of troubleshoot; it goes with install, resume, status, verify, upgrade, rollback, diff, uninstall.'],
    [['status', '--config', 'a.json'], '--config is not an option of status; it goes with install, resume, plan, troubleshoot, verify, upgrade, diff, uninstall.'],
    [['plan', '--out', 'd', '--rollout-timeout', '5'], '--rollout-timeout is not an option of plan; it goes with install, resume, upgrade, rollback.'],
    [['status', '--out', 'd'], '--out is not an option of status; it goes with plan.'],
    [['status', '--strict-order'], '--strict-order is not an option of status; it goes with install, resume, plan, upgrade, rollback.'],
    [['diff', '--yes', '--dry-run'], '--dry-run is not an option of diff; it goes with uninstall.'],
    [['plan', '--demo', '--demo-fail', 'api', '--out', 'd'], '--demo-fail is not an option of plan; it goes with install, resume, upgrade, rollback.'],
    [['upgrade', '--image-tag', 't', '--out', 'd'], '--out is not an option of upgrade; it goes with plan.'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageErrorOf(argv).message).toBe(message);
  });

  it('refuses a misplaced option even when it has a default (only the given ones count)', () => {
    expect(usageErrorOf(['status', '--rollout-timeout', '30']).message).toContain('--rollout-timeout is not an option of status');
    expect(parseCli(['status']).rolloutTimeoutMinutes).toBe(30);
  });

  it('checks the command\'s options before the values: the misplaced option is what gets named', () => {
    expect(usageErrorOf(['status', '--rollout-timeout', 'abc']).message).toContain('not an option of status');
  });

  it('lets --help and --version win over a misplaced option: they run nothing', () => {
    expect(parseCli(['install', '--out', 'd', '--help']).help).toBe(true);
    expect(parseCli(['status', '--bundle', 'b', '-v']).version).toBe(true);
  });

  it.each(COMMANDS)('%s takes --name, --state-dir and --yes', (command) => {
    expect(parseCli([command, '--name', 'n', '--state-dir', '/s', '--yes'])).toMatchObject({ command, name: 'n', stateDir: '/s', yes: true });
  });

  it('the resume command the installer prints, and its troubleshoot twin, parse', () => {
    expect(parseCli(['resume', '--name', 'default', '--state-dir', '/s', '--yes']).command).toBe('resume');
    expect(parseCli(['troubleshoot', '--name', 'default', '--state-dir', '/s', '--yes']).command).toBe('troubleshoot');
  });

  it('accepts options before the command and = forms', () => {
    expect(parseCli(['--name=staging', 'status', '--json'])).toMatchObject({ command: 'status', name: 'staging', json: true });
  });

  it('reads -h and -v', () => {
    expect(parseCli(['-h']).help).toBe(true);
    expect(parseCli(['-v']).version).toBe(true);
  });

  it('refuses an unknown option, naming it, and points at --help', () => {
    const error = usageErrorOf(['install', '--domian', 'example.com']);
    expect(error.message).toContain('--domian');
    expect(error.message).toContain('--help');
  });

  it('refuses an option without its value', () => {
    expect(usageErrorOf(['--config']).message).toContain('--config');
  });

  it('refuses an unknown command, listing the commands', () => {
    const error = usageErrorOf(['deploy']);
    expect(error.message).toContain('"deploy"');
    expect(error.message).toContain(COMMANDS.join(', '));
  });

  it('refuses a second positional argument', () => {
    expect(usageErrorOf(['install', 'now']).message).toContain('"now"');
  });

  it.each(['Prod', 'prod_eu', '-prod', 'prod-', 'a'.repeat(31), '', 'my name', 'prod.eu'])('refuses --name %j', (name) => {
    const error = usageErrorOf([`--name=${name}`]);
    expect(error.message).toContain('--name');
    expect(error.message).toContain(`"${name}"`);
  });

  it.each(['a', '7', 'prod-eu-1', 'a'.repeat(30)])('accepts --name %j', (name) => {
    expect(parseCli(['--name', name]).name).toBe(name);
  });

  it.each(['0', '-5', 'abc', '', 'Infinity', 'NaN', '10min'])('refuses --rollout-timeout %j', (value) => {
    const error = usageErrorOf([`--rollout-timeout=${value}`]);
    expect(error.message).toContain('--rollout-timeout');
    expect(error.message).toContain(`"${value}"`);
  });

  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['120', 120],
  ])('accepts --rollout-timeout %s as %d minutes', (value, minutes) => {
    expect(parseCli(['--rollout-timeout', value]).rolloutTimeoutMinutes).toBe(minutes);
  });

  it('--help tells the truth about which commands take --out, --bundle, --json, --rollout-timeout, --dry-run, --delete-secrets, --for and --diff', () => {
    for (const option of ['out', 'bundle', 'json', 'rollout-timeout', 'dry-run', 'delete-secrets', 'for', 'diff']) {
      // The option's entry: its line and the indented lines that continue it.
      const entry = HELP.match(new RegExp(`^  --${option} .*(?:\\n {20,}.*)*`, 'm'))![0];
      const named = [...entry.matchAll(/with ([a-z, ]+?):/g)].flatMap((match) => match[1]!.split(', '));
      expect(named.length, option).toBeGreaterThan(0);
      expect(COMMANDS.filter((command) => takesOption(command, option)), option).toEqual(COMMANDS.filter((command) => named.includes(command)));
    }
  });
});
