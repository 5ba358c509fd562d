import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransientEgressError } from '../../src/egress/errors.ts';
import { RuleRepository } from '../../src/egress/rules/repository.ts';
import { createLogger, silentLogger } from '../../src/logging/logger.ts';
import { routingItem } from './support/rules.ts';

/** A real document client whose Scan answers come from `pages`, recording each request. */
function scriptedClient(
  pages: Array<{ Items: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }));
  const requests: Record<string, unknown>[] = [];
  let call = 0;
  vi.spyOn(client, 'send').mockImplementation(async (command: unknown) => {
    if (!(command instanceof ScanCommand)) throw new Error('only Scan is expected');
    requests.push({ ...command.input });
    const page = pages[call % pages.length];
    call += 1;
    return page as never;
  });
  return { client, requests };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RuleRepository', () => {
  const twoPages = [
    {
      Items: [routingItem({ pipeline_name: 'A' }), routingItem({ pipeline_name: 'BAD', decrypt: 'true' })],
      LastEvaluatedKey: { source_prefix: 'source/prefix/', pipeline_name: 'BAD' },
    },
    { Items: [routingItem({ pipeline_name: 'B' })] },
  ];

  it('scans every page following LastEvaluatedKey and reports invalid items once per scan', async () => {
    const { client, requests } = scriptedClient(twoPages);
    const reported: unknown[] = [];
    const repository = new RuleRepository({
      documentClient: client,
      table: 'data-egress',
      logger: silentLogger(),
      onInvalid: (invalid) => reported.push(...invalid),
    });
    const ruleSet = await repository.load();
    expect(requests).toEqual([
      { TableName: 'data-egress', ExclusiveStartKey: undefined },
      {
        TableName: 'data-egress',
        ExclusiveStartKey: { source_prefix: 'source/prefix/', pipeline_name: 'BAD' },
      },
    ]);
    expect(ruleSet.rules.map((rule) => rule.key.pipelineName)).toEqual(['A', 'B']);
    expect(ruleSet.invalid).toHaveLength(1);
    expect(reported).toEqual([
      {
        key: { sourcePrefix: 'source/prefix/', pipelineName: 'BAD' },
        reason: expect.stringContaining('decrypt'),
      },
    ]);
  });

  it('warns of attributes the service does not read, naming the near miss, when it first reads the item', async () => {
    const typo = routingItem({ pipeline_name: 'TYPO', destination_prefx: 'out/' });
    const { client } = scriptedClient([{ Items: [routingItem({ pipeline_name: 'A' }), typo] }]);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      component: 'test',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    const told: unknown[] = [];
    const repository = new RuleRepository({
      documentClient: client,
      table: 'data-egress',
      logger,
      onUnknownColumns: (items) => told.push(...items),
    });
    const ruleSet = await repository.load();
    await repository.load();
    expect(ruleSet.rules.map((rule) => rule.key.pipelineName)).toEqual(['A', 'TYPO']);
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      pipelineName: 'TYPO',
      msg: 'routing item has attributes the service does not read: destination_prefx: not a column the egress service reads; did you mean destination_prefix?',
    });
    expect(told).toEqual([
      {
        key: { sourcePrefix: 'source/prefix/', pipelineName: 'TYPO' },
        columns: [{ column: 'destination_prefx', suggestion: 'destination_prefix' }],
      },
    ]);
  });

  it('scans again for every load when the cache is off (default)', async () => {
    const { client, requests } = scriptedClient([{ Items: [routingItem()] }]);
    const repository = new RuleRepository({ documentClient: client, table: 't', logger: silentLogger() });
    await repository.load();
    await repository.load();
    expect(requests).toHaveLength(2);
  });

  it('reuses a scan within the cache TTL and shares one scan between concurrent loads', async () => {
    const { client, requests } = scriptedClient([{ Items: [routingItem()] }]);
    let now = 1_000;
    const repository = new RuleRepository({
      documentClient: client,
      table: 't',
      cacheTtlMs: 5_000,
      logger: silentLogger(),
      now: () => now,
    });
    await Promise.all([repository.load(), repository.load()]);
    expect(requests).toHaveLength(1);
    now += 4_999;
    await repository.load();
    expect(requests).toHaveLength(1);
    now += 1;
    await repository.load();
    expect(requests).toHaveLength(2);
  });

  it('turns a failing scan into a retryable error naming the table', async () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }));
    vi.spyOn(client, 'send').mockRejectedValue(new Error('ResourceNotFoundException') as never);
    const repository = new RuleRepository({
      documentClient: client,
      table: 'missing',
      logger: silentLogger(),
    });
    await expect(repository.load()).rejects.toThrow(TransientEgressError);
    await expect(repository.load()).rejects.toThrow(
      /scanning table missing failed: ResourceNotFoundException/,
    );
  });
});
