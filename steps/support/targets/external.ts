import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxState } from '../../../src/sandbox/state-file.ts';
import type { TestTarget } from '../target.ts';
import { logSize, readLogFrom } from './logs.ts';

/**
 * An already running stack (a sandbox in another terminal, or the docker-compose stack),
 * described by its sandbox.json: `EGRESS_SANDBOX_JSON`, default `.sandbox/sandbox.json`.
 */
export async function connectExternalTarget(): Promise<TestTarget> {
  const file = path.resolve(process.env.EGRESS_SANDBOX_JSON ?? '.sandbox/sandbox.json');
  let state: SandboxState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as SandboxState;
  } catch (error) {
    throw new Error(
      `EGRESS_TARGET=external needs a running stack's sandbox.json; cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error}). ` +
        'Start one with `npx egress sandbox --no-demo` or set EGRESS_SANDBOX_JSON.',
    );
  }
  return {
    name: 'external',
    state,
    logMark: () => logSize(state.logs),
    logsSince: (mark) => readLogFrom(state.logs, mark),
    stop: async () => {},
  };
}
