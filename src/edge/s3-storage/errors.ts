import { AwsServiceError } from '../aws-error.ts';

/**
 * An S3 error raised by the object storage, rendered in S3's own XML shape by whoever answers the
 * request (the storage's own handler, or the emulator's error handler for the catalogue calls it
 * makes). It is an {@link AwsServiceError} that also names the bucket or object it is about.
 */
export class S3StorageError extends AwsServiceError {
  override readonly name = 'S3StorageError';
  constructor(
    /** S3 error code, e.g. `NoSuchKey`. */
    code: string,
    message: string,
    statusCode = 400,
    /** The bucket or object the error is about (`/bucket/key`). */
    readonly resource?: string,
  ) {
    super(code, message, statusCode);
  }
}

export function noSuchBucket(bucket: string): S3StorageError {
  return new S3StorageError('NoSuchBucket', 'The specified bucket does not exist', 404, `/${bucket}`);
}

export function noSuchKey(bucket: string, key: string): S3StorageError {
  return new S3StorageError('NoSuchKey', 'The specified key does not exist.', 404, `/${bucket}/${key}`);
}

export function noSuchUpload(uploadId: string): S3StorageError {
  return new S3StorageError(
    'NoSuchUpload',
    'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    uploadId,
  );
}
