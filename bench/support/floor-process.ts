/**
 * The memory floor: one raw-SDK streaming copy (GET → optional gzip → Upload, 8 MiB parts, 4 in
 * flight) in a process of its own, run through tsx like bin/egress.js. Prints its VmHWM when done.
 * Usage: floor-process.ts <endpoint> <bucket> <key> <destination bucket> <destination key> <gzip 0|1>
 */
import { createGzip } from 'node:zlib';
import { createS3Client } from '../../src/aws/clients.ts';
import { rawCopy } from './floor.ts';
import { memoryMiB } from './processes.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [endpoint, bucket, key, destinationBucket, destinationKey, gzip] = process.argv.slice(2);
const s3 = createS3Client({
  region: 'eu-west-2',
  endpoint: endpoint!,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const idle = await memoryMiB(process.pid);
const started = performance.now();
await rawCopy(
  s3,
  { bucket: bucket!, key: key! },
  { bucket: destinationBucket!, key: destinationKey! },
  gzip === '1' ? [createGzip()] : [],
);
const ms = performance.now() - started;
s3.destroy();
console.log(JSON.stringify({ idlePeak: idle.peak, peak: (await memoryMiB(process.pid)).peak, ms }));
