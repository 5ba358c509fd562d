import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * A name no other test of this process or of another run uses: lower case, digits and dashes, so
 * it is valid for a bucket, a queue and a table alike (keep `prefix` short: buckets take 63 bytes).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  // One word after the prefix (a counter, then randomness), so `<prefix>-\w+` finds the name.
  return `${prefix}-${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}
