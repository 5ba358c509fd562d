import type { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type AwsTarget, createS3Client } from '../../src/aws/index.ts';

/** fauxqs refuses request bodies over 11 MiB, so parts stay at 8 MiB. */
const PART_SIZE = 8 * 1024 * 1024;

/** The stub-hdfs bucket: streams bodies into it and aborts what is in flight on stop. */
export class BucketStore {
  private readonly s3: S3Client;
  private readonly ownsClient: boolean;
  private readonly uploads = new Set<Upload>();

  /** @param s3 - a client, or a target to build one from (then destroyed by {@link release}) */
  constructor(
    readonly bucket: string,
    s3: S3Client | AwsTarget,
  ) {
    this.ownsClient = !(s3 instanceof S3Client);
    this.s3 = s3 instanceof S3Client ? s3 : createS3Client(s3);
  }

  /** Stores `body` at `key` (multipart, 8 MiB parts); a failing body fails the upload, which aborts it. */
  async put(key: string, body: Readable, metadata: Record<string, string>): Promise<void> {
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/octet-stream',
        Metadata: metadata,
      },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    this.uploads.add(upload);
    try {
      await upload.done();
    } finally {
      this.uploads.delete(upload);
    }
  }

  /** Aborts every upload in progress. */
  async abortUploads(): Promise<void> {
    await Promise.all([...this.uploads].map((upload) => upload.abort()));
  }

  /** Destroys the S3 client if this store built it. */
  release(): void {
    if (this.ownsClient) this.s3.destroy();
  }
}
