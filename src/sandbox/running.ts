import path from 'node:path';
import type { ProcessProbe } from './lock-holder.ts';
import { describeHolder, type LockHolder } from './lock-holder.ts';
import { readStateFile, type SandboxState, stateFilePath } from './state-file.ts';
import { localProcesses, readLock } from './state-lock.ts';

/** No sandbox runs in a state directory (or it is not ready); the message says which and what to do. */
export class NoSandboxRunningError extends Error {
  override readonly name = 'NoSandboxRunningError';
  constructor(
    readonly stateDir: string,
    readonly reason: 'none' | 'gone' | 'starting' | 'reset',
    message: string,
  ) {
    super(message);
  }
}

/** The running sandbox of a state directory: its sandbox.json and the lock's holder. */
export interface RunningSandbox {
  readonly stateDir: string;
  readonly state: SandboxState;
  /** Absent for a state directory described by hand (a sandbox.json and no lock). */
  readonly holder?: LockHolder | undefined;
}

/**
 * Finds the sandbox running in `stateDir` for commands that talk to it (`status`, `routes load`).
 * The lock decides whether it runs: a sandbox.json left by a sandbox that was killed is not taken
 * for a running one. A directory without a lock but with a sandbox.json (a stack described by
 * hand, such as compose's) is trusted as it is.
 *
 * @throws NoSandboxRunningError
 */
export async function readRunningSandbox(
  stateDir: string,
  probe: ProcessProbe = localProcesses,
): Promise<RunningSandbox> {
  const dir = path.resolve(stateDir);
  const lock = await readLock(dir, probe);
  const hint = `start one with: npx egress sandbox --state-dir ${dir}`;
  if (lock && !lock.alive) {
    throw new NoSandboxRunningError(
      dir,
      'gone',
      `no sandbox is running in ${dir}: the one that did (pid ${lock.holder.pid}) stopped without cleaning up (${lock.why}); ${hint}`,
    );
  }
  if (lock?.holder.purpose === 'reset') {
    throw new NoSandboxRunningError(dir, 'reset', `${describeHolder(lock.holder)} is emptying ${dir}`);
  }
  const state = await readStateFile(dir);
  if (!state) {
    if (lock) {
      throw new NoSandboxRunningError(
        dir,
        'starting',
        `${describeHolder(lock.holder)} is still starting: ${stateFilePath(dir)} is written once it is ready`,
      );
    }
    throw new NoSandboxRunningError(dir, 'none', `no sandbox is running in ${dir}; ${hint}`);
  }
  return { stateDir: dir, state, holder: lock?.holder };
}
