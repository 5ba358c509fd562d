import { ResourceNotFoundException, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { recordAwsCalls } from '../aws/call-recorder.ts';
import { createDynamoClient, createSqsClient } from '../aws/clients.ts';
import { OWN_CREDENTIALS } from './aws-identity.ts';
import type { ResolvedEgressServiceConfig } from './config/service-config.ts';

/**
 * Checks that the resources a configuration names exist, before the service starts polling: a
 * mistyped queue URL or table name would otherwise show only as a retry warning every few seconds.
 * Only calls the original's task role allows are made (GetQueueAttributes, Scan; docs/egress-service.md).
 * Returns one readable problem per missing resource (empty when all is well); other errors (no
 * network, bad credentials) propagate as they are.
 */
export async function missingResources(config: ResolvedEgressServiceConfig): Promise<string[]> {
  const sqs = recordAwsCalls(createSqsClient(config.aws), OWN_CREDENTIALS);
  const dynamo = recordAwsCalls(createDynamoClient(config.aws), OWN_CREDENTIALS);
  const problems: string[] = [];
  try {
    const queues: [string, string | undefined][] = [
      ['EGRESS_QUEUE_URL', config.queueUrl],
      ['EGRESS_DEAD_LETTER_QUEUE_URL', config.deadLetterQueueUrl],
    ];
    for (const [variable, url] of queues) {
      if (!url) continue;
      try {
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
      } catch (error) {
        if (
          !(error instanceof QueueDoesNotExist) &&
          (error as { name?: string }).name !== 'AWS.SimpleQueueService.NonExistentQueue'
        ) {
          throw error;
        }
        problems.push(`${variable}: the queue ${url} does not exist`);
      }
    }
    try {
      // A one-item Scan, not DescribeTable: the original's task role may Scan the table but not
      // describe it, so the service must start with only the calls that role allows.
      await dynamo.send(new ScanCommand({ TableName: config.table, Limit: 1 }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      problems.push(`EGRESS_TABLE: the table ${config.table} does not exist`);
    }
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
  return problems;
}
