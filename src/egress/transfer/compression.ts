import type { Transform } from 'node:stream';
import { createDeflate, createGzip } from 'node:zlib';
import type { CompressionFormat } from '../rules/rule.ts';

/**
 * A streaming compressor for a rule's format (behaviour §5):
 * - `gz`: a standard single-member gzip stream;
 * - `z`: a zlib-wrapped (RFC 1950) deflate stream — complete and untruncated, unlike the original,
 *   which zero-padded it to the input length and truncated it when it grew (behaviour §10.14).
 */
export function createCompressor(format: CompressionFormat, level = 6): Transform {
  return format === 'gz' ? createGzip({ level }) : createDeflate({ level });
}
