import { describe, expect, it } from 'vitest';
import { COMMANDS, parseCli } from '../../source/args.js';
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
      out: undefined,
      cloud: undefined,
      domain: undefined,
      imageTag: undefined,
      rolloutTimeoutMinutes: 30,
      help: false,
      version: false,
    });
  });

  it.each(COMMANDS)('accepts the %s command', (command) => {
    expect(parseCli([command]).command).toBe(command);
  });

  it('reads every option', () => {
    const options = parseCli([
      'plan',
      '--config', 'answers.json',
      '--name', 'prod-eu-1',
      '--yes',
      '--state-dir', '/tmp/state',
      '--json',
      '--out', 'plan-dir',
      '--cloud', 'aws',
      '--domain', 'example.com',
      '--image-tag', '2025-09-19',
      '--rollout-timeout', '45',
    ]);
    expect(options).toMatchObject({
      command: 'plan',
      config: 'answers.json',
      name: 'prod-eu-1',
      yes: true,
      stateDir: '/tmp/state',
      json: true,
      out: 'plan-dir',
      cloud: 'aws',
      domain: 'example.com',
      imageTag: '2025-09-19',
      rolloutTimeoutMinutes: 45,
    });
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
});
