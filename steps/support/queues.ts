import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { waitFor } from '../../src/util/wait.ts';

/** A message taken off a queue by a scenario. */
export interface ReceivedMessage {
  body: string;
  /** String message attributes (the egress service's `egress_failure_reason`, …). */
  attributes: Record<string, string>;
  receiveCount: number;
}

/** The flag keys of an S3 event body (URL-decoded as S3 encodes them), or none for other bodies. */
export function flagKeysOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { Records?: { s3?: { object?: { key?: string } } }[] };
    return (parsed.Records ?? [])
      .map((record) => record.s3?.object?.key)
      .filter((key): key is string => typeof key === 'string')
      .map((key) => decodeURIComponent(key.replace(/\+/g, ' ')));
  } catch {
    return [];
  }
}

/**
 * Waits until a message that `accept` recognises is on the queue, takes it off (deletes it) and
 * returns it. Other messages are left alone: they become visible again after a few seconds, so
 * messages of other scenarios are never lost.
 */
export async function takeMessage(
  sqs: SQSClient,
  queueUrl: string,
  accept: (message: ReceivedMessage) => boolean,
  options: { timeoutMs: number; description: string },
): Promise<ReceivedMessage> {
  return waitFor(
    async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 3,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      for (const message of Messages ?? []) {
        const received: ReceivedMessage = {
          body: message.Body ?? '',
          attributes: Object.fromEntries(
            Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
              name,
              value.StringValue ?? '',
            ]),
          ),
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
        };
        if (accept(received)) {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          return received;
        }
      }
      return undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 100, description: options.description },
  );
}
