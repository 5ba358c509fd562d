import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Message attribute carrying why a message was dead-lettered. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'egress_failure_reason';

/** SQS message attribute values are limited in practice; a reason never needs more. */
const MAX_REASON_LENGTH = 1_000;

/**
 * Sends a message that can never be processed to the dead-letter queue, with the reason, the
 * original message id and the source queue as message attributes. The caller deletes the original
 * only after this succeeded, so a failure here leaves the message for the queue's redrive policy.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  message: { messageId: string; body: string | undefined; sourceQueueUrl: string; reason: string },
  signal?: AbortSignal,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      // SQS refuses empty bodies; an empty body is itself the reason the message is here.
      MessageBody: message.body === undefined || message.body === '' ? '(empty body)' : message.body,
      MessageAttributes: {
        [DEAD_LETTER_REASON_ATTRIBUTE]: {
          DataType: 'String',
          StringValue: message.reason.slice(0, MAX_REASON_LENGTH),
        },
        egress_source_message_id: { DataType: 'String', StringValue: message.messageId },
        egress_source_queue_url: { DataType: 'String', StringValue: message.sourceQueueUrl },
      },
    }),
    signal ? { abortSignal: signal } : {},
  );
}
