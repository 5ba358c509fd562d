import type { EnvironmentDeclaration } from '../aws/provisioning/index.ts';
import { uniqueName } from './unique-name.ts';

/** The suffix of the flag objects that start a transfer (the original's `pipeline_success.flag`). */
export const FLAG_SUFFIX = 'pipeline_success.flag';

/** Options for a test world; everything in it gets a name no other test uses. */
export interface WorldOptions {
  /** Start of every name in the world. @defaultValue `egress` */
  prefix?: string;
  /** Receives before SQS moves a message to the dead-letter queue. @defaultValue 10 */
  maxReceiveCount?: number;
  /** The queue's own visibility timeout; the service's receive sets its own. @defaultValue SQS's */
  visibilityTimeoutSeconds?: number;
  /** Buckets the world owns, by role (`['source', 'destination']`): `world.buckets.source` is the name. */
  buckets?: readonly string[];
  /** Roles of `buckets` whose `…pipeline_success.flag` objects notify the world's queue. */
  notifyFlags?: readonly string[];
  /**
   * Routing items for the world's table. A `source_bucket` or `destination_bucket` that names a
   * role of `buckets` becomes that bucket's name (the environment file's `bucketAliases`).
   */
  rules?: readonly Record<string, unknown>[];
}

/** The names of a world, before anything exists. */
export interface WorldNames {
  queue: string;
  deadLetterQueue: string;
  table: string;
  /** Bucket name by role. */
  buckets: Record<string, string>;
}

/** Unique names for a world: the queue's, with `-dlq` and `-rules` for its companions. */
export function worldNames(options: WorldOptions = {}): WorldNames {
  const queue = uniqueName(options.prefix ?? 'egress');
  return {
    queue,
    deadLetterQueue: `${queue}-dlq`,
    table: `${queue}-rules`,
    buckets: Object.fromEntries((options.buckets ?? []).map((role) => [role, uniqueName(role)])),
  };
}

/**
 * The world as an environment declaration (the environment-file format): a queue with a dead-letter
 * queue and redrive policy, the routing table with its items, the buckets and their flag
 * notifications — so a test world is provisioned exactly as the sandbox's environment is.
 */
export function worldEnvironment(names: WorldNames, options: WorldOptions = {}): EnvironmentDeclaration {
  const roles = options.buckets ?? [];
  for (const role of options.notifyFlags ?? []) {
    if (!roles.includes(role)) throw new Error(`notifyFlags names '${role}', which is not one of buckets`);
  }
  return {
    buckets: roles.map((role) => ({ name: names.buckets[role]! })),
    queues: [
      {
        name: names.queue,
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
          : {}),
        deadLetter: { name: names.deadLetterQueue, maxReceiveCount: options.maxReceiveCount ?? 10 },
      },
    ],
    notifications: (options.notifyFlags ?? []).map((role) => ({
      bucket: names.buckets[role]!,
      queue: names.queue,
      suffix: FLAG_SUFFIX,
    })),
    tables: [
      {
        name: names.table,
        ...(options.rules?.length
          ? { items: { inline: [...options.rules], bucketAliases: names.buckets } }
          : {}),
      },
    ],
  };
}
