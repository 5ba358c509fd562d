import { randomUUID } from 'node:crypto';
import {
  createDocumentClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
  createStsClient,
} from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';

/** An edge on a free port plus one SDK client per service, for component tests. */
export async function startTestEdge() {
  const edge: Edge = await startEdge({ port: 0 });
  return {
    edge,
    s3: createS3Client(edge.target),
    sqs: createSqsClient(edge.target),
    dynamo: createDynamoClient(edge.target),
    documents: createDocumentClient(edge.target),
    ssm: createSsmClient(edge.target),
    sts: createStsClient(edge.target),
  };
}

export type TestEdge = Awaited<ReturnType<typeof startTestEdge>>;

/** A lowercase unique name usable for buckets and queues. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
