import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { flagEvent } from './flag-event.ts';

/** Sends one message body; resolves to its message id. */
export async function sendMessage(sqs: SQSClient, queueUrl: string, body: string): Promise<string> {
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return sent.MessageId!;
}

/** The flag events of many keys, ten per SendMessageBatch (the SQS maximum). */
export async function sendFlagEvents(
  sqs: SQSClient,
  queueUrl: string,
  bucket: string,
  keys: readonly string[],
): Promise<void> {
  for (let start = 0; start < keys.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: keys
          .slice(start, start + 10)
          .map((key, index) => ({ Id: String(index), MessageBody: flagEvent(bucket, key) })),
      }),
    );
  }
}

/** Messages waiting (`visible`) and received but not yet deleted (`inFlight`). */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** One message with its attributes, waiting up to a second; `undefined` when none came. */
export async function receiveOne(sqs: SQSClient, queueUrl: string): Promise<Message | undefined> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  return response.Messages?.[0];
}
