import { setTimeout as delay } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';

/** Anything that sends DynamoDB commands: a DynamoDBClient or a DynamoDBDocumentClient. */
interface DynamoSender {
  // biome-ignore lint/suspicious/noExplicitAny: both client kinds accept the low-level commands.
  send(command: any, options?: any): Promise<any>;
}

/** The key schema of the original's `data-egress` table. */
export const ROUTING_TABLE_KEYS = { hashKey: 'source_prefix', rangeKey: 'pipeline_name' } as const;

/**
 * Creates a table with string keys (hash and optional range), billed on demand, and waits until it
 * is ACTIVE: emulators such as dynalite may report CREATING for a moment, and writes before then
 * fail. `waitUntilTableExists` is not used because its minimum delay is a whole second.
 */
export async function createKeyedTable(
  client: DynamoSender,
  name: string,
  keys: { hashKey: string; rangeKey?: string | undefined } = ROUTING_TABLE_KEYS,
  timeoutMs = 120_000,
): Promise<void> {
  const attributes = [keys.hashKey, ...(keys.rangeKey ? [keys.rangeKey] : [])];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: attributes.map((AttributeName, index) => ({
        AttributeName,
        KeyType: index === 0 ? 'HASH' : 'RANGE',
      })),
      AttributeDefinitions: attributes.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 1000)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`table ${name} is still ${Table?.TableStatus} after ${timeoutMs} ms`);
    await delay(pause);
  }
}

/** A routing table shaped like `data-egress` (hash `source_prefix`, range `pipeline_name`). */
export function createRoutingTable(client: DynamoSender, name: string): Promise<void> {
  return createKeyedTable(client, name, ROUTING_TABLE_KEYS);
}
