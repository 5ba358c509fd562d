import { createCipheriv } from 'node:crypto';
import type { Transform } from 'node:stream';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLogger, type Logger } from '../../../src/logging/logger.ts';

/** Cuts `data` into chunks of `size` bytes (the last one shorter). */
export function chunksOf(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size)
    chunks.push(data.subarray(offset, offset + size));
  return chunks;
}

/** Feeds `chunks` through `transform` and collects the output. */
export async function runThrough(transform: Transform, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks, { objectMode: false }),
    transform,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

/**
 * An independent AES-CTR: ECB-encrypts explicit counter blocks with a 128-bit big-endian
 * increment (mod 2^128). Shares nothing with node's CTR mode, so it checks the counter semantics.
 */
export function referenceCtr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  let counter = BigInt(`0x${iv.toString('hex')}`);
  const modulus = 1n << 128n;
  const out = Buffer.alloc(data.length);
  for (let offset = 0; offset < data.length; offset += 16) {
    const block = Buffer.from(counter.toString(16).padStart(32, '0'), 'hex');
    const stream = ecb.update(block);
    for (let i = 0; i < 16 && offset + i < data.length; i += 1)
      out[offset + i] = data[offset + i]! ^ stream[i]!;
    counter = (counter + 1n) % modulus;
  }
  return out;
}

/** A debug-level logger whose lines are kept in memory, to assert what is (not) logged. */
export function captureLogger(component: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    component,
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines };
}

/** Every textual form a key could leak in. */
export function keyForms(key: Buffer): string[] {
  return [key.toString('base64'), key.toString('hex'), key.toString('base64url')];
}
