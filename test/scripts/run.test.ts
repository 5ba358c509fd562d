/**
 * One run of `npm test` (scripts/test/run.ts): a run beside another holds its output and prints it
 * in one piece when it ends, and its report is still the one tallied.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { executeRun, freshReportsDirectory, type RunSpec } from '../../scripts/test/run.ts';

const PASSING_REPORT = path.resolve(import.meta.dirname, 'fixtures/vitest/pass.json');

/**
 * A child that prints three lines with pauses (so another run's lines could slip between them), on
 * stdout and stderr, and, when asked, writes a passing report.
 */
function printingRun(label: string, root: string, writesReport: boolean): RunSpec {
  const report = writesReport
    ? `(await import('node:fs')).copyFileSync(${JSON.stringify(PASSING_REPORT)}, 'report.json');`
    : '';
  const script = `for (const n of [1, 2, 3]) { (n === 2 ? console.error : console.log)('${label} line ' + n); await new Promise((r) => setTimeout(r, 30)); } ${report}`;
  return {
    name: label,
    command: ['node', '--input-type=module', '-e', script],
    report: path.relative(root, path.join(root, 'report.json')),
    format: 'vitest-json',
  };
}

/** Collects what is written to stdout (restored after each test). */
function captureStdout(): string[] {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(chunk.toString());
    return true;
  });
  return written;
}

describe('executeRun', () => {
  let root: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('holds a run’s output and prints it whole, under a header naming the run, when the run ends', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'run-test-'));
    const written = captureStdout();
    const tally = await executeRun(printingRun('beside', root, true), root, 'hold');

    const text = written.join('');
    expect(text).toMatch(/── beside \(ran beside the run above; its output follows\) ──\n/);
    expect(text).toContain('beside line 1\nbeside line 2\nbeside line 3\n');
    expect(written.filter((chunk) => chunk.includes('beside line'))).toHaveLength(1);
    expect(tally).toMatchObject({ passed: 2, failed: 0, problems: [] });
  });

  it('never counts a stale report: a held run that writes none is a failure', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'run-test-'));
    await copyFile(PASSING_REPORT, path.join(root, 'report.json'));
    captureStdout();
    const tally = await executeRun(printingRun('stale', root, false), root, 'hold');
    expect(tally.failed).toBeGreaterThan(0);
    expect(tally.problems.join('\n')).toMatch(/report/);
  });
});

describe('freshReportsDirectory', () => {
  it('leaves no artefact of an earlier run (nested ones included) and an empty directory to write to', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'reports-'));
    try {
      const reports = path.join(root, 'reports');
      await mkdir(path.join(reports, 'moto'), { recursive: true });
      await writeFile(path.join(reports, 'cucumber-report.html'), 'old');
      await writeFile(path.join(reports, 'moto', 'iam-check.txt'), 'old');
      await freshReportsDirectory(reports);
      expect(await readdir(reports)).toEqual([]);
      await freshReportsDirectory(path.join(root, 'absent'));
      expect(await readdir(path.join(root, 'absent'))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
