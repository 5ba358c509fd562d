/**
 * Runs one test run of `npm test` (a child process) and collects what {@link tallyRun} needs. The
 * run's report is deleted first, so a report left by an earlier run can never be counted for this
 * one. Its output goes to this terminal as it comes, or, for a run beside another, is held and
 * printed in one piece when it ends, so two runs' lines never interleave.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type ReportFormat, type RunResult, type RunTally, tallyRun } from './tally.ts';

/** One run of `npm test`. */
export interface RunSpec {
  /** Shown on the run's line of the summary. */
  name: string;
  /** The program and its arguments; `node` is this Node (process.execPath). */
  command: string[];
  /** Extra environment variables for this run. */
  env?: Record<string, string>;
  /** The report the tally reads, relative to the project root. */
  report: string;
  format: ReportFormat;
}

/** How a run's output reaches the terminal. */
export type RunOutput = 'stream' | 'hold';

function spawnRun(
  spec: RunSpec,
  root: string,
  output: RunOutput,
): Promise<Pick<RunResult, 'exitCode' | 'signal'>> {
  const [program, ...args] = spec.command;
  if (!program) throw new Error(`run "${spec.name}" has an empty command`);
  return new Promise((resolve) => {
    const child = spawn(program === 'node' ? process.execPath : program, args, {
      cwd: root,
      stdio: output === 'stream' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...spec.env },
    });
    // Held output keeps stdout and stderr in the order they arrived.
    const held: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => held.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => held.push(chunk));
    child.on('close', () => {
      if (output === 'hold') {
        process.stdout.write(`\n── ${spec.name} (ran beside the run above; its output follows) ──\n`);
        process.stdout.write(Buffer.concat(held));
      }
    });
    // A command that cannot start is a failed run with its reason, not a crash of the summary.
    child.on('error', (error) => {
      console.error(`${spec.name}: could not start ${program}: ${error.message}`);
      resolve({ exitCode: 127, signal: null });
    });
    // 'close' (not 'exit'): held output is complete only once the pipes have ended.
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
}

/**
 * Empties the reports directory before a test run: every artefact in it afterwards (HTML and JUnit
 * reports, moto's, screenshots, the IAM check) is this run's, never one a crashed run left over.
 */
export async function freshReportsDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
}

/** Deletes the stale report, runs, and tallies what the run wrote. */
export async function executeRun(
  spec: RunSpec,
  root: string,
  output: RunOutput = 'stream',
): Promise<RunTally> {
  const reportPath = path.resolve(root, spec.report);
  await rm(reportPath, { force: true });
  const exit = await spawnRun(spec, root, output);
  const report = await readFile(reportPath, 'utf8').catch(() => undefined);
  return tallyRun({
    name: spec.name,
    format: spec.format,
    reportPath: spec.report,
    report,
    root,
    ...exit,
  });
}
