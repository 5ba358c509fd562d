import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import type { PipelineEvents } from './pipeline-events.ts';

/** The targets `EGRESS_TARGET` chooses between. */
export const TARGET_NAMES = ['embedded', 'localstack', 'external', 'moto'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The environment a scenario runs against, whatever started it. */
export interface TestTarget {
  readonly name: TargetName;
  /** Same shape as sandbox.json: endpoints, queues, table, TLS files, SFT root. */
  readonly state: SandboxState;
  /** The in-process sandbox (embedded, moto and LocalStack targets): fault knobs, traces. */
  readonly sandbox?: Sandbox | undefined;
  /** What the egress service did (messages, unmatched flags, invalid rules, failures). */
  readonly events: PipelineEvents;
  /** Byte offset into the target's log, to show the logs written during a failing scenario. */
  logMark(): Promise<number>;
  logsSince(mark: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Which target a run asked for: `EGRESS_TARGET`, default `embedded`. Anything else is refused with
 * the list of valid names, before any scenario runs.
 */
export function requestedTarget(env: NodeJS.ProcessEnv = process.env): TargetName {
  const value = (env.EGRESS_TARGET || 'embedded').toLowerCase();
  if (!(TARGET_NAMES as readonly string[]).includes(value)) {
    throw new Error(`EGRESS_TARGET=${env.EGRESS_TARGET} is not one of ${TARGET_NAMES.join(', ')}`);
  }
  return value as TargetName;
}
