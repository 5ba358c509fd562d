/**
 * Child process for benchmarks: the embedded AWS edge (and, with `--nifi <certs-dir>`, a stub NiFi
 * against it), so that the process under measurement — egress service or floor script — does not
 * share its event loop with the emulator. Speaks to the parent over IPC:
 *
 * - child → parent `{ type: 'ready', endpoint, nifiUrl? }`, then `{ type: 'write', bucket, key, at }`
 *   for every successful S3 object creation (PutObject, CopyObject, CompleteMultipartUpload) in a
 *   watched bucket, counted by the edge's own `onS3Write` hook;
 * - parent → child `{ type: 'watch', buckets }`, `{ type: 'stop' }`.
 */
import { performance } from 'node:perf_hooks';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client } from '../../src/aws/clients.ts';
import { startEdge } from '../../src/edge/index.ts';
import { loadCertificates } from '../../src/tls/certificates.ts';
import { startStubNifi } from '../../stubs/nifi/index.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const send = (message: object) => process.send?.(message);
const nifiIndex = process.argv.indexOf('--nifi');
const certsDir = nifiIndex >= 0 ? process.argv[nifiIndex + 1] : undefined;

const edge = await startEdge({ port: 0 });
const watched = new Set<string>();
edge.onS3Write((record) => {
  if (record.method === 'DELETE' || record.status < 200 || record.status >= 300) return;
  if (!watched.has(record.bucket) || record.key === undefined) return;
  send({
    type: 'write',
    bucket: record.bucket,
    key: record.key,
    at: performance.timeOrigin + performance.now(),
  });
});

let stopNifi: (() => Promise<void>) | undefined;
let nifiUrl: string | undefined;
if (certsDir) {
  const bucket = 'stub-hdfs-bench';
  const s3 = createS3Client(edge.target);
  await createBucket(s3, bucket);
  s3.destroy();
  const tls = await loadCertificates({
    ca: `${certsDir}/ca.pem`,
    serverCert: `${certsDir}/server.pem`,
    serverKey: `${certsDir}/server-key.pem`,
    clientCert: `${certsDir}/client.pem`,
    clientKey: `${certsDir}/client-key.pem`,
  });
  const nifi = await startStubNifi({ port: 0, bucket, s3: edge.target, tls });
  nifiUrl = nifi.url;
  stopNifi = () => nifi.stop();
}

process.on('message', (message: { type: string; buckets?: string[] }) => {
  if (message.type === 'watch') {
    for (const bucket of message.buckets ?? []) watched.add(bucket);
    send({ type: 'watching' });
  } else if (message.type === 'stop') {
    void (async () => {
      await stopNifi?.();
      await edge.stop();
      process.exit(0);
    })();
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', endpoint: edge.endpoint, nifiUrl });
