import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../../src/util/wait.ts';

const BIN = path.resolve('bin/egress.js');

/** A CLI process with its output captured. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts `egress <args>` as a separate process, the way a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      waitFor(() => (pattern.test(output) ? output : undefined), {
        timeoutMs,
        description: `output matching ${pattern} (so far: ${output.slice(-500)})`,
      }),
  };
}

export { EPHEMERAL_PORTS } from '../../src/testing/index.ts';
