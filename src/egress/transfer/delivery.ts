import type { Readable, Transform } from 'node:stream';
import { ObjectTransferError } from '../errors.ts';
import type { Destination } from '../plan/destinations.ts';
import type { DestinationClients } from './destination-clients.ts';
import { type S3UploadSettings, writeToS3 } from './s3-sink.ts';
import { writeToSft } from './sft-sink.ts';

/** Options for {@link DeliverySinks}. */
export interface DeliverySinksOptions {
  clients: DestinationClients;
  /** Directory that stands for `/` of SFT destination prefixes; SFT writes fail without it. */
  sftRoot: string | undefined;
  upload: S3UploadSettings;
}

/** One file to deliver: data object, control file or manifest alike. */
export interface DeliveryRequest {
  destination: Destination;
  /** The rule's `role_arn`: S3 writes go through the assumed role. */
  roleArn: string | undefined;
  /** Content stream, then transforms (compression). */
  stages: [Readable, ...Transform[]];
  /** S3 user metadata; SFT files carry none (behaviour §4.6). */
  metadata: Readonly<Record<string, string>>;
  signal: AbortSignal;
}

/** Writes files to their destination — S3 bucket or SFT directory — and reports the bytes written. */
export class DeliverySinks {
  constructor(private readonly options: DeliverySinksOptions) {}

  async deliver(request: DeliveryRequest): Promise<number> {
    const { destination } = request;
    if (destination.transferType === 'S3') {
      return writeToS3({
        client: this.options.clients.s3(request.roleArn),
        bucket: destination.bucket,
        key: destination.key,
        stages: request.stages,
        metadata: request.metadata,
        settings: this.options.upload,
        signal: request.signal,
      });
    }
    if (this.options.sftRoot === undefined) {
      request.stages[0].destroy();
      throw new ObjectTransferError(
        'SFT transfer refused: the service has no sftRoot configured (EGRESS_SFT_ROOT)',
      );
    }
    return writeToSft({
      sftRoot: this.options.sftRoot,
      directory: destination.directory,
      fileName: destination.fileName,
      stages: request.stages,
      signal: request.signal,
    });
  }
}
