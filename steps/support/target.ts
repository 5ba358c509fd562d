import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';

/** The environment a scenario runs against, whatever started it. */
export interface TestTarget {
  readonly name: 'embedded' | 'localstack' | 'external';
  /** Same shape as sandbox.json: endpoints, queues, table, TLS files, SFT root. */
  readonly state: SandboxState;
  /** The in-process sandbox (embedded and LocalStack targets): fault knobs, traces. */
  readonly sandbox?: Sandbox | undefined;
  /** Byte offset into the target's log, to show the logs written during a failing scenario. */
  logMark(): Promise<number>;
  logsSince(mark: number): Promise<string>;
  stop(): Promise<void>;
}
