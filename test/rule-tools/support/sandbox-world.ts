import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from '../../../src/aws/clients.ts';
import { sandboxTarget } from '../../../src/rule-tools/index.ts';
import { type Sandbox, startSandbox } from '../../../src/sandbox/sandbox.ts';
import { resolveSandboxSettings } from '../../../src/sandbox/settings.ts';
import { EPHEMERAL_PORTS } from '../../../src/testing/index.ts';
import { EGRESS_EVENT_NAMES, type EventLog, emptyEventLog } from './compare.ts';

/*
 * A whole sandbox (edge, DKS and NiFi stubs, SFT agent, egress service) in this process on free
 * ports, for tests that compare `egress routes explain` with what really arrives.
 */

export interface SandboxWorld {
  readonly sandbox: Sandbox;
  readonly s3: S3Client;
  readonly events: EventLog;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Every key in a bucket (all pages). */
  keys(bucket: string): Promise<string[]>;
  /** Files (not directories) under the SFT root, as `/dir/name` paths. */
  sftFiles(): Promise<string[]>;
  /** Visible plus in-flight messages of a queue. */
  queueDepth(url: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startSandboxWorld(): Promise<SandboxWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'routes-world-'));
  const sandbox = await startSandbox({
    settings: resolveSandboxSettings({ stateDir: dir }, { ...process.env, ...EPHEMERAL_PORTS }),
  });
  const target = sandboxTarget(sandbox.state);
  const s3 = createS3Client(target);
  const sqs: SQSClient = createSqsClient(target);
  const events = emptyEventLog();
  for (const name of EGRESS_EVENT_NAMES) {
    sandbox.components.egress.on(name, (payload) => (events[name] as unknown[]).push(payload));
  }
  const sftRoot = sandbox.state.sftRoot;
  const walk = async (directory: string): Promise<string[]> => {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries.map((entry) => {
        const full = path.join(directory, entry.name);
        return entry.isDirectory() ? walk(full) : Promise.resolve([`/${path.relative(sftRoot, full)}`]);
      }),
    );
    return nested.flat();
  };
  return {
    sandbox,
    s3,
    events,
    async put(bucket, key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(bucket, key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await response.Body!.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async keys(bucket) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    sftFiles: () => walk(sftRoot),
    async queueDepth(url) {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
