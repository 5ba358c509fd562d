import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { buildApp } from 'fauxqs';
import { AwsServiceError, s3ErrorBody } from './aws-error.ts';
import { noteServerError } from './http-util.ts';
import { restoreUploadHeaders, uploadPayload } from './s3-upload.ts';

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

/** An error raised inside the emulator, as S3 would name it. */
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
 * Hooks the edge's S3 request handling into the emulator (call before it is ready):
 *
 * - an upload prepared by the gateway is read through its decoder and checksum verifier, and
 *   stored with the client's own content type;
 * - errors inside the emulator are answered in S3's XML for S3 requests (the emulator's default
 *   is a JSON body no S3 client can read), and every 5xx keeps its cause for the edge's log.
 */
export function installEmulatorHooks(app: EmulatorApp): void {
  app.addHook('preParsing', (request, _reply, payload, done) => {
    done(null, uploadPayload(request.raw, payload) as typeof payload);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    restoreUploadHeaders(request.raw);
    done();
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (isS3Request(request.raw)) {
      const failure = s3ErrorFor(error);
      if (failure.statusCode >= 500) noteServerError(reply.raw, error);
      const resource = (request.raw.url ?? '/').split('?')[0];
      reply
        .status(failure.statusCode)
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
