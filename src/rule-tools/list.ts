import { s3Url } from '../egress/plan/locations.ts';
import { destinationKeyPrefix } from '../egress/plan/naming.ts';
import type { EgressRule } from '../egress/rules/rule.ts';
import { type CheckedItem, checkItems, type RoutingItemRecord } from './items.ts';

/** One line of `egress routes list`. */
export interface RuleRow {
  readonly pipeline: string;
  readonly recipient: string;
  readonly type: string;
  /** `s3://<source_bucket>/<source_prefix>` (placeholders as stored). */
  readonly source: string;
  /**
   * `s3://<bucket>/<key prefix>` for S3 — the prefix as the service writes under it (placeholders as
   * stored; `/` is the bucket root) — or the SFT directory for SFT.
   */
  readonly destination: string;
  /** Short markers: decrypt, rewrap, gz, z, timestamp, control, manifest, manifest:encrypted, role, INVALID. */
  readonly flags: readonly string[];
  readonly valid: boolean;
  /** Why the service rejects the item. */
  readonly reason?: string | undefined;
  readonly resource?: string | undefined;
  readonly label: string;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A rule's short markers: decrypt, rewrap, gz, z, timestamp, control, manifest(:mode), role. */
export function ruleBadges(rule: EgressRule): string[] {
  const flags: string[] = [];
  if (rule.decrypt) flags.push('decrypt');
  if (rule.rewrapDatakey) flags.push('rewrap');
  if (rule.compression) flags.push(rule.compression);
  if (rule.timestampFiles) flags.push('timestamp');
  if (rule.controlFilePrefix) flags.push('control');
  if (rule.manifestFileName) {
    flags.push(rule.manifestEncryption === 'plaintext' ? 'manifest' : `manifest:${rule.manifestEncryption}`);
  }
  if (rule.roleArn) flags.push('role');
  return flags;
}

function rowOf(checked: CheckedItem): RuleRow {
  const { record } = checked;
  const item = record.item;
  const base = { resource: record.resource, label: record.label };
  if (!checked.ok) {
    const type = text(item.transfer_type);
    return {
      ...base,
      pipeline: text(item.pipeline_name),
      recipient: text(item.recipient_name),
      type,
      source: s3Url(text(item.source_bucket), text(item.source_prefix)),
      destination:
        type.toUpperCase() === 'SFT'
          ? text(item.destination_prefix)
          : s3Url(text(item.destination_bucket), destinationKeyPrefix(text(item.destination_prefix))),
      flags: ['INVALID'],
      valid: false,
      reason: checked.invalid.reason,
    };
  }
  const { rule } = checked;
  return {
    ...base,
    pipeline: rule.key.pipelineName,
    recipient: rule.recipientName,
    type: rule.transferType,
    source: s3Url(rule.sourceBucket, rule.key.sourcePrefix),
    destination:
      rule.transferType === 'SFT'
        ? rule.destinationPrefix
        : s3Url(rule.destinationBucket ?? '', destinationKeyPrefix(rule.destinationPrefix)),
    flags: ruleBadges(rule),
    valid: true,
  };
}

/** The rows of `egress routes list`, ordered by source then pipeline (a scan's order means nothing). */
export function listRules(records: readonly RoutingItemRecord[]): RuleRow[] {
  return checkItems(records)
    .map(rowOf)
    .sort((a, b) => a.source.localeCompare(b.source) || a.pipeline.localeCompare(b.pipeline));
}
