import path from 'node:path';
import type { Command } from 'commander';
import { type HealthReport, unhealthy } from '../../edge/health.ts';
import { NoSandboxRunningError, readRunningSandbox } from '../../sandbox/running.ts';
import { PROJECT_ROOT } from '../../sandbox/settings.ts';
import { formatStatus } from '../../sandbox/status-format.ts';
import { UserError } from '../errors.ts';

interface StatusFlags {
  stateDir?: string;
  json: boolean;
  timeout: string;
}

/** `egress status [--state-dir DIR] [--json]`: exit 0 all running, 1 something is not, 2 no sandbox. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'the health of the sandbox in a state directory (LocalStack’s /_localstack/health) with each component’s port; exit 0 all running, 1 something in error, 2 no sandbox',
    )
    .option('--state-dir <dir>', 'the sandbox’s state directory (default: .sandbox/ in the project)')
    .option('--json', 'print the health report as JSON', false)
    .option('--timeout <ms>', 'how long to wait for the sandbox to answer', '10000')
    .action(async (flags: StatusFlags) => {
      const stateDir = path.resolve(flags.stateDir ?? path.join(PROJECT_ROOT, '.sandbox'));
      let running: Awaited<ReturnType<typeof readRunningSandbox>>;
      try {
        running = await readRunningSandbox(stateDir);
      } catch (error) {
        if (error instanceof NoSandboxRunningError) throw new UserError(error.message, { cause: error });
        throw error;
      }
      const url =
        running.state.health?.url ?? new URL('/_localstack/health', running.state.aws.endpoint).href;
      let report: HealthReport;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(Number(flags.timeout) || 10_000) });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        report = (await response.json()) as HealthReport;
        if (typeof report?.services !== 'object' || report.services === null) {
          throw new Error('the answer has no "services"');
        }
      } catch (error) {
        const who = running.holder ? `the sandbox with pid ${running.holder.pid}` : 'the sandbox';
        console.error(
          `egress: ${who} in ${stateDir} does not answer its health check at ${url}: ${(error as Error).message}`,
        );
        process.exitCode = 1;
        return;
      }
      report = { ...report, details: report.details ?? {} };
      console.log(
        flags.json ? JSON.stringify(report, null, 2) : formatStatus(stateDir, running.holder, report),
      );
      if (unhealthy(report).length > 0) process.exitCode = 1;
    });
}
