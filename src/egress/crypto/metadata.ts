/** S3 user metadata as the SDK returns it: keys without the `x-amz-meta-` prefix. */
export type ObjectMetadata = Record<string, string | undefined>;

/**
 * Reads one user-metadata value. S3 lower-cases metadata keys, but emulators and hand-made
 * fixtures do not always, so an exact match is tried first and then a case-insensitive one.
 */
export function metadataValue(metadata: ObjectMetadata, name: string): string | undefined {
  const exact = metadata[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(metadata)) {
    if (key.toLowerCase() === lower && value !== undefined) return value;
  }
  return undefined;
}
