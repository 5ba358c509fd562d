import { isDeepStrictEqual } from 'node:util';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../aws/clients.ts';
import { normaliseItem } from '../aws/provisioning/index.ts';
import type { AwsTarget } from '../aws/target.ts';
import type { DateStamps } from '../egress/plan/dates.ts';
import { describeItem, type RoutingItemRecord } from './items.ts';
import { RuleSourceError } from './rule-source.ts';
import { type FieldProblem, type ItemFinding, type ValidationReport, validateItems } from './validate.ts';

/*
 * Loading routing items into a table (`egress routes load`, `egress sandbox --rules`). Items are
 * loaded as they are — an item the service rejects is loaded too and reported, because that is
 * what the service will meet in the team's real table — except items DynamoDB itself cannot store
 * (no usable key), which stop the load before anything is written.
 */

/** Some items cannot be written at all; nothing was loaded. Names each item and field. */
export class RuleLoadError extends Error {
  override readonly name = 'RuleLoadError';
  constructor(
    message: string,
    readonly findings: readonly ItemFinding[],
  ) {
    super(`${message}:\n${findings.map(formatFinding).join('\n')}`);
  }
}

function formatFinding(finding: ItemFinding): string {
  return `  ${finding.label} ${finding.rule}: ${finding.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
}

const KEY_COLUMNS = ['source_prefix', 'pipeline_name'] as const;

/** Items whose key columns DynamoDB cannot store (absent, not a string, or empty). Pure. */
export function unstorableItems(records: readonly RoutingItemRecord[]): ItemFinding[] {
  const findings: ItemFinding[] = [];
  for (const record of records) {
    const problems: FieldProblem[] = [];
    if (typeof record.item !== 'object' || record.item === null || Array.isArray(record.item)) {
      problems.push({ field: 'item', message: 'is not an object of columns' });
    } else {
      for (const column of KEY_COLUMNS) {
        const value = record.item[column];
        if (typeof value !== 'string') {
          problems.push({
            field: column,
            message: `the table's key: expected a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
          });
        } else if (value === '') {
          problems.push({ field: column, message: "the table's key: must not be empty" });
        }
      }
    }
    if (problems.length) findings.push({ label: record.label, rule: describeItem(record), problems });
  }
  return findings;
}

/** Options of {@link loadRuleItems}. */
export interface LoadOptions {
  /** Remove the table's items that the file does not have, so the table equals the file. */
  replace?: boolean;
  /** Refuse to load anything when an item is invalid for the egress service. */
  strict?: boolean;
  /** The day placeholders are checked against (for the warnings of `validateItems`). */
  stamps: DateStamps;
  signal?: AbortSignal;
}

/** What a load did. */
export interface LoadReport {
  readonly table: string;
  readonly endpoint: string;
  readonly items: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Items removed by `replace`. */
  readonly removed: number;
  /** The egress service's verdict on each item (invalid ones take no action; warnings). */
  readonly validation: ValidationReport;
}

/**
 * Validates `records` and puts them into `table`: new items created, changed ones replaced,
 * identical ones left alone. With `replace`, items not in `records` are deleted afterwards.
 *
 * @throws RuleLoadError when an item has no usable key (or, with `strict`, is invalid) — nothing is written
 * @throws RuleSourceError when the table does not exist or the endpoint does not answer
 */
export async function loadRuleItems(
  target: AwsTarget,
  table: string,
  records: readonly RoutingItemRecord[],
  options: LoadOptions,
): Promise<LoadReport> {
  const unstorable = unstorableItems(records);
  if (unstorable.length) {
    throw new RuleLoadError(
      `${unstorable.length} routing items cannot be stored in table ${table}`,
      unstorable,
    );
  }
  const validation = validateItems(records, options.stamps);
  if (options.strict && validation.invalid.length) {
    throw new RuleLoadError(
      `${validation.invalid.length} of ${records.length} routing items are invalid for the egress service (--strict)`,
      validation.invalid,
    );
  }
  const keyOf = (item: Readonly<Record<string, unknown>>) =>
    JSON.stringify([item.source_prefix, item.pipeline_name]);
  // Later items win over earlier ones with the same key, as successive PutItems would.
  const wanted = new Map(records.map((record) => [keyOf(record.item), normaliseItem({ ...record.item })]));
  const client = createDocumentClient(target);
  const send = { abortSignal: options.signal };
  try {
    const existing = new Map<string, Record<string, unknown>>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }), send);
      for (const item of page.Items ?? []) existing.set(keyOf(item), item);
      start = page.LastEvaluatedKey;
    } while (start);
    let created = 0;
    let updated = 0;
    for (const [key, item] of wanted) {
      const current = existing.get(key);
      if (current && isDeepStrictEqual(current, item)) continue;
      await client.send(new PutCommand({ TableName: table, Item: item }), send);
      if (current) updated++;
      else created++;
    }
    let removed = 0;
    if (options.replace) {
      for (const [key, item] of existing) {
        if (wanted.has(key)) continue;
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: { source_prefix: item.source_prefix, pipeline_name: item.pipeline_name },
          }),
          send,
        );
        removed++;
      }
    }
    return {
      table,
      endpoint: target.endpoint ?? 'AWS',
      items: records.length,
      created,
      updated,
      unchanged: wanted.size - created - updated,
      removed,
      validation,
    };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') {
      throw new RuleSourceError(`table ${table} does not exist at ${target.endpoint ?? 'AWS'}`, {
        cause: error,
      });
    }
    if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      throw new RuleSourceError(`cannot reach the AWS endpoint ${target.endpoint}: is the sandbox running?`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** The lines a person reads after a load: counts, then each invalid item and warning by item and field. */
export function formatLoadReport(report: LoadReport, origin: string): string[] {
  const lines = [
    `loaded ${report.items} routing items from ${origin} into table ${report.table} at ${report.endpoint}: ` +
      `${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged` +
      (report.removed ? `, ${report.removed} removed` : ''),
  ];
  for (const finding of report.validation.invalid) {
    lines.push(`✗ ${finding.rule} (${finding.label}) is invalid and takes no action:`);
    for (const problem of finding.problems) lines.push(`    ${problem.field}: ${problem.message}`);
  }
  for (const finding of report.validation.warnings) {
    lines.push(`! ${finding.rule} (${finding.label}):`);
    for (const problem of finding.problems) lines.push(`    ${problem.field}: ${problem.message}`);
  }
  return lines;
}
