/**
 * The closing tally of `npm test` (scripts/test/tally.ts), from reports the real vitest and cucumber
 * wrote for each way a run can end (test/scripts/fixtures/generate.ts rebuilds them).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ReportFormat,
  type RunTally,
  summarize,
  tallyCucumberMessages,
  tallyRun,
  tallyVitestReport,
} from '../../scripts/test/tally.ts';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const runs = JSON.parse(readFileSync(path.join(FIXTURES, 'runs.json'), 'utf8')) as Record<
  string,
  { exitCode: number | null; report: boolean }
>;

/** A fixture run as scripts/test/run.ts would hand it to the tally. */
function fixtureRun(name: string) {
  const run = runs[name];
  if (!run) throw new Error(`no fixture run ${name}`);
  const [kind] = name.split('/');
  const format: ReportFormat = kind === 'vitest' ? 'vitest-json' : 'cucumber-messages';
  const file = path.join(FIXTURES, `${name}.${kind === 'vitest' ? 'json' : 'ndjson'}`);
  expect(existsSync(file)).toBe(run.report);
  return tallyRun({
    name,
    format,
    reportPath: `reports/${path.basename(file)}`,
    report: run.report ? readFileSync(file, 'utf8') : undefined,
    exitCode: run.exitCode,
    root: '<root>',
  });
}

type Expected = [passed: number, failed: number, skipped: number, problems: (string | RegExp)[]];

describe('tally of a vitest run', () => {
  it.each<[string, ...Expected]>([
    ['pass', 2, 0, 0, []],
    ['fail', 1, 1, 0, []],
    [
      'load-error',
      0,
      1,
      0,
      [
        "vitest/load-error/a.test.ts: failed outside any test (it did not load, or a hook threw): Cannot find module './missing-module.ts' imported from <root>/vitest/load-error/a.test.ts",
      ],
    ],
    [
      'before-all-throws',
      1,
      2,
      0,
      [
        'vitest/before-all-throws/a.test.ts: 2 tests did not run because the file failed (a beforeAll hook or setup threw)',
      ],
    ],
    ['skipped-on-purpose', 1, 0, 2, []],
    [
      'after-all-throws',
      1,
      1,
      0,
      [
        'vitest/after-all-throws/a.test.ts: failed outside any test (it did not load, or a hook threw): cleanup failed',
      ],
    ],
    [
      'error-outside-tests',
      1,
      1,
      0,
      ['it ended with exit code 1 although its report counts no failure — see its output above'],
    ],
    [
      'no-test',
      0,
      1,
      0,
      [
        'vitest/no-test/a.test.ts: failed outside any test (it did not load, or a hook threw): No test found in suite vitest/no-test/a.test.ts',
      ],
    ],
  ])('%s: %i passed, %i failed, %i skipped', (name, passed, failed, skipped, problems) => {
    const tally = fixtureRun(`vitest/${name}`);
    expect(tally).toMatchObject({ passed, failed, skipped });
    expect(tally.problems).toEqual(problems);
  });

  it('counts an unreadable (truncated) report as a failure', () => {
    const truncated = readFileSync(path.join(FIXTURES, 'vitest/pass.json'), 'utf8').slice(0, 200);
    expect(tallyVitestReport(truncated)).toMatchObject({
      passed: 0,
      failed: 1,
      problems: [expect.stringMatching(/^the report is unreadable: /)],
    });
    expect(tallyVitestReport('{}').problems).toEqual(['the report is unreadable: it has no testResults']);
  });
});

