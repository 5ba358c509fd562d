import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.ts';
import { loadEnvironmentFile, provisionEnvironment } from '../aws/provisioning/index.ts';
import type { DataKey } from '../egress/crypto/data-key.ts';
import { DataKeyServiceClient } from '../egress/crypto/dks/dks-client.ts';
import { dateStamps } from '../egress/plan/dates.ts';
import { textTable } from '../rule-tools/format.ts';
import { checkItems, recordsFromItems } from '../rule-tools/items.ts';
import { sandboxTarget, sftContextFor } from '../rule-tools/rule-source.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { PROJECT_ROOT } from '../sandbox/settings.ts';
import { waitFor } from '../util/wait.ts';
import { type ExpectedDelivery, expectedDeliveries } from './expectations.ts';
import { type Published, publishFlag, publishObject } from './publish.ts';
import { LARGE_SAMPLE_BYTES, samplePipelines } from './samples.ts';
import { tracePrinter } from './trace-format.ts';

/** Indentation of the demo's own notes, so they line up with the trace's stage column. */
const NOTE = ' '.repeat(13);

/** The demo could not show what it set out to: the message says what is missing and where to look. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

export interface DemoOptions {
  /** Where the demo's lines go (the CLI prints them). */
  out: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** How long to wait for every delivery. @defaultValue 60 000 ms */
  timeoutMs?: number | undefined;
  /** Size of the large sample. @defaultValue 24 MiB */
  largeBytes?: number | undefined;
  /** Print the sandbox trace while the demo runs. @defaultValue true */
  liveTrace?: boolean | undefined;
  /** The rules to seed. @defaultValue config/sandbox/rules.yml */
  rulesFile?: string | undefined;
}

/** Names the step that failed: `uploading s3://…: The specified bucket does not exist`. */
async function withContext<T>(step: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DemoError || (error as Error).name === 'AbortError') throw error;
    throw new DemoError(`${step}: ${(error as Error).message}`, { cause: error });
  }
}

/** One delivered object, as the summary shows it. */
export interface DemoDelivery extends ExpectedDelivery {
  readonly bytes: number;
  /** `decrypted ✓`, `same bytes ✓`, `24.0 MiB ✓`. */
  readonly verified: string;
}

export interface DemoResult {
  readonly deliveries: DemoDelivery[];
  readonly durationMs: number;
  /** The summary table, as printed. */
  readonly summary: string;
}

const readBody = async (s3: S3Client, bucket: string, key: string): Promise<Buffer> => {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
};

async function verify(s3: S3Client, delivery: ExpectedDelivery, bytes: number): Promise<string> {
  if (delivery.check === 'size') {
    if (bytes !== delivery.source.bytes) {
      throw new DemoError(
        `s3://${delivery.bucket}/${delivery.key} has ${bytes} bytes, ${delivery.source.bytes} were sent`,
      );
    }
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB ✓`;
  }
  const digest = createHash('sha256')
    .update(await readBody(s3, delivery.bucket, delivery.key))
    .digest('hex');
  if (digest !== delivery.source.sha256) {
    throw new DemoError(
      `s3://${delivery.bucket}/${delivery.key} is not the ${delivery.check === 'decrypted' ? 'decrypted plaintext' : 'file'} that was published`,
    );
  }
  return `${delivery.check} ✓`;
}

/** The summary: what each recipient received, sorted by recipient. */
export function formatSummary(deliveries: readonly DemoDelivery[]): string {
  const rows = [...deliveries]
    .sort((a, b) => a.recipient.localeCompare(b.recipient) || a.key.localeCompare(b.key))
    .map((d) => [d.recipient, d.pipeline, d.via, `s3://${d.bucket}/${d.key}`, String(d.bytes), d.verified]);
  const total = deliveries.reduce((sum, d) => sum + d.bytes, 0);
  const recipients = new Set(deliveries.map((d) => d.recipient)).size;
  return `${textTable(['recipient', 'pipeline', 'via', 'received', 'bytes', 'check'], rows)}\n${deliveries.length} deliveries to ${recipients} recipients, ${total} bytes`;
}

/**
 * The stakeholder demo on a running sandbox: seeds the original's routing rules, publishes sample
 * data for a few real pipelines (S3 with HTME decryption through the DKS, SFT through the agent to
 * stub-hdfs, the RIS two-route copy, a large multipart file with progress), prints the live trace
 * (upload → S3 event → message/rules → delivery → SFT agent → stub NiFi), waits until every object
 * `egress routes explain` predicts has arrived, checks the contents and ends with a summary table
 * of what each recipient received.
 *
 * @throws DemoError when a delivery does not arrive in time or arrives wrong
 */
