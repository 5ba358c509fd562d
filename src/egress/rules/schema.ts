import { z } from 'zod';
import type { CompressionFormat, EgressRule, InvalidRule, ManifestEncryption, TransferType } from './rule.ts';

/*
 * Validation of routing items in their DynamoDB *document* form (after unmarshalling: S → string,
 * BOOL → boolean, NULL → null). Types are strict (docs/reference/contracts.md#strict-rule-items): a column of the wrong type, a
 * missing required column or an unknown transfer type makes the whole item invalid — never coerced,
 * never half-applied. The original read a string "true" in a BOOL column as false (behaviour §10.27).
 */

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (column absent)';
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (value instanceof Set) return 'a set';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary';
  return 'a map';
}

const requiredString = z.string({
  error: (issue) => `expected a string (S), got ${describeValue(issue.input)}`,
});

const requiredNonEmptyString = requiredString.min(1, { error: 'must not be empty' });

/** Optional S column: absent, NULL or blank all mean "not set" (the original's `isNotBlank` tests). */
const optionalString = z
  .string({ error: (issue) => `expected a string (S) or nothing, got ${describeValue(issue.input)}` })
  .nullish()
  .transform((value) => (value === null || value === undefined || value.trim() === '' ? undefined : value));

/** Optional BOOL column defaulting to false. A string "true" is a type error, not `true`. */
const optionalBoolean = z
  .boolean({ error: (issue) => `expected a boolean (BOOL) or nothing, got ${describeValue(issue.input)}` })
  .nullish()
  .transform((value) => value ?? false);

const TRANSFER_TYPES: Record<string, TransferType> = { s3: 'S3', sft: 'SFT' };

const transferType = requiredString.transform((value, context) => {
  const normalised = TRANSFER_TYPES[value.toLowerCase()];
  if (normalised) return normalised;
  context.addIssue({
    code: 'custom',
    message: `unknown transfer type ${JSON.stringify(value)} (expected S3 or SFT)`,
  });
  return z.NEVER;
});

const MANIFEST_MODES: Record<string, ManifestEncryption> = {
  encrypted: 'encrypted',
  're-wrapped': 'rewrapped',
  rewrapped: 'rewrapped',
};

const manifestEncryption = optionalString.transform((value, context): ManifestEncryption => {
  if (value === undefined) return 'plaintext';
  const mode = MANIFEST_MODES[value.toLowerCase()];
  if (mode) return mode;
  // The original silently wrote a PLAINTEXT manifest for any other value; a typo in a column that
  // asks for encryption must not leak data, so it makes the item invalid instead.
  context.addIssue({
    code: 'custom',
    message: `unknown manifest encryption ${JSON.stringify(value)} (expected encrypted, re-wrapped or rewrapped)`,
  });
  return z.NEVER;
});

const COMPRESSION_FORMATS: readonly string[] = ['gz', 'z'] satisfies CompressionFormat[];

/** Every column the service reads (behaviour §2.1), with its type. */
const routingItemShape = {
  source_prefix: requiredString,
  pipeline_name: requiredString,
  recipient_name: optionalString,
  transfer_type: transferType,
  source_bucket: requiredNonEmptyString,
  destination_bucket: optionalString,
  destination_prefix: optionalString,
  decrypt: optionalBoolean,
  rewrap_datakey: optionalBoolean,
  encrypting_key_ssm_parm_name: optionalString,
  compress: optionalBoolean,
  compress_fmt: optionalString,
  role_arn: optionalString,
  control_file_prefix: optionalString,
  manifest_file_name: optionalString,
  manifest_file_encryption: manifestEncryption,
  timestamp_files: optionalBoolean,
};

/** The names of the columns a routing item may have; anything else is not read by the service. */
export const ROUTING_ITEM_COLUMNS: readonly string[] = Object.freeze(Object.keys(routingItemShape));

const routingItemSchema = z.object(routingItemShape).superRefine((item, context) => {
  if (item.transfer_type === 'S3' && item.destination_bucket === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['destination_bucket'],
      message: 'required (a non-blank string) when transfer_type is S3',
    });
  }
  if (item.transfer_type === 'S3' && item.decrypt === true && item.rewrap_datakey === true) {
    // The original wrote plaintext with metadata claiming it was still encrypted (behaviour §10.17):
    // a rule cannot both hand over the plaintext and a re-wrapped key for a ciphertext.
    context.addIssue({
      code: 'custom',
      path: ['rewrap_datakey'],
      message:
        'cannot be true together with decrypt on an S3 rule (the body would be plaintext under metadata claiming encryption)',
    });
  }
  if (item.compress && !COMPRESSION_FORMATS.includes(item.compress_fmt ?? '')) {
    const got = item.compress_fmt === undefined ? 'nothing' : JSON.stringify(item.compress_fmt);
    context.addIssue({
      code: 'custom',
      path: ['compress_fmt'],
      message: `must be "gz" or "z" when compress is true, got ${got}`,
    });
  }
});

/** Outcome of {@link parseRoutingItem}. */
export type RoutingItemResult = { ok: true; rule: EgressRule } | { ok: false; invalid: InvalidRule };

/**
 * Validates one routing item. Attributes whose names start with `_` (fixture metadata such as
 * `_resource`) and columns the original never read are ignored.
 */
export function parseRoutingItem(item: unknown): RoutingItemResult {
  const record = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
  const parsed = routingItemSchema.safeParse(record);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'item'}: ${issue.message}`)
      .join('; ');
    return {
      ok: false,
      invalid: { key: { sourcePrefix: record.source_prefix, pipelineName: record.pipeline_name }, reason },
    };
  }
  const value = parsed.data;
  return {
    ok: true,
    rule: {
      key: { sourcePrefix: value.source_prefix, pipelineName: value.pipeline_name },
      recipientName: value.recipient_name ?? '',
      transferType: value.transfer_type,
      sourceBucket: value.source_bucket,
      destinationBucket: value.transfer_type === 'S3' ? value.destination_bucket : undefined,
      destinationPrefix: value.destination_prefix ?? '',
      decrypt: value.decrypt,
      rewrapDatakey: value.rewrap_datakey,
      encryptingKeySsmParameterName: value.encrypting_key_ssm_parm_name,
      // The original appended `.<compress_fmt>` to names even when not compressing (behaviour §10.13);
      // here the format only matters when `compress` is true, and then it was validated above.
      compression: value.compress ? (value.compress_fmt as CompressionFormat) : undefined,
      roleArn: value.role_arn,
      controlFilePrefix: value.control_file_prefix,
      manifestFileName: value.manifest_file_name,
      manifestEncryption: value.manifest_file_encryption,
      timestampFiles: value.timestamp_files,
    },
  };
}

/** Splits a scan's items into valid rules and reported invalid items, keeping scan order. */
export function parseRoutingItems(items: readonly unknown[]): {
  rules: EgressRule[];
  invalid: InvalidRule[];
} {
  const rules: EgressRule[] = [];
  const invalid: InvalidRule[] = [];
  for (const item of items) {
    const result = parseRoutingItem(item);
    if (result.ok) rules.push(result.rule);
    else invalid.push(result.invalid);
  }
  return { rules, invalid };
}
