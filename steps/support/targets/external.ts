import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxState } from '../../../src/sandbox/state-file.ts';
import { logEvents } from '../pipeline-events.ts';
import type { TestTarget } from '../target.ts';
import { logSize, readLogFrom } from './logs.ts';

/** Where the external stack's description is: `EGRESS_SANDBOX_JSON`, default `.sandbox/sandbox.json`. */
export function externalStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.EGRESS_SANDBOX_JSON || '.sandbox/sandbox.json');
}

/**
 * An already running stack (a sandbox in another terminal, or the docker-compose stack),
 * described by its sandbox.json. The scenarios observe its egress service through its log file
 * (`logs`), so that file must be readable from here.
 */
export async function connectExternalTarget(): Promise<TestTarget> {
  const file = externalStateFile();
  let state: SandboxState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as SandboxState;
  } catch (error) {
    throw new Error(
      `EGRESS_TARGET=external needs a running stack's sandbox.json; cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error}). ` +
        'Start one with `npx egress sandbox --no-demo` or set EGRESS_SANDBOX_JSON.',
    );
  }
  for (const field of ['region', 'aws', 'table', 'queue', 'deadLetterQueue', 'sftRoot'] as const) {
    if (!state[field]) throw new Error(`${file}: field "${field}" is missing`);
  }
  const logs = state.logs && existsSync(state.logs) ? state.logs : undefined;
  return {
    name: 'external',
    state,
    events: logEvents(logs),
    logMark: () => (logs ? logSize(logs) : Promise.resolve(0)),
    logsSince: (mark) => (logs ? readLogFrom(logs, mark) : Promise.resolve('')),
    stop: async () => {},
  };
}
