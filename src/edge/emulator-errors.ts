import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { buildApp } from 'fauxqs';
import { AwsServiceError, s3ErrorBody } from './aws-error.ts';
import { noteServerError } from './http-util.ts';
import { S3StorageError } from './s3-storage/index.ts';

type EmulatorApp = ReturnType<typeof buildApp>;

const S3_REQUEST = Symbol('edge.s3Request');

/** Marks a request the S3 gateway passes to the emulator, so errors are answered in S3's XML. */
export function markS3Request(req: IncomingMessage): void {
  (req as IncomingMessage & { [S3_REQUEST]?: true })[S3_REQUEST] = true;
}

function isS3Request(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [S3_REQUEST]?: true })[S3_REQUEST] === true;
}

/** The emulator's body limit (fauxqs 1.9.2 fixes it at 11 MiB). */
const EMULATOR_BODY_LIMIT_BYTES = 11 * 1024 * 1024;

/**
 * An error raised inside the emulator, as S3 would name it: the edge's own S3 errors (the
 * storage catalogue's `NoSuchKey`, `InvalidPart`, …) as they are, the framework's as S3's.
 */
export function s3ErrorFor(error: Error & { statusCode?: number; code?: string }): AwsServiceError {
  if (error instanceof AwsServiceError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AwsServiceError(
        'EntityTooLarge',
        `Your proposed upload exceeds the embedded S3's single-request limit of ${EMULATOR_BODY_LIMIT_BYTES} bytes (11 MiB); use a multipart upload with parts of at most 8 MiB`,
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AwsServiceError(
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new AwsServiceError('InvalidRequest', error.message, 400);
  return new AwsServiceError('InternalError', 'We encountered an internal error. Please try again.', 500);
}

/**
 * The emulator's one error handler (call before it is ready). Errors of S3 requests — those the
 * gateway marked, and any the storage catalogue raised, also on the gateway's in-process calls —
 * are answered in S3's XML (no body for HEAD), where the emulator's default is a JSON body no S3
 * client can read; other requests (SQS, SNS, health) keep the framework's JSON shape. Every 5xx
 * keeps its cause for the edge's log line ({@link noteServerError}).
 *
 * Object uploads need no hook: the edge's storage layer reads them itself
 * (`s3-storage/object-requests.ts`), so no request body of object data reaches the emulator.
 */
export function installEmulatorErrorHandler(app: EmulatorApp): void {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof S3StorageError || isS3Request(request.raw)) {
      const failure = s3ErrorFor(error);
      if (failure.statusCode >= 500) noteServerError(reply.raw, error);
      reply.status(failure.statusCode);
      if (request.method === 'HEAD') {
        reply.send();
        return;
      }
      const resource =
        error instanceof S3StorageError && error.resource !== undefined
          ? error.resource
          : (request.raw.url ?? '/').split('?')[0];
      reply
        .header('content-type', 'application/xml')
        .send(s3ErrorBody(failure.code, failure.message, resource));
      return;
    }
    const status = (error.statusCode ?? 500) >= 400 ? (error.statusCode ?? 500) : 500;
    if (status >= 500) noteServerError(reply.raw, error);
    reply
      .status(status)
      .send({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message });
  });
}
