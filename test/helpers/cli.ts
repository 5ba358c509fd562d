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

/** Options of {@link runNode}. */
export interface RunNodeOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** @defaultValue this process's working directory */
  cwd?: string;
}

/** Starts `node <args>` (this Node) as a separate process, stdout and stderr captured together. */
export function runNode(args: string[], options: RunNodeOptions = {}): CliProcess {
  const child = spawn(process.execPath, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
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

/** Starts `egress <args>` as a separate process, the way a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return runNode([BIN, ...args], { env });
}

/** Runs `egress <args>` to its end; resolves with its exit code and output. */
export async function cliOutcome(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const cli = runCli(args, env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

export { EPHEMERAL_PORTS } from '../../src/testing/index.ts';
