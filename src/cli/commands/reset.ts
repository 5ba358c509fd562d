import path from 'node:path';
import type { Command } from 'commander';
import { resetStateDirectory } from '../../sandbox/reset.ts';
import { PROJECT_ROOT } from '../../sandbox/settings.ts';
import { StateDirectoryLockedError } from '../../sandbox/state-lock.ts';
import { UserError } from '../errors.ts';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `egress reset [--state-dir DIR]`: empties a state directory; refuses while a sandbox runs there. */
export function registerResetCommand(program: Command): void {
  program
    .command('reset')
    .description(
      'empty a sandbox state directory (persisted state, S3 bodies, logs, certificates, SFT root); refuses while a sandbox runs in it',
    )
    .option('--state-dir <dir>', 'the state directory (default: .sandbox/ in the project)')
    .action(async (flags: { stateDir?: string }) => {
      const stateDir = path.resolve(flags.stateDir ?? path.join(PROJECT_ROOT, '.sandbox'));
      let report: Awaited<ReturnType<typeof resetStateDirectory>>;
      try {
        report = await resetStateDirectory(stateDir);
      } catch (error) {
        if (error instanceof StateDirectoryLockedError) throw new UserError(error.message, { cause: error });
        throw error;
      }
      if (report.removed.length === 0) {
        console.log(`nothing to reset in ${stateDir}`);
      } else {
        const total = report.removed.reduce((sum, entry) => sum + entry.bytes, 0);
        console.log(
          `reset ${stateDir}: removed ${report.removed.map((e) => `${e.name} (${size(e.bytes)})`).join(', ')} — ${size(total)} in all`,
        );
      }
      if (report.kept.length) {
        console.log(`left alone (not the sandbox's): ${report.kept.join(', ')}`);
      }
    });
}
