import { AwsServiceError } from './aws-error.ts';

/**
 * Queue attribute names SQS accepts in CreateQueue and SetQueueAttributes
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
 */
export const SETTABLE_QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/**
 * Names GetQueueAttributes accepts
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
 */
export const READABLE_QUEUE_ATTRIBUTES = [
  'All',
  ...SETTABLE_QUEUE_ATTRIBUTES,
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** An SQS error in the JSON protocol's shape, with the legacy query code SDKs map it by. */
export class SqsServiceError extends AwsServiceError {
  constructor(
    code: string,
    message: string,
    readonly queryCode: string = code,
  ) {
    super(code, message, 400);
  }
}

function unknownAttribute(name: string): SqsServiceError {
  return new SqsServiceError('InvalidAttributeName', `Unknown Attribute ${name}.`);
}

function invalidRedrivePolicy(value: string, reason: string): SqsServiceError {
  return new SqsServiceError(
    'InvalidParameterValue',
    `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
  );
}

/** The dead-letter target a RedrivePolicy names, after checking its form; throws SQS's error. */
export function redriveTarget(value: string): string {
  let policy: unknown;
  try {
    policy = JSON.parse(value);
  } catch {
    throw invalidRedrivePolicy(value, 'Redrive policy is not a dict or valid json.');
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw invalidRedrivePolicy(value, 'Redrive policy is not a dict or valid json.');
  }
  const { deadLetterTargetArn, maxReceiveCount } = policy as Record<string, unknown>;
  if (typeof deadLetterTargetArn !== 'string' || deadLetterTargetArn === '') {
    throw invalidRedrivePolicy(
      value,
      'Redrive policy does not contain mandatory attribute: deadLetterTargetArn.',
    );
  }
  if (maxReceiveCount === undefined) {
    throw invalidRedrivePolicy(
      value,
      'Redrive policy does not contain mandatory attribute: maxReceiveCount.',
    );
  }
  const count = Number(maxReceiveCount);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalidRedrivePolicy(
      value,
      `Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  return deadLetterTargetArn;
}

/** What a validated request asks the edge to check against the emulator's state. */
export interface SqsChecks {
  /** A dead-letter queue ARN that must exist. */
  deadLetterTargetArn?: string | undefined;
}

/**
 * Checks the parts of an SQS request that SQS validates and the emulator does not: attribute
 * names in CreateQueue and GetQueueAttributes, and the RedrivePolicy of CreateQueue and
 * SetQueueAttributes. Throws SQS's error; returns what must still be checked against state.
 */
export function validateSqsRequest(operation: string, input: Record<string, unknown>): SqsChecks {
  if (operation === 'CreateQueue' || operation === 'SetQueueAttributes') {
    const attributes = (input.Attributes ?? {}) as Record<string, unknown>;
    for (const name of Object.keys(attributes)) {
      if (!(SETTABLE_QUEUE_ATTRIBUTES as readonly string[]).includes(name)) throw unknownAttribute(name);
    }
    const redrive = attributes.RedrivePolicy;
    if (typeof redrive === 'string' && redrive !== '') return { deadLetterTargetArn: redriveTarget(redrive) };
  }
  if (operation === 'GetQueueAttributes') {
    const names = input.AttributeNames;
    if (Array.isArray(names)) {
      for (const name of names) {
        if (!(READABLE_QUEUE_ATTRIBUTES as readonly string[]).includes(String(name)))
          throw unknownAttribute(String(name));
      }
    }
  }
  return {};
}

/** The operations {@link validateSqsRequest} has something to say about. */
export const VALIDATED_SQS_OPERATIONS = new Set(['CreateQueue', 'SetQueueAttributes', 'GetQueueAttributes']);

/** SQS's answer to a RedrivePolicy whose dead-letter queue does not exist. */
export function missingDeadLetterTarget(value: string): SqsServiceError {
  return invalidRedrivePolicy(value, 'Dead letter target does not exist.');
}
