import { describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../src/edge/aws-error.ts';
import { redriveTarget, validateSqsRequest } from '../../src/edge/sqs-validation.ts';

function outcome(action: () => unknown): string {
  try {
    return JSON.stringify(action());
  } catch (error) {
    if (error instanceof AwsServiceError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

const dlq = 'arn:aws:sqs:eu-west-2:000000000000:dlq';

describe('SQS request validation', () => {
  it.each([
    ['CreateQueue', { QueueName: 'q' }, '{}'],
    ['CreateQueue', { QueueName: 'q', Attributes: { VisibilityTimeout: '5', DelaySeconds: '0' } }, '{}'],
    [
      'CreateQueue',
      { QueueName: 'q', Attributes: { VisibilityTimeOut: '5' } },
      'InvalidAttributeName: Unknown Attribute VisibilityTimeOut.',
    ],
    [
      'CreateQueue',
      { QueueName: 'q', Attributes: { QueueArn: 'x' } },
      'InvalidAttributeName: Unknown Attribute QueueArn.',
    ],
    [
      'CreateQueue',
      {
        QueueName: 'q',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 3 }) },
      },
      JSON.stringify({ deadLetterTargetArn: dlq }),
    ],
    ['SetQueueAttributes', { Attributes: { Nope: '1' } }, 'InvalidAttributeName: Unknown Attribute Nope.'],
    ['SetQueueAttributes', { Attributes: { RedrivePolicy: '' } }, '{}'],
    ['GetQueueAttributes', { AttributeNames: ['All'] }, '{}'],
    [
      'GetQueueAttributes',
      { AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'RedrivePolicy'] },
      '{}',
    ],
    ['GetQueueAttributes', { AttributeNames: ['Bogus'] }, 'InvalidAttributeName: Unknown Attribute Bogus.'],
    ['SendMessage', { Attributes: { Anything: 1 } }, '{}'],
  ])('%s %j', (operation, input, expected) => {
    expect(outcome(() => validateSqsRequest(operation, input))).toBe(expected);
  });

  it.each([
    [JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: '5' }), `"${dlq}"`],
    ['[]', 'Redrive policy is not a dict or valid json.'],
    ['{', 'Redrive policy is not a dict or valid json.'],
    [JSON.stringify({ maxReceiveCount: 5 }), 'does not contain mandatory attribute: deadLetterTargetArn.'],
    [JSON.stringify({ deadLetterTargetArn: dlq }), 'does not contain mandatory attribute: maxReceiveCount.'],
    [JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 0 }), 'valid values are from 1 to 1000'],
    [JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 1001 }), 'valid values are from 1 to 1000'],
    [JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 'x' }), 'valid values are from 1 to 1000'],
  ])('RedrivePolicy %s', (policy, expected) => {
    expect(outcome(() => redriveTarget(policy))).toContain(expected);
  });
});
