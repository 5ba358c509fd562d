/**
 * `npm run chaos` (`node --import tsx scripts/chaos/run.ts`): every fault scenario against the
 * embedded edge, one after another, each judged by the accounting against a clean run. Prints the
 * accounting table, writes `reports/chaos/report.json` + `report.txt` and every component's logs to
 * `reports/chaos/logs/`, and exits 1 when anything is lost or unexplained or a scenario's own
 * expectation is not met.
 *
 *   node --import tsx scripts/chaos/run.ts [--quick] [--only name,name]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatAccountingTable } from './accounting.ts';
import { SCENARIOS, type ScenarioOutcome, scenarioContext } from './scenarios.ts';
import { startChaosEnvironment } from './world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: node --import tsx scripts/chaos/run.ts [--quick] [--only name,name]
  --quick        only the scenarios marked quick (those npm test runs too)
  --only NAMES   these scenarios, comma-separated (known: ${SCENARIOS.map((s) => s.name).join(', ')})`;

let parsed: ReturnType<typeof parseOptions>;
try {
  parsed = parseOptions();
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const { values } = parsed;

function parseOptions() {
  return parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
const only = values.only?.split(',').map((name) => name.trim());
const selected = SCENARIOS.filter(
  (scenario) => (!values.quick || scenario.quick) && (!only || only.includes(scenario.name)),
);
if (only) {
  const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    process.exit(2);
  }
}

const reportDir = path.resolve('reports/chaos');
await rm(reportDir, { recursive: true, force: true });
await mkdir(reportDir, { recursive: true });
const environment = await startChaosEnvironment({ logDir: path.join(reportDir, 'logs') });
const context = scenarioContext(environment);
const results: { name: string; fault: string; outcome?: ScenarioOutcome; error?: string }[] = [];
const started = Date.now();
try {
  await context.reference(context.workload);
  for (const scenario of selected) {
    console.log(`▶ ${scenario.name}: ${scenario.fault}`);
    try {
      const outcome = await scenario.run(context);
      results.push({ name: scenario.name, fault: scenario.fault, outcome });
      const { report } = outcome;
      console.log(
        `  ${report.lost === 0 && report.unexplained === 0 && outcome.problems.length === 0 ? 'ok' : 'FAILED'} in ${(outcome.durationMs / 1000).toFixed(1)} s — lost ${report.lost}, unexplained ${report.unexplained}`,
      );
    } catch (error) {
      results.push({
        name: scenario.name,
        fault: scenario.fault,
        error: (error as Error).stack ?? String(error),
      });
      console.log(`  CRASHED: ${(error as Error).message}`);
    }
  }
} finally {
  await environment.close();
}

const outcomes = [
  ...[...context.cleanOutcomes.values()].map((outcome) => ({ name: outcome.report.scenario, outcome })),
  ...results
    .filter((result) => result.outcome)
    .map((result) => ({ name: result.name, outcome: result.outcome! })),
];
const lines = [
  `chaos run ${new Date().toISOString()} — ${selected.length} scenario(s) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  formatAccountingTable(outcomes.map(({ outcome }) => outcome.report)),
  '',
  'evidence and expectations:',
];
for (const { name, outcome } of outcomes) {
  lines.push(`  ${name} (${(outcome.durationMs / 1000).toFixed(1)} s)`);
  for (const fact of outcome.evidence) lines.push(`    · ${fact}`);
  for (const problem of outcome.problems) lines.push(`    ✗ ${problem}`);
}
for (const result of results.filter((r) => r.error)) lines.push(`  ${result.name}: CRASHED\n${result.error}`);
const text = lines.join('\n');
console.log(`\n${text}`);
await writeFile(path.join(reportDir, 'report.txt'), `${text}\n`);
await writeFile(
  path.join(reportDir, 'report.json'),
  JSON.stringify(
    results.map((result) => ({
      ...result,
      outcome: result.outcome && {
        ...result.outcome,
        report: {
          ...result.outcome.report,
          outputs: result.outcome.report.outputs.filter((o) => o.status !== 'delivered'),
        },
      },
    })),
    null,
    2,
  ),
);
const failed =
  results.some((result) => result.error) ||
  outcomes.some(
    ({ outcome }) => outcome.report.lost > 0 || outcome.report.unexplained > 0 || outcome.problems.length > 0,
  );
console.log(failed ? '\nchaos: FAILED' : '\nchaos: zero lost, zero unexplained');
process.exit(failed ? 1 : 0);
