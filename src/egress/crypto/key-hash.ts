import { createHash } from 'node:crypto';

/**
 * A short, stable fingerprint of key material (wrapped keys, never plaintext ones) for logs and
 * error messages: enough to correlate two lines, far too little to recover anything.
 */
export function shortKeyHash(value: string | Buffer): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
}
