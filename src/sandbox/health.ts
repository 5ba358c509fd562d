import https from 'node:https';
import { type DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type ComponentHealth, probeHealth } from '../edge/health.ts';

/*
 * The health of the sandbox's own components — the stubs, the SFT agent, the egress service and
 * the dashboard — for the edge's `/_localstack/health` beside the AWS services. Each is asked the
 * way a user would find it broken: over its port, with the sandbox's client certificate where it
 * needs one.
 */

/** PEM contents for the mTLS endpoints (DKS stub, stub NiFi). */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** What the sandbox's components are, for {@link sandboxComponentHealth}. */
export interface SandboxComponents {
  readonly tls: ClientTls;
  readonly dksUrl: string;
  readonly nifi: { readonly url: string; readonly bucket: string };
  /** An S3 client of the sandbox's AWS target (the stub NiFi's bucket is checked with it). */
  readonly s3: S3Client;
  readonly sftAgent: { readonly watchedDirectories: readonly string[] };
  readonly sftRoot: string;
  readonly metricsUrl: string;
  /** Known once the dashboard listens. */
  readonly dashboardUrl: () => string | undefined;
}

/** GET over HTTPS with the client certificate; the status code. */
function httpsStatus(url: string, tls: ClientTls, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

async function expectOk(status: Promise<number>): Promise<void> {
  const code = await status;
  if (code !== 200) throw new Error(`HTTP ${code}`);
}

/** Probes every component of the sandbox besides the AWS services; never throws. */
export async function sandboxComponentHealth(
  components: SandboxComponents,
  timeoutMs = 2_000,
): Promise<Record<string, ComponentHealth>> {
  const { tls } = components;
  const [dks, nifi, sft, egress, dashboard] = await Promise.all([
    probeHealth(
      components.dksUrl,
      async () => {
        await expectOk(httpsStatus(new URL('/healthcheck', components.dksUrl).href, tls, timeoutMs));
        return 'GET /healthcheck ok (mTLS)';
      },
      timeoutMs,
    ),
    probeHealth(
      components.nifi.url,
      async () => {
        await expectOk(httpsStatus(new URL('/health', components.nifi.url).href, tls, timeoutMs));
        // It listens, but can it store what it receives? Its bucket must exist.
        try {
          await components.s3.send(new HeadBucketCommand({ Bucket: components.nifi.bucket }));
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          throw new Error(
            status === 404
              ? `its bucket ${components.nifi.bucket} does not exist: received files cannot be stored`
              : `its bucket ${components.nifi.bucket} cannot be checked: ${(error as Error).message}`,
          );
        }
        return `stores into s3://${components.nifi.bucket}`;
      },
      timeoutMs,
    ),
    probeHealth(
      components.sftRoot,
      async () => {
        const watching = components.sftAgent.watchedDirectories.length;
        if (watching === 0) throw new Error('watching no directories');
        return `watching ${watching} directories`;
      },
      timeoutMs,
    ),
    probeHealth(
      components.metricsUrl,
      async () => {
        const response = await fetch(new URL('/health', components.metricsUrl), {
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await response.text();
        if (response.status !== 200)
          throw new Error(`/health answered ${response.status}: ${body.slice(0, 200)}`);
        return 'consuming the queue';
      },
      timeoutMs,
    ),
    (async (): Promise<ComponentHealth> => {
      const url = components.dashboardUrl();
      if (!url) return { state: 'starting' };
      return probeHealth(
        url,
        async () => {
          const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
          await response.body?.cancel();
          if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
          return undefined;
        },
        timeoutMs,
      );
    })(),
  ]);
  return {
    'dks-stub': dks,
    'stub-nifi': nifi,
    'sft-agent': sft,
    'egress-service': egress,
    dashboard,
  };
}

/**
 * The AWS services of an endpoint that is not the embedded edge (moto, LocalStack), each asked one
 * cheap question through the SDK: for the health report the dashboard serves in the edge's place.
 */
export async function awsEndpointHealth(
  clients: {
    readonly s3: S3Client;
    readonly sqs: SQSClient;
    readonly dynamo: DynamoDBClient;
  },
  endpoint: string,
  timeoutMs = 2_000,
): Promise<Record<string, ComponentHealth>> {
  const [s3, sqs, dynamodb] = await Promise.all([
    probeHealth(
      endpoint,
      async () => `${(await clients.s3.send(new ListBucketsCommand({}))).Buckets?.length ?? 0} buckets`,
      timeoutMs,
    ),
    probeHealth(
      endpoint,
      async () => `${(await clients.sqs.send(new ListQueuesCommand({}))).QueueUrls?.length ?? 0} queues`,
      timeoutMs,
    ),
    probeHealth(
      endpoint,
      async () => `${(await clients.dynamo.send(new ListTablesCommand({}))).TableNames?.length ?? 0} tables`,
      timeoutMs,
    ),
  ]);
  return { s3, sqs, dynamodb };
}
