import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { EMULATOR_CREDENTIALS } from '../../src/aws/target.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { type CliProcess, EPHEMERAL_PORTS, runCli } from './cli.ts';

const run = promisify(execFile);

/** A running `egress sandbox` and the state file it wrote. */
export interface SandboxProcess {
  cli: CliProcess;
  state: SandboxState;
}

/** Options of {@link startSandbox}. */
export interface StartSandboxOptions {
  /** More arguments: `--no-demo`, `--persist`, `--rules FILE`. */
  args?: string[];
  /** The output that says it is ready. @defaultValue `/sandbox ready/` */
  ready?: RegExp;
  /** @defaultValue 60 000 ms */
  timeoutMs?: number;
}

/**
 * Starts `egress sandbox --state-dir <stateDir> …` on free ports, the way a user would, and reads
 * its `sandbox.json` once it is ready. A sandbox that is not ready in time is killed, so a failed
 * start leaves no process behind; stopping a started one is the caller's.
 */
export async function startSandbox(
  stateDir: string,
  options: StartSandboxOptions = {},
): Promise<SandboxProcess> {
  const cli = runCli(['sandbox', '--state-dir', stateDir, ...(options.args ?? [])], EPHEMERAL_PORTS);
  try {
    await cli.waitForOutput(options.ready ?? /sandbox ready/, options.timeoutMs ?? 60_000);
    const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
    return { cli, state };
  } catch (error) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    throw error;
  }
}

/**
 * Runs the AWS CLI (a client this project did not write) against a sandbox's edge, JSON output,
 * the emulator's credentials and no profile files; resolves with its stdout, rejects when it fails.
 */
export async function awsCli(state: SandboxState, args: string[]): Promise<string> {
  const { stdout } = await run('aws', [...args, '--endpoint-url', state.aws.endpoint, '--output', 'json'], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: state.region,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  });
  return stdout;
}
