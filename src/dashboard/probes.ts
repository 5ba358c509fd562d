import { readdir, readFile, stat } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { resolveUnderRoot } from '../sft/config/paths.ts';

/*
 * The dashboard's looks at the running sandbox: component health, queue depths, the SFT agent's
 * error folders and what the stub NiFi stored. Each answers within a short deadline and reports
 * a failure as data, so one slow component never blanks the page.
 */

const PROBE_TIMEOUT_MS = 2_000;

export interface Health {
  readonly component: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly url?: string | undefined;
}

/** PEM contents for the sandbox's mTLS endpoints (DKS stub, stub NiFi). */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** GET over HTTPS with the sandbox client certificate; resolves with the status code. */
function httpsStatus(url: string, tls: ClientTls): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: PROBE_TIMEOUT_MS },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

async function probe(
  component: string,
  url: string | undefined,
  check: () => Promise<string>,
): Promise<Health> {
  try {
    return { component, ok: true, detail: await withDeadline(check(), component), url };
  } catch (error) {
    return { component, ok: false, detail: (error as Error).message, url };
  }
}

export interface HealthTargets {
  readonly s3: S3Client;
  readonly endpoint: string;
  readonly dksUrl?: string | undefined;
  readonly nifiUrl?: string | undefined;
  readonly metricsUrl?: string | undefined;
  readonly tls: ClientTls;
  /** The SFT agent's watched directories (in process). */
  readonly sftWatching: () => number;
}

/** Every component's health, in pipeline order. */
export function componentHealth(targets: HealthTargets): Promise<Health[]> {
  const status = async (url: string, secure: boolean) => {
    const code = secure ? await httpsStatus(url, targets.tls) : (await fetch(url)).status;
    if (code !== 200) throw new Error(`HTTP ${code}`);
    return 'ok';
  };
  return Promise.all([
    probe('AWS edge', targets.endpoint, async () => {
      const { Buckets } = await targets.s3.send(new ListBucketsCommand({}));
      return `${Buckets?.length ?? 0} buckets`;
    }),
    probe('DKS stub', targets.dksUrl, () => status(new URL('/healthcheck', targets.dksUrl).href, true)),
    probe('egress service', targets.metricsUrl, () =>
      status(new URL('/health', targets.metricsUrl).href, false).then(() => 'consuming; /health ok'),
    ),
    probe('SFT agent', undefined, async () => {
      const watching = targets.sftWatching();
      if (watching === 0) throw new Error('watching no directories');
      return `watching ${watching} directories`;
    }),
    probe('stub NiFi', targets.nifiUrl, () => status(new URL('/health', targets.nifiUrl).href, true)),
  ]);
}

export interface QueueDepth {
  readonly name: string;
  readonly url: string;
  readonly visible?: number | undefined;
  readonly inFlight?: number | undefined;
  readonly error?: string | undefined;
}

export async function queueDepth(sqs: SQSClient, name: string, url: string): Promise<QueueDepth> {
  try {
    const { Attributes } = await withDeadline(
      sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
      name,
    );
    return {
      name,
      url,
      visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  } catch (error) {
    return { name, url, error: (error as Error).message };
  }
}

export interface ErrorFolder {
  /** As configured: `/data-egress/error/sas`. */
  readonly folder: string;
  readonly files: readonly {
    readonly name: string;
    readonly bytes: number;
    readonly reason?: string | undefined;
  }[];
}

/** The SFT agent's error folders and the files that ended there, with the reason from their sidecar. */
export async function sftErrorFolders(sftRoot: string, folders: readonly string[]): Promise<ErrorFolder[]> {
  const result: ErrorFolder[] = [];
  for (const folder of [...new Set(folders)].sort()) {
    const directory = resolveUnderRoot(sftRoot, folder);
    const names = await readdir(directory).catch(() => [] as string[]);
    const files: { name: string; bytes: number; reason?: string }[] = [];
    for (const name of names.sort()) {
      if (name.endsWith('.error.json') || name.startsWith('.')) continue;
      const info = await stat(path.join(directory, name)).catch(() => undefined);
      if (!info?.isFile()) continue;
      const sidecar = await readFile(path.join(directory, `${name}.error.json`), 'utf8').catch(
        () => undefined,
      );
      let reason: string | undefined;
      try {
        reason = sidecar ? (JSON.parse(sidecar) as { lastError?: string }).lastError : undefined;
      } catch {
        reason = 'unreadable error record';
      }
      files.push({ name, bytes: info.size, ...(reason ? { reason } : {}) });
    }
    result.push({ folder, files });
  }
  return result;
}

export interface BucketListing {
  readonly bucket: string;
  readonly objects: readonly {
    readonly key: string;
    readonly bytes: number;
    readonly lastModified?: string | undefined;
  }[];
  readonly truncated: boolean;
  readonly error?: string | undefined;
}

/** The newest objects of a bucket (one page of up to `max`). */
export async function listBucket(s3: S3Client, bucket: string, max = 200): Promise<BucketListing> {
  try {
    const page = await withDeadline(
      s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: max })),
      bucket,
    );
    const objects = (page.Contents ?? [])
      .map((object) => ({
        key: object.Key ?? '',
        bytes: object.Size ?? 0,
        lastModified: object.LastModified?.toISOString(),
      }))
      .sort(
        (a, b) => (b.lastModified ?? '').localeCompare(a.lastModified ?? '') || a.key.localeCompare(b.key),
      );
    return { bucket, objects, truncated: page.IsTruncated ?? false };
  } catch (error) {
    return { bucket, objects: [], truncated: false, error: (error as Error).message };
  }
}
