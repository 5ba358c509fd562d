import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Items per BatchWriteItem: DynamoDB's maximum. */
const BATCH = 25;

/**
 * Writes routing items (or any items) to a table, 25 per BatchWriteItem and `parallel` batches at
 * once, resending what DynamoDB leaves unprocessed.
 */
export async function writeItems(
  documents: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  parallel = 4,
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += BATCH) batches.push(items.slice(start, start + BATCH));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = batches[next++]!.map((item) => ({ PutRequest: { Item: item } }));
      while (pending.length > 0) {
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
}
