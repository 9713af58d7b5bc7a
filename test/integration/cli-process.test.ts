// The built CLI as a process among others: what happens around it, not inside a command.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../support/cli.js';
import { awsAnswersRaw } from '../unit/fixtures.js';

describe('the CLI process', () => {
  it('ends quietly, exit 0, when the reader of its output goes away (as in `status | head -1`)', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reading end closes before the CLI writes: its write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('troubleshoot with a CLI that never answers', () => {
  it('ends within about a minute, saying the cloud could not be read', async () => {
    const work = await mkdtemp(join(tmpdir(), 'hanging-aws-'));
    try {
      await writeFile(join(work, 'aws'), '#!/bin/sh\nexec sleep 600\n');
      await chmod(join(work, 'aws'), 0o755);
      await writeFile(join(work, 'answers.json'), JSON.stringify(awsAnswersRaw()));
      const started = Date.now();
      const run = await runCli(['troubleshoot', '--config', join(work, 'answers.json'), '--state-dir', join(work, 'state')],
        { PATH: `${work}:${process.env.PATH}`, CREATE_MEMBRANE_DEPLOY_BACKOFF_MS: '20' }, 120_000);
      const seconds = (Date.now() - started) / 1000;
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toContain('Could not read the deployment from the cloud: timed out after 20 s');
      expect(seconds).toBeLessThan(60);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 120_000);
});
