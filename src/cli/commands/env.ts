import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../../sandbox/settings.ts';
import { renderShellExports, sandboxEnvironment } from '../../sandbox/shell-exports.ts';
import { type SandboxState, stateFilePath } from '../../sandbox/state-file.ts';
import { UserError } from '../errors.ts';

/** How long the endpoint may take to answer before the sandbox counts as not running. */
const PROBE_TIMEOUT_MS = 3_000;

const REQUIRED_FIELDS = ['region', 'aws', 'table', 'queue', 'deadLetterQueue'] as const;

async function readState(file: string, stateDir: string): Promise<SandboxState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(
      `no sandbox runs in ${stateDir}: ${file} does not exist (start one with \`npx egress sandbox --no-demo --state-dir ${stateDir}\`)`,
    );
  }
  let state: SandboxState;
  try {
    state = JSON.parse(text) as SandboxState;
  } catch (error) {
    throw new UserError(`${file} is not JSON: ${(error as Error).message}`);
  }
  for (const field of REQUIRED_FIELDS) {
    if (!state[field]) throw new UserError(`${file} has no "${field}" field`);
  }
  if (!state.aws.endpoint) throw new UserError(`${file} has no "aws.endpoint" field`);
  return state;
}

/** True when something answers HTTP at the endpoint (any status: LocalStack has no /_edge/health). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/_edge/health', endpoint), {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export function registerEnvCommand(program: Command): void {
  program
    .command('env')
    .description('print shell exports for the running sandbox: eval "$(npx egress env)"')
    .option(
      '--state-dir <dir>',
      'the sandbox state directory (default: $EGRESS_STATE_DIR, else .sandbox/ in the project)',
    )
    .action(async (flags: { stateDir?: string }) => {
      const stateDir = path.resolve(
        flags.stateDir ?? process.env.EGRESS_STATE_DIR ?? path.join(PROJECT_ROOT, '.sandbox'),
      );
      const file = stateFilePath(stateDir);
      const state = await readState(file, stateDir);
      if (!(await answers(state.aws.endpoint))) {
        throw new UserError(
          `no sandbox runs in ${stateDir}: nothing answers at ${state.aws.endpoint} (${file} is stale${state.pid ? `, written by pid ${state.pid}` : ''})`,
        );
      }
      process.stdout.write(renderShellExports(sandboxEnvironment(state, file)));
    });
}
