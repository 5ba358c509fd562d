/**
 * `npm test`: every unit and component test (vitest), then every BDD scenario (cucumber) on the
 * embedded target and, beside it, on moto; then one line per run and the closing line
 * `N passed, N failed, N skipped` that CI reads. Runs in one stage run side by side (the scenario
 * runs wait on sockets and child processes far more than they compute, so on two cores the pair
 * takes little longer than the slower one alone); the first streams its output, the others' output
 * is printed when each ends. Each run's report is deleted before it starts and read after it ends; how failures are
 * counted (crashes, load errors, hooks, empty runs) is in scripts/test/tally.ts.
 *
 * Another run is one more entry in STAGES: a name, a command, the report it writes and its format.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { executeRun, freshReportsDirectory, type RunSpec } from './test/run.ts';
import { type RunTally, summarize } from './test/tally.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const VITEST: RunSpec = {
  name: 'unit and component (vitest)',
  command: [
    'node',
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    '--outputFile.json=reports/vitest.json',
  ],
  report: 'reports/vitest.json',
  format: 'vitest-json',
};

const SCENARIO_RUNS: RunSpec[] = [
  {
    // The default profile of cucumber.mjs writes reports/cucumber-messages.ndjson (and the HTML and JUnit reports).
    name: 'scenarios, embedded target (cucumber)',
    command: ['node', '--import', 'tsx', 'node_modules/@cucumber/cucumber/bin/cucumber.js'],
    report: 'reports/cucumber-messages.ndjson',
    format: 'cucumber-messages',
  },
  {
    // The same scenarios on moto, the third-party peer (issue 16; `npm run peers` installs it).
    // Without moto the target skips every scenario with one line saying how to install it: counted
    // as skipped, never as passed.
    name: 'scenarios, moto target (cucumber)',
    command: [
      'node',
      '--import',
      'tsx',
      'node_modules/@cucumber/cucumber/bin/cucumber.js',
      '--profile',
      'moto',
    ],
    // Its own AWS call log (and IAM verdicts) in reports/moto/, since it runs beside the embedded run.
    env: { EGRESS_TARGET: 'moto', EGRESS_AWS_CALL_LOG: path.join(ROOT, 'reports/moto/aws-calls.ndjson') },
    report: 'reports/moto/cucumber-messages.ndjson',
    format: 'cucumber-messages',
  },
];

// A known notice from the AWS SDK about its future Node 22 floor; the pinned versions are fine.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await freshReportsDirectory(path.join(ROOT, 'reports'));

const STAGES: RunSpec[][] = [[VITEST], SCENARIO_RUNS];

const tallies: RunTally[] = [];
for (const stage of STAGES) {
  const results = await Promise.all(
    stage.map((run, index) => executeRun(run, ROOT, index === 0 ? 'stream' : 'hold')),
  );
  tallies.push(...results);
}

const summary = summarize(tallies);
console.log(`\n${summary.lines.join('\n')}`);
console.log(summary.closing);
process.exit(summary.exitCode);
