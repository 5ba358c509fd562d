/**
 * The closing tally of `npm test`, from the reports its runs wrote: pure, no I/O. Every way a run
 * can go wrong counts as a failure, not only a failed test: a missing or unreadable report, a test
 * file that failed to load, tests that never ran because a `beforeAll` hook threw (vitest reports
 * them as skipped), a cucumber run that stopped before it finished, a run that ran no test, and an
 * exit code that says "failed" when the report counts no failure.
 */

/** The kinds of report a run can write. */
export type ReportFormat = 'vitest-json' | 'cucumber-messages';

/** What one run left behind, for {@link tallyRun}. */
export interface RunResult {
  /** Shown on the run's line, e.g. `unit and component (vitest)`. */
  name: string;
  format: ReportFormat;
  /** Where the report was expected, for messages. */
  reportPath: string;
  /** The report's text, or `undefined` when the run wrote none. */
  report: string | undefined;
  exitCode: number | null;
  signal?: NodeJS.Signals | null;
  /** Test file paths are shown relative to this directory. */
  root?: string;
}

/** Counts of one run, and why failures were counted beyond failed tests (one line each). */
export interface RunTally {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
}

const relative = (file: string, root: string | undefined) =>
  root && file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;

interface VitestAssertion {
  status: string;
  fullName?: string;
}

interface VitestFile {
  name: string;
  status: string;
  message?: string;
  assertionResults?: VitestAssertion[];
}

const NOT_RUN = new Set(['skipped', 'pending', 'todo', 'disabled']);

/** Counts vitest's JSON report (its jest-compatible shape), file by file. */
export function tallyVitestReport(json: string, root?: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, problems: [] };
  let files: VitestFile[];
  try {
    const report = JSON.parse(json) as { testResults?: VitestFile[] };
    if (!Array.isArray(report.testResults)) throw new Error('it has no testResults');
    files = report.testResults;
  } catch (error) {
    return { ...counts, failed: 1, problems: [`the report is unreadable: ${(error as Error).message}`] };
  }
  for (const file of files) {
    const assertions = file.assertionResults ?? [];
    const failed = assertions.filter((a) => a.status === 'failed').length;
    const passed = assertions.filter((a) => a.status === 'passed').length;
    const notRun = assertions.filter((a) => NOT_RUN.has(a.status)).length;
    counts.passed += passed;
    counts.failed += failed;
    const name = relative(file.name, root);
    const why = file.message ? `: ${file.message.split('\n')[0]}` : '';
    if (file.status !== 'failed' || failed > 0) {
      counts.skipped += notRun;
    } else if (notRun > 0) {
      // A hook failed: vitest marks the tests it kept from running as skipped, and says no more.
      counts.failed += notRun;
      counts.problems.push(
        `${name}: ${notRun} test${notRun === 1 ? '' : 's'} did not run because the file failed (a beforeAll hook or setup threw)${why}`,
      );
    } else {
      counts.failed += 1;
      counts.problems.push(`${name}: failed outside any test (it did not load, or a hook threw)${why}`);
    }
  }
  return counts;
}

/** The parts of cucumber's messages the tally reads. */
interface Envelope {
  testCaseStarted?: { id: string; testCaseId: string };
  testStepFinished?: { testCaseStartedId: string; testStepResult: { status: string } };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried?: boolean };
  testRunFinished?: { success?: boolean; exception?: { message?: string }; message?: string };
}

const STATUS_RANK = ['PASSED', 'SKIPPED', 'PENDING', 'UNKNOWN', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];
const worse = (a: string, b: string) => (STATUS_RANK.indexOf(b) > STATUS_RANK.indexOf(a) ? b : a);

/**
 * Counts cucumber's message stream: each scenario once, by its last attempt (retries), with the
 * most severe result of its steps and hooks; undefined, ambiguous and pending steps fail (strict).
 */