export async function runDemo(sandbox: Sandbox, options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const { out, signal } = options;
  const target = sandboxTarget(sandbox.state);
  const s3 = createS3Client(target);
  const failures: string[] = [];
  const unsubscribe: (() => void)[] = [];
  let dks: DataKeyServiceClient | undefined;
  try {
    // 1. The real rule set.
    const rulesFile = options.rulesFile ?? path.join(PROJECT_ROOT, 'config/sandbox/rules.yml');
    const loaded = await loadEnvironmentFile(rulesFile);
    await provisionEnvironment(target, loaded);
    const records = [...loaded.items.entries()].flatMap(([table, items]) => recordsFromItems(items, table));
    const invalid = checkItems(records).filter((checked) => !checked.ok);
    for (const checked of invalid) {
      // As deployed: its values come from a secret store the sandbox does not have. The service
      // still reports it, and the trace and dashboard show that report as the demonstration it is.
      sandbox.demonstrations.mark(
        { sourcePrefix: checked.record.item.source_prefix, pipelineName: checked.record.item.pipeline_name },
        'the original deployment’s rule, whose values come from a secret store the sandbox does not have',
      );
    }
    out(
      `demo: seeded the original's ${records.length} routing rules into table ${sandbox.state.table} (${path.relative(PROJECT_ROOT, rulesFile)})` +
        (invalid.length
          ? `; ${invalid.length} invalid (${invalid.map((i) => i.record.item.pipeline_name).join(', ')}: values from a secret store), reported and ignored by the service`
          : ''),
    );

    // 2. The live trace.
    if (options.liveTrace !== false) {
      const print = tracePrinter(out, started);
      sandbox.trace.on('entry', print);
      unsubscribe.push(() => sandbox.trace.off('entry', print));
    }
    const { egress, sftAgent } = sandbox.components;
    unsubscribe.push(
      egress.on('object_failed', (event) => failures.push(`${event.sourceKey}: ${event.reason}`)),
    );
    const onAgentFailure = (event: { name: string; reason: string }) =>
      failures.push(`${event.name}: ${event.reason}`);
    sftAgent.on('failed', onAgentFailure);
    unsubscribe.push(() => sftAgent.off('failed', onAgentFailure));

    // 3. Sample data, then the flags.
    const stamps = dateStamps(new Date(), egress.config.timeZone);
    const sft = sftContextFor(sandbox.state);
    const [ca, cert, key] = await Promise.all(
      [sandbox.state.tls.ca, sandbox.state.tls.cert, sandbox.state.tls.key].map((file) =>
        readFile(file, 'utf8'),
      ),
    );
    dks = new DataKeyServiceClient({ url: sandbox.state.dks!.url, tls: { ca: ca!, cert: cert!, key: key! } });
    let dataKey: Promise<DataKey> | undefined;
    const client = dks;
    const publisher = {
      s3,
      trace: sandbox.trace,
      signal,
      progress: (line: string) => out(`${NOTE}${line}`),
      dataKey: () => {
        dataKey ??= client.generateDataKey(signal);
        return dataKey;
      },
    };
    const expected: ExpectedDelivery[] = [];
    for (const pipeline of samplePipelines(stamps, options.largeBytes ?? LARGE_SAMPLE_BYTES)) {
      signal?.throwIfAborted();
      out('');
      out(`▶ ${pipeline.title}`);
      const published: Published[] = [];
      for (const object of pipeline.objects) {
        const where = `uploading s3://${pipeline.bucket}/${object.key}`;
        published.push(await withContext(where, publishObject(object, pipeline.bucket, publisher)));
      }
      const deliveries = expectedDeliveries(records, published, stamps, sft);
      for (const delivery of new Set(deliveries.map((d) => `${d.pipeline} → ${d.recipient} by ${d.via}`))) {
        out(`${NOTE}rule ${delivery}`);
      }
      expected.push(...deliveries);
      await withContext(
        `uploading the flag s3://${pipeline.bucket}/${pipeline.flagKey}`,
        publishFlag(pipeline.bucket, pipeline.flagKey, publisher),
      );
    }

    // 4. Every predicted delivery, checked.
    const arrived = new Map<ExpectedDelivery, number>();
    const timeoutMs = options.timeoutMs ?? 60_000;
    try {
      await waitFor(
        async () => {
          for (const delivery of expected) {
            if (arrived.has(delivery)) continue;
            const head = await s3
              .send(new HeadObjectCommand({ Bucket: delivery.bucket, Key: delivery.key }), {
                abortSignal: signal,
              })
              .catch((error: Error) => {
                if (error.name === 'NotFound' || error.name === 'NoSuchKey') return undefined;
                throw error;
              });
            if (head) arrived.set(delivery, head.ContentLength ?? 0);
          }
          return arrived.size === expected.length;
        },
        { timeoutMs, intervalMs: 100, signal, description: 'every delivery' },
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      const missing = expected
        .filter((d) => !arrived.has(d))
        .map((d) => `s3://${d.bucket}/${d.key} (${d.pipeline})`);
      throw new DemoError(
        `after ${Math.round(timeoutMs / 1000)} s these deliveries had not arrived: ${missing.join(', ')}` +
          (failures.length ? `; failures: ${failures.join('; ')}` : '') +
          `; the sandbox log is ${sandbox.state.logs}`,
        { cause: error },
      );
    }
    const deliveries: DemoDelivery[] = [];
    for (const delivery of expected) {
      const bytes = arrived.get(delivery) ?? 0;
      deliveries.push({ ...delivery, bytes, verified: await verify(s3, delivery, bytes) });
    }
    for (const stop of unsubscribe.splice(0)) stop();

    // 5. The summary.
    const summary = formatSummary(deliveries);
    const durationMs = Date.now() - started;
    out('');
    out('demo summary — what each recipient received');
    for (const line of summary.split('\n')) out(line);
    out(`demo finished in ${(durationMs / 1000).toFixed(1)} s`);
    return { deliveries, durationMs, summary };
  } finally {
    for (const stop of unsubscribe) stop();
    await dks?.close();
    s3.destroy();
  }
}
