import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../logging/logger.ts';
import { describeFailure } from '../../util/describe-failure.ts';
import { TransientEgressError } from '../errors.ts';
import { type ItemWithUnknownColumns, RoutingItemValidator } from './item-validator.ts';
import type { EgressRule, InvalidRule } from './rule.ts';
import { describeUnknownColumn } from './unknown-columns.ts';

/** The routing table at one moment. */
export interface RuleSet {
  readonly rules: readonly EgressRule[];
  readonly invalid: readonly InvalidRule[];
  /** When the scan finished (ms since the epoch). */
  readonly loadedAt: number;
}

/** Options for {@link RuleRepository}. */
export interface RuleRepositoryOptions {
  documentClient: DynamoDBDocumentClient;
  /** The routing table. */
  table: string;
  /**
   * Reuse a scan for this long. 0 (default) scans once per message, which is what the original did
   * (minus its once-per-KEY repetition, behaviour §2.3) and reflects rule edits immediately.
   */
  cacheTtlMs?: number;
  logger: Logger;
  /** Called once per scan with the invalid items found. */
  onInvalid?: (invalid: readonly InvalidRule[]) => void;
  /** Called with items carrying attributes the service does not read, once per new item content. */
  onUnknownColumns?: (items: readonly ItemWithUnknownColumns[]) => void;
  /** Clock for the cache; tests inject one. */
  now?: () => number;
}

/**
 * Reads the routing rules: a full Scan following `LastEvaluatedKey` over every page, each item
 * validated. Invalid items are reported once per scan (logged with key and reason) and left out.
 */
export class RuleRepository {
  private cached: RuleSet | undefined;
  private inFlight: Promise<RuleSet> | undefined;
  private readonly now: () => number;
  private readonly validator = new RoutingItemValidator();

  constructor(private readonly options: RuleRepositoryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The current rules; throws {@link TransientEgressError} when the table cannot be read. */
  async load(signal?: AbortSignal): Promise<RuleSet> {
    const ttl = this.options.cacheTtlMs ?? 0;
    if (ttl > 0 && this.cached && this.now() - this.cached.loadedAt < ttl) return this.cached;
    if (ttl > 0 && this.inFlight) return this.inFlight;
    const scanning = this.scan(signal);
    if (ttl > 0) {
      this.inFlight = scanning.finally(() => {
        this.inFlight = undefined;
      });
    }
    const ruleSet = await scanning;
    if (ttl > 0) this.cached = ruleSet;
    return ruleSet;
  }

  private async scan(signal?: AbortSignal): Promise<RuleSet> {
    const items: unknown[] = [];
    let pages = 0;
    try {
      for await (const page of paginateScan(
        { client: this.options.documentClient },
        { TableName: this.options.table },
        ...(signal ? [{ abortSignal: signal }] : []),
      )) {
        pages += 1;
        items.push(...(page.Items ?? []));
      }
    } catch (error) {
      throw new TransientEgressError(
        `scanning table ${this.options.table} failed: ${describeFailure(error)}`,
        {},
        {
          cause: error,
        },
      );
    }
    const { rules, invalid, unknownColumns } = this.validator.parse(items);
    for (const item of unknownColumns) {
      this.options.logger.warn(
        {
          table: this.options.table,
          sourcePrefix: item.key.sourcePrefix,
          pipelineName: item.key.pipelineName,
          columns: item.columns,
        },
        `routing item has attributes the service does not read: ${item.columns.map(describeUnknownColumn).join('; ')}`,
      );
    }
    if (unknownColumns.length > 0) this.options.onUnknownColumns?.(unknownColumns);
    for (const item of invalid) {
      this.options.logger.warn(
        {
          table: this.options.table,
          sourcePrefix: item.key.sourcePrefix,
          pipelineName: item.key.pipelineName,
          reason: item.reason,
        },
        'invalid routing item ignored',
      );
    }
    if (invalid.length > 0) this.options.onInvalid?.(invalid);
    this.options.logger.debug(
      { table: this.options.table, pages, rules: rules.length, invalid: invalid.length },
      'rules scanned',
    );
    return { rules, invalid, loadedAt: this.now() };
  }
}
