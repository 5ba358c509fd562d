/**
 * `npm test`: every unit and component test (vitest), then every BDD scenario (cucumber) on the
 * embedded target and again on moto, then one closing summary line `N passed, N failed` that CI reads.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function vitestTally(file: string): Tally {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
  };
  return {
    passed: report.numPassedTests,
    // A suite that fails to load has no failed tests but must still count.
    failed: report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0),
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

function cucumberTally(file: string): Tally {
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(file)) return { ...tally, failed: 1 };
  // The message stream records each attempt's result; count the final attempt of each test case.
  const finalStatus = new Map<string, string>();
  const started = new Map<string, string>();
  const worst = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const message = JSON.parse(line);
    if (message.testCaseStarted) {
      started.set(message.testCaseStarted.id, message.testCaseStarted.testCaseId);
      worst.set(message.testCaseStarted.id, 'PASSED');
    } else if (message.testStepFinished) {
      const status: string = message.testStepFinished.testStepResult.status;
      const id: string = message.testStepFinished.testCaseStartedId;
      const rank = ['PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];
      if (rank.indexOf(status) > rank.indexOf(worst.get(id) ?? 'PASSED')) worst.set(id, status);
    } else if (message.testCaseFinished) {
      const id: string = message.testCaseFinished.testCaseStartedId;
      if (!message.testCaseFinished.willBeRetried)
        finalStatus.set(started.get(id) ?? id, worst.get(id) ?? 'PASSED');
    }
  }
  for (const status of finalStatus.values()) {
    if (status === 'PASSED') tally.passed++;
    else if (status === 'SKIPPED') tally.skipped++;
    else tally.failed++;
  }
  return tally;
}

// A known notice from the AWS SDK about its future Node 22 floor; the pinned versions are fine.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await mkdir('reports', { recursive: true });
const unitExit = await run(process.execPath, [
  'node_modules/vitest/vitest.mjs',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=reports/vitest.json',
]);
const unit = vitestTally('reports/vitest.json');

let bdd: Tally = { passed: 0, failed: 0, skipped: 0 };
let bddExit = 0;
if (existsSync('features') && existsSync('cucumber.mjs')) {
  bddExit = await run(process.execPath, [
    '--import',
    'tsx',
    'node_modules/@cucumber/cucumber/bin/cucumber.js',
  ]);
  bdd = cucumberTally('reports/cucumber-messages.ndjson');
}

// The same scenarios on moto, the third-party peer (issue 16). Without moto the target skips every
// scenario with one line saying `npm run peers`: they are counted as skipped, never as passed.
let moto: Tally = { passed: 0, failed: 0, skipped: 0 };
let motoExit = 0;
if (existsSync('features') && existsSync('cucumber.mjs')) {
  await rm('reports/moto', { recursive: true, force: true });
  motoExit = await run(
    process.execPath,
    ['--import', 'tsx', 'node_modules/@cucumber/cucumber/bin/cucumber.js', '--profile', 'moto'],
    { EGRESS_TARGET: 'moto' },
  );
  moto = cucumberTally('reports/moto/cucumber-messages.ndjson');
}

const passed = unit.passed + bdd.passed + moto.passed;
const failed =
  unit.failed +
  bdd.failed +
  moto.failed +
  (unitExit !== 0 && unit.failed === 0 ? 1 : 0) +
  (bddExit !== 0 && bdd.failed === 0 ? 1 : 0) +
  (motoExit !== 0 && moto.failed === 0 ? 1 : 0);
const skipped = unit.skipped + bdd.skipped + moto.skipped;
console.log(
  `\nunit/component: ${unit.passed} passed, ${unit.failed} failed; scenarios: ${bdd.passed} passed, ${bdd.failed} failed, ${bdd.skipped} skipped` +
    `; scenarios on moto: ${moto.passed} passed, ${moto.failed} failed, ${moto.skipped} skipped`,
);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