export function tallyCucumberMessages(ndjson: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, problems: [] };
  const attemptOf = new Map<string, string>();
  const worst = new Map<string, string>();
  const finalStatus = new Map<string, string>();
  let finished: Envelope['testRunFinished'];
  let unreadable = 0;
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(line) as Envelope;
    } catch {
      unreadable++;
      continue;
    }
    if (envelope.testCaseStarted) {
      attemptOf.set(envelope.testCaseStarted.id, envelope.testCaseStarted.testCaseId);
      worst.set(envelope.testCaseStarted.id, 'PASSED');
    } else if (envelope.testStepFinished) {
      const id: string = envelope.testStepFinished.testCaseStartedId;
      worst.set(id, worse(worst.get(id) ?? 'PASSED', envelope.testStepFinished.testStepResult.status));
    } else if (envelope.testCaseFinished) {
      const id: string = envelope.testCaseFinished.testCaseStartedId;
      if (!envelope.testCaseFinished.willBeRetried) {
        finalStatus.set(attemptOf.get(id) ?? id, worst.get(id) ?? 'PASSED');
      }
    } else if (envelope.testRunFinished) {
      finished = envelope.testRunFinished;
    }
  }
  for (const status of finalStatus.values()) {
    if (status === 'PASSED') counts.passed++;
    else if (status === 'SKIPPED') counts.skipped++;
    else counts.failed++;
  }
  if (unreadable > 0) {
    counts.problems.push(`${unreadable} line${unreadable === 1 ? '' : 's'} of the message stream unreadable`);
  }
  if (!finished) {
    counts.failed += 1;
    counts.problems.push(
      'the run stopped before it finished (no testRunFinished message): cucumber crashed, failed to load its support code, or a BeforeAll/AfterAll hook threw — see its output above',
    );
  } else if (finished.success === false && counts.failed === 0) {
    const detail = finished.exception?.message ?? finished.message;
    counts.failed += 1;
    counts.problems.push(
      `cucumber reported the run as failed with no failed scenario${detail ? `: ${detail}` : ''}`,
    );
  }
  return counts;
}

/** One run's tally from what it left behind: its report, and its exit. */
export function tallyRun(result: RunResult): RunTally {
  const exit = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
  if (result.report === undefined) {
    return {
      name: result.name,
      passed: 0,
      failed: 1,
      skipped: 0,
      problems: [`no report at ${result.reportPath}: the run wrote none (${exit})`],
    };
  }
  const counts =
    result.format === 'vitest-json'
      ? tallyVitestReport(result.report, result.root)
      : tallyCucumberMessages(result.report);
  if (counts.passed + counts.failed + counts.skipped === 0) {
    counts.failed += 1;
    counts.problems.push('it ran no test');
  }
  if ((result.exitCode !== 0 || result.signal) && counts.failed === 0) {
    counts.failed += 1;
    counts.problems.push(
      `it ended with ${exit} although its report counts no failure — see its output above`,
    );
  }
  return { name: result.name, ...counts };
}

/** The lines `npm test` ends with, and its exit code. */
export interface Summary {
  /** One line per run, each followed by its problems. */
  lines: string[];
  /** `N passed, N failed, N skipped` — the line CI reads; always the last. */
  closing: string;
  exitCode: 0 | 1;
}

export function summarize(tallies: RunTally[]): Summary {
  const total = { passed: 0, failed: 0, skipped: 0 };
  const lines: string[] = [];
  for (const tally of tallies) {
    total.passed += tally.passed;
    total.failed += tally.failed;
    total.skipped += tally.skipped;
    lines.push(`${tally.name}: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
    for (const problem of tally.problems) lines.push(`  ✗ ${problem}`);
  }
  if (total.passed === 0) {
    // Every run empty or skipped: green would claim something was tested.
    total.failed += 1;
    lines.push(tallies.length === 0 ? '✗ no run was configured' : '✗ no test passed');
  }
  return {
    lines,
    closing: `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`,
    exitCode: total.failed > 0 ? 1 : 0,
  };
}
