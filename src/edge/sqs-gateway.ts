import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardedHeaders, readBody, relay, send } from './http-util.ts';
import type { SqsInjector } from './sqs-receive.ts';
import {
  missingDeadLetterTarget,
  SqsServiceError,
  VALIDATED_SQS_OPERATIONS,
  validateSqsRequest,
} from './sqs-validation.ts';

/** The SQS emulator as the gateway sees it. */
export interface SqsUpstream extends SqsInjector {
  route(req: IncomingMessage, res: ServerResponse): void;
  /** The URL of the queue an ARN names, or undefined when there is none. */
  queueUrl(queueArn: string): Promise<string | undefined>;
}

const SQS_JSON = 'application/x-amz-json-1.0';
const MAX_SQS_BODY_BYTES = 1024 * 1024;

/**
 * Sits in front of the SQS emulator (JSON protocol): requests whose names or policies SQS would
 * refuse are answered with SQS's own error; everything else — long polls included — is passed
 * through untouched.
 */
export class SqsGateway {
  constructor(private readonly upstream: SqsUpstream) {}

  async handle(req: IncomingMessage, res: ServerResponse, operation: string): Promise<void> {
    if (!VALIDATED_SQS_OPERATIONS.has(operation)) {
      this.upstream.route(req, res);
      return;
    }
    const body = await readBody(req, MAX_SQS_BODY_BYTES);
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      input = undefined; // the emulator answers malformed JSON itself
    }
    if (typeof input === 'object' && input !== null) {
      try {
        const checks = validateSqsRequest(operation, input as Record<string, unknown>);
        if (checks.deadLetterTargetArn && !(await this.upstream.queueUrl(checks.deadLetterTargetArn))) {
          const attributes = (input as { Attributes?: Record<string, string> }).Attributes ?? {};
          throw missingDeadLetterTarget(String(attributes.RedrivePolicy));
        }
      } catch (error) {
        if (!(error instanceof SqsServiceError)) throw error;
        send(
          res,
          error.statusCode,
          SQS_JSON,
          JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
          {
            'x-amzn-query-error': `${error.queryCode};Sender`,
          },
        );
        return;
      }
    }
    const headers = forwardedHeaders(req);
    relay(res, await this.upstream.inject({ method: 'POST', url: req.url ?? '/', headers, payload: body }));
  }
}
