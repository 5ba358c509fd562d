import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { NotificationConfiguration } from '../notifications/configuration.ts';
import type { PersistedBucket } from '../s3-storage/index.ts';
import type { PersistedParameter } from '../ssm.ts';
import type { PersistedQueue } from './sqs-snapshot.ts';

/*
 * The edge's in-memory state in one file, written at a graceful stop and read at the next start
 * (`--persist`): the S3 catalogue (bodies stay in their files), queues with their messages, SSM
 * parameters and bucket notification configurations. DynamoDB needs none: dynalite keeps its
 * tables on disk itself.
 */

export const EDGE_SNAPSHOT_VERSION = 1;

export interface EdgeSnapshot {
  readonly version: typeof EDGE_SNAPSHOT_VERSION;
  /** ISO time of the stop that wrote it. */
  readonly savedAt: string;
  readonly region: string;
  readonly s3: readonly PersistedBucket[];
  readonly sqs: readonly PersistedQueue[];
  readonly ssm: readonly PersistedParameter[];
  readonly notifications: Readonly<Record<string, NotificationConfiguration>>;
}

/** A snapshot that cannot be used; the message names the file and says how to start afresh. */
export class EdgeSnapshotError extends Error {
  override readonly name = 'EdgeSnapshotError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      `the persisted state ${file} cannot be restored: ${detail}. ` +
        'Start without --persist, or empty the state directory with `npx egress reset --state-dir …`',
    );
  }
}

const message = z.looseObject({
  messageId: z.string(),
  body: z.string(),
  md5OfBody: z.string(),
  messageAttributes: z.record(z.string(), z.looseObject({ DataType: z.string() })),
  md5OfMessageAttributes: z.string(),
  sentTimestamp: z.number(),
  approximateReceiveCount: z.number().int().min(0),
});

const snapshotSchema = z.object({
  version: z.literal(EDGE_SNAPSHOT_VERSION),
  savedAt: z.string(),
  region: z.string(),
  s3: z.array(
    z.object({
      name: z.string().min(1),
      created: z.string(),
      objects: z.array(
        z.object({
          key: z.string(),
          contentType: z.string(),
          etag: z.string(),
          lastModified: z.string(),
          metadata: z.record(z.string(), z.string()),
          blobs: z.array(
            z.object({ file: z.string().min(1), size: z.number().int().min(0), md5: z.string() }),
          ),
        }),
      ),
    }),
  ),
  sqs: z.array(
    z.object({
      name: z.string().min(1),
      url: z.url(),
      arn: z.string().startsWith('arn:aws:sqs:'),
      createdTimestamp: z.number(),
      lastModifiedTimestamp: z.number(),
      attributes: z.record(z.string(), z.string()),
      tags: z.record(z.string(), z.string()),
      sequenceCounter: z.number().int().min(0),
      messages: z.array(message),
    }),
  ),
  ssm: z.array(
    z.object({
      name: z.string().min(1),
      type: z.enum(['String', 'StringList', 'SecureString']),
      value: z.string(),
      version: z.number().int().min(1),
      lastModified: z.string(),
      description: z.string().optional(),
    }),
  ),
  notifications: z.record(
    z.string(),
    z.object({
      queueConfigurations: z.array(
        z.object({
          id: z.string(),
          queueArn: z.string(),
          events: z.array(z.string()),
          prefix: z.string().optional(),
          suffix: z.string().optional(),
        }),
      ),
    }),
  ),
});

/** Reads a snapshot; undefined when there is none (a first start). */
export async function readEdgeSnapshot(file: string): Promise<EdgeSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EdgeSnapshotError(file, (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EdgeSnapshotError(file, `not JSON (${(error as Error).message})`);
  }
  const parsed = snapshotSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EdgeSnapshotError(file, `${issue.path.join('.') || 'the document'}: ${issue.message}`);
  }
  return parsed.data as EdgeSnapshot;
}

/** Writes a snapshot atomically (a reader, or a kill mid-write, sees the old file or the new one). */
export async function writeEdgeSnapshot(file: string, snapshot: EdgeSnapshot): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
  await rename(temporary, file);
}
