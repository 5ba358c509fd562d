import path from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { startStubNifi } from '../../../stubs/nifi/index.ts';
import { createBucket } from '../../aws/buckets.ts';
import { createS3Client } from '../../aws/clients.ts';
import { awsTargetFromEnv, EMULATOR_CREDENTIALS } from '../../aws/target.ts';
import { createLogger } from '../../logging/logger.ts';
import { ensureCertificates, loadCertificates } from '../../tls/certificates.ts';
import { UserError } from '../errors.ts';
import { untilShutdownSignal } from '../signals.ts';

interface StubNifiFlags {
  port: string;
  host: string;
  bucket: string;
  endpoint?: string;
  region?: string;
  certsDir: string;
  plainHttp: boolean;
  clientCert: boolean;
  maxBodyBytes?: string;
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UserError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    try {
      await createBucket(s3, bucket);
    } catch (error) {
      throw new UserError(`cannot create bucket ${bucket}: ${(error as Error).message}`);
    }
  }
}

/** `egress stub-nifi`: the stub NiFi receiver, standalone. */
export function registerStubNifiCommand(program: Command): void {
  program
    .command('stub-nifi')
    .description(
      'stub NiFi: POST <path> with a filename header → s3://<bucket>/<path>/<filename> (HTTPS, client certificates)',
    )
    .option('--port <port>', 'port to listen on', '8091')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--bucket <name>', 'bucket for received files (created if missing)', 'stub-hdfs-local')
    .option('--endpoint <url>', 'S3 endpoint (default AWS_ENDPOINT_URL; none means real AWS)')
    .option('--region <region>', 'AWS region (default AWS_REGION or eu-west-2)')
    .option('--certs-dir <dir>', 'sandbox certificates (generated if missing)', '.sandbox/certs')
    .option('--plain-http', 'serve plain HTTP instead of HTTPS (debugging only)', false)
    .option('--no-client-cert', 'do not require a client certificate')
    .option('--max-body-bytes <n>', 'larger bodies get 413 (default 5 GiB)')
    .action(async (flags: StubNifiFlags) => {
      const port = integer(flags.port, '--port', 0, 65535);
      const maxBodyBytes = flags.maxBodyBytes
        ? integer(flags.maxBodyBytes, '--max-body-bytes', 1, Number.MAX_SAFE_INTEGER)
        : undefined;
      const fromEnv = awsTargetFromEnv();
      const target = {
        ...fromEnv,
        ...(flags.region ? { region: flags.region } : {}),
        ...(flags.endpoint
          ? { endpoint: flags.endpoint, credentials: fromEnv.credentials ?? { ...EMULATOR_CREDENTIALS } }
          : {}),
      };
      const s3 = createS3Client(target);
      await ensureBucket(s3, flags.bucket);
      const tls = flags.plainHttp
        ? false
        : await loadCertificates(await ensureCertificates(path.resolve(flags.certsDir)));
      const logger = createLogger({ component: 'stub-nifi' });
      let stub: Awaited<ReturnType<typeof startStubNifi>>;
      try {
        stub = await startStubNifi({
          port,
          host: flags.host,
          bucket: flags.bucket,
          s3,
          tls,
          requireClientCertificate: flags.clientCert,
          maxBodyBytes,
          logger,
        });
      } catch (error) {
        throw new UserError(`cannot start the stub NiFi: ${(error as Error).message}`);
      }
      await untilShutdownSignal(
        async () => {
          await stub.stop();
          s3.destroy();
          logger.flush();
        },
        () => console.log(`stub NiFi listening on ${stub.url} → s3://${flags.bucket}/ (Ctrl-C stops)`),
      );
    });
}
