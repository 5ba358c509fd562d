import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import { forwardedHeaders, readBody, relay } from './http-util.ts';

/** fauxqs's in-process entry point, as far as a buffered SQS call needs it. */
export interface SqsInjector {
  inject(request: {
    method: 'POST';
    url: string;
    headers: Record<string, string>;
    payload: Buffer | string;
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }>;
}

/** ReceiveMessage bodies are a queue URL and a few numbers. */
const MAX_RECEIVE_BODY_BYTES = 64 * 1024;

/** Receipt handles of a ReceiveMessage answer (JSON protocol); none when it is not one. */
export function receiptHandles(payload: Buffer): string[] {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { Messages?: { ReceiptHandle?: unknown }[] };
    return (parsed.Messages ?? [])
      .map((message) => message.ReceiptHandle)
      .filter((handle): handle is string => typeof handle === 'string');
  } catch {
    return [];
  }
}

/**
 * `AmazonSQS.ReceiveMessage` for clients that may leave during a long poll. The emulator cannot be
 * told that a poll's client has gone: its waiter stays, takes the next message when it arrives and
 * answers a closed socket — the message then stays invisible for the visibility timeout the dead
 * poll asked for (the egress service asks for 120 s), and the live consumers do not see it. Such a
 * message is not lost, but it is late for no reason, so the edge puts it back: when the answer is
 * ready and its client is gone, the messages it holds are made visible again at once
 * (`ChangeMessageVisibility` 0). Their receive count still went up by one, as on AWS.
 */
export class SqsReceiveFront {
  constructor(
    private readonly sqs: SqsInjector,
    private readonly logger: Logger,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_RECEIVE_BODY_BYTES);
    const headers = forwardedHeaders(req);
    const url = req.url ?? '/';
    const answer = await this.sqs.inject({ method: 'POST', url, headers, payload: body });
    if (!req.socket.destroyed && !res.destroyed) {
      relay(res, answer);
      return;
    }
    const handles = answer.statusCode === 200 ? receiptHandles(answer.rawPayload) : [];
    if (handles.length === 0) return;
    const queueUrl = String((JSON.parse(body.toString('utf8')) as { QueueUrl?: unknown }).QueueUrl);
    const entries = handles.map((ReceiptHandle, index) => ({
      Id: String(index),
      ReceiptHandle,
      VisibilityTimeout: 0,
    }));
    const returned = await this.sqs.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'x-amz-target': 'AmazonSQS.ChangeMessageVisibilityBatch' },
      payload: JSON.stringify({ QueueUrl: queueUrl, Entries: entries }),
    });
    this.logger.info(
      { queueUrl, messages: handles.length, status: returned.statusCode },
      'long poll answered after its client left: its messages are visible again',
    );
  }
}
