/** The primary key of a routing item: partition `source_prefix`, sort `pipeline_name`. */
export interface RuleKey {
  /** The item's `source_prefix` as stored (placeholders not expanded). */
  readonly sourcePrefix: string;
  /** The item's `pipeline_name`; `X#sft` is just another row. */
  readonly pipelineName: string;
}

export type TransferType = 'S3' | 'SFT';

/** Compression formats of `compress_fmt`; names are exact and case-sensitive (behaviour §5). */
export type CompressionFormat = 'gz' | 'z';

/** How the manifest is written (behaviour §6.2). Only `plaintext` exists without the crypto integration. */
export type ManifestEncryption = 'plaintext' | 'encrypted' | 'rewrapped';

/**
 * One validated routing item (DynamoDB table `data-egress`, behaviour §2.1), with defaults applied and
 * blank optional strings normalised to `undefined`. Date placeholders are still unexpanded: a rule
 * becomes concrete for one message through `resolveRule`.
 */
export interface EgressRule {
  readonly key: RuleKey;
  /** `recipient_name`, a label for logs and metrics; `""` when absent. */
  readonly recipientName: string;
  /** `transfer_type`, accepted case-insensitively and normalised. */
  readonly transferType: TransferType;
  readonly sourceBucket: string;
  /** Required for S3 rules; `undefined` for SFT rules. */
  readonly destinationBucket: string | undefined;
  /** `destination_prefix` pattern; `""` when absent. */
  readonly destinationPrefix: string;
  readonly decrypt: boolean;
  readonly rewrapDatakey: boolean;
  readonly encryptingKeySsmParameterName: string | undefined;
  /** The format to compress with, or `undefined` when the rule does not compress. */
  readonly compression: CompressionFormat | undefined;
  readonly roleArn: string | undefined;
  readonly controlFilePrefix: string | undefined;
  readonly manifestFileName: string | undefined;
  readonly manifestEncryption: ManifestEncryption;
  readonly timestampFiles: boolean;
}

/** A routing item that failed validation: it takes no action and is reported with this reason. */
export interface InvalidRule {
  /** The item's key as far as it could be read (`undefined` where a key column was unusable). */
  readonly key: { readonly sourcePrefix: unknown; readonly pipelineName: unknown };
  /** Every problem found, each naming its column, e.g. `decrypt: expected a boolean (BOOL), got string "true"`. */
  readonly reason: string;
}

/** `source_prefix|pipeline_name`, for logs and de-duplication. */
export function describeRuleKey(key: { sourcePrefix: unknown; pipelineName: unknown }): string {
  return `${String(key.sourcePrefix)}|${String(key.pipelineName)}`;
}
