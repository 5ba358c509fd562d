import path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { createDynamoClient, createS3Client, createSqsClient } from '../aws/clients.ts';
import type { AwsTarget } from '../aws/target.ts';
import type { SandboxState } from './state-file.ts';

/** What is known about a running stack besides its AWS resources (URLs and paths as its readers see them). */
export interface StackDescriptionOptions {
  target: AwsTarget & { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** The egress queue's name. */
  queue: string;
  /** The dead-letter queue's name. */
  deadLetterQueue: string;
  /** The routing table's name. */
  table: string;
  dksUrl?: string | undefined;
  nifi?: { url: string; bucket: string } | undefined;
  /** Directory holding ca.pem, client.pem and client-key.pem (the `egress certs` layout). */
  tlsDir: string;
  sftRoot: string;
  metricsUrl?: string | undefined;
  /** The egress service's JSON log file. */
  logs: string;
}

/** A resource a stack description names does not exist at the endpoint. */
export class StackResourceMissingError extends Error {
  override readonly name = 'StackResourceMissingError';
}

/**
 * Builds the sandbox.json of a stack that runs elsewhere (the docker-compose one): the AWS
 * resources are looked up at the endpoint, so the file names only queues and a table that exist,
 * with the URLs and ARNs the endpoint itself hands out.
 */
export async function describeStack(options: StackDescriptionOptions): Promise<SandboxState> {
  const sqs = createSqsClient(options.target);
  const dynamo = createDynamoClient(options.target);
  const s3 = createS3Client(options.target);
  try {
    const queue = async (name: string) => {
      try {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
        );
        return { url: QueueUrl!, arn: Attributes!.QueueArn! };
      } catch (error) {
        throw new StackResourceMissingError(
          `queue ${name} does not exist at ${options.target.endpoint} (${(error as Error).name})`,
        );
      }
    };
    const [main, deadLetters] = [await queue(options.queue), await queue(options.deadLetterQueue)];
    try {
      await dynamo.send(new DescribeTableCommand({ TableName: options.table }));
    } catch (error) {
      throw new StackResourceMissingError(
        `table ${options.table} does not exist at ${options.target.endpoint} (${(error as Error).name})`,
      );
    }
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    return {
      region: options.target.region,
      aws: {
        endpoint: options.target.endpoint,
        accessKeyId: options.target.credentials.accessKeyId,
        secretAccessKey: options.target.credentials.secretAccessKey,
      },
      table: options.table,
      queue: main,
      deadLetterQueue: deadLetters,
      ...(options.dksUrl ? { dks: { url: options.dksUrl } } : {}),
      ...(options.nifi ? { nifi: options.nifi } : {}),
      tls: {
        ca: path.resolve(options.tlsDir, 'ca.pem'),
        cert: path.resolve(options.tlsDir, 'client.pem'),
        key: path.resolve(options.tlsDir, 'client-key.pem'),
      },
      sftRoot: path.resolve(options.sftRoot),
      ...(options.metricsUrl ? { metrics: { url: options.metricsUrl } } : {}),
      buckets: (Buckets ?? []).map((b) => b.Name!).sort(),
      logs: path.resolve(options.logs),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
  } finally {
    sqs.destroy();
    dynamo.destroy();
    s3.destroy();
  }
}
