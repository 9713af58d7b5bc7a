// The whole test suite: build (the integration tests run the built CLI), type-check, vitest.
// Ends with a plain "N passed, N failed" line that CI logs can be read by.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;

if (run(process.execPath, ['scripts/build.mjs']) !== 0) process.exit(1);
if (run('npx', ['tsc', '--noEmit', '-p', '.']) !== 0) process.exit(1);

mkdirSync('.tmp', { recursive: true });
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/vitest-report.json', ...process.argv.slice(2)]);
try {
  const report = JSON.parse(readFileSync('.tmp/vitest-report.json', 'utf8'));
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${report.numPendingTests ? `, ${report.numPendingTests} skipped` : ''}`);
} catch {
  console.log('no test report was written');
}
process.exit(status);