describe('tally of a cucumber run', () => {
  const crashed =
    'the run stopped before it finished (no testRunFinished message): cucumber crashed, failed to load its support code, or a BeforeAll/AfterAll hook threw — see its output above';
  it.each<[string, ...Expected]>([
    ['pass', 2, 0, 0, []],
    ['fail', 1, 1, 0, []],
    ['undefined', 0, 1, 0, []],
    ['skipped-on-purpose', 1, 0, 1, []],
    ['retried-then-passed', 1, 0, 0, []],
    ['before-all-throws', 0, 1, 0, [crashed]],
    ['after-all-throws', 0, 1, 0, [crashed]],
    ['load-error', 0, 1, 0, ['no report at reports/load-error.ndjson: the run wrote none (exit code 1)']],
    ['process-dies', 0, 1, 0, [crashed]],
    ['no-scenario', 0, 1, 0, ['it ran no test']],
  ])('%s: %i passed, %i failed, %i skipped', (name, passed, failed, skipped, problems) => {
    const tally = fixtureRun(`cucumber/${name}`);
    expect(tally).toMatchObject({ passed, failed, skipped });
    expect(tally.problems).toEqual(problems);
  });

  it('counts a run cucumber calls failed when no scenario failed', () => {
    const messages = [
      '{"testRunStarted":{"id":"r"}}',
      '{"testCaseStarted":{"id":"s1","testCaseId":"c1"}}',
      '{"testStepFinished":{"testCaseStartedId":"s1","testStepResult":{"status":"PASSED"}}}',
      '{"testCaseFinished":{"testCaseStartedId":"s1","willBeRetried":false}}',
      '{"testRunFinished":{"success":false,"exception":{"message":"AfterAll hook failed"}}}',
    ].join('\n');
    expect(tallyCucumberMessages(messages)).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      problems: ['cucumber reported the run as failed with no failed scenario: AfterAll hook failed'],
    });
  });

  it('says how many lines it could not read, and still counts the rest', () => {
    const pass = readFileSync(path.join(FIXTURES, 'cucumber/pass.ndjson'), 'utf8');
    expect(tallyCucumberMessages(`${pass}\n{"testCaseStarted":`)).toMatchObject({
      passed: 2,
      failed: 0,
      problems: ['1 line of the message stream unreadable'],
    });
  });
});

describe('a run that ends badly whatever its report says', () => {
  it.each([
    [{ exitCode: 0, signal: null }, 0, []],
    [
      { exitCode: null, signal: 'SIGKILL' as const },
      1,
      ['it ended with signal SIGKILL although its report counts no failure — see its output above'],
    ],
    [
      { exitCode: 127, signal: null },
      1,
      ['it ended with exit code 127 although its report counts no failure — see its output above'],
    ],
  ])('%j → %i failed', (exit, failed, problems) => {
    const report = readFileSync(path.join(FIXTURES, 'vitest/pass.json'), 'utf8');
    const tally = tallyRun({ name: 'unit', format: 'vitest-json', reportPath: 'r.json', report, ...exit });
    expect(tally).toMatchObject({ passed: 2, failed, problems });
  });
});

describe('the closing summary', () => {
  const tally = (name: string, passed: number, failed: number, skipped: number, problems: string[] = []) =>
    ({ name, passed, failed, skipped, problems }) satisfies RunTally;

  it('prints one line per run, its problems under it, and the closing line CI reads', () => {
    const summary = summarize([
      tally('unit and component (vitest)', 1300, 2, 3, ['test/x.test.ts: 2 tests did not run because …']),
      tally('scenarios, embedded target (cucumber)', 60, 0, 3),
    ]);
    expect(summary.lines).toEqual([
      'unit and component (vitest): 1300 passed, 2 failed, 3 skipped',
      '  ✗ test/x.test.ts: 2 tests did not run because …',
      'scenarios, embedded target (cucumber): 60 passed, 0 failed, 3 skipped',
    ]);
    expect(summary.closing).toBe('1360 passed, 2 failed, 6 skipped');
    expect(summary.closing).toMatch(/^\d+ passed, \d+ failed(, \d+ skipped)?$/);
    expect(summary.exitCode).toBe(1);
  });

  it.each([
    [[tally('a', 5, 0, 1), tally('b', 2, 0, 0)], '7 passed, 0 failed, 1 skipped', 0],
    [[tally('a', 0, 0, 4)], '0 passed, 1 failed, 4 skipped', 1],
    [[], '0 passed, 1 failed, 0 skipped', 1],
  ])('%j → %s, exit %i', (tallies, closing, exitCode) => {
    const summary = summarize(tallies);
    expect(summary.closing).toBe(closing);
    expect(summary.exitCode).toBe(exitCode);
  });

  it('names why a run with nothing passed is red', () => {
    expect(summarize([tally('a', 0, 0, 4)]).lines.at(-1)).toBe('✗ no test passed');
    expect(summarize([]).lines).toEqual(['✗ no run was configured']);
  });
});
