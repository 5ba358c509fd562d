/**
 * What the benchmarks put in: sizes scaled by BENCH_SCALE, deterministic content (a fixed-seed text
 * pool, streamed or as buffers) and the routing items they write. The world they put it in comes
 * from the test kit (src/testing).
 */

import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;

/** BENCH_SCALE (default 1) multiplies counts and sizes, for quick runs while developing. */
export function benchScale(): number {
  const value = Number(process.env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  return value;
}

/** `n × BENCH_SCALE`, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * benchScale()));
}

/** `bytes × BENCH_SCALE`, rounded to whole MiB, at least 1 MiB. */
export function scaledBytes(bytes: number): number {
  return Math.max(MiB, Math.round((bytes * benchScale()) / MiB) * MiB);
}

/** mulberry32: a tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'claimant',
  'contract',
  'statement',
  'address',
  'payment',
  'award',
  'household',
  'employment',
  'child',
  'benefit',
  'assessment',
  'period',
  'deduction',
  'journal',
  'todo',
  'advance',
];

let pool: Buffer | undefined;
/**
 * 8 MiB of JSON lines from a fixed seed — realistic for the pipeline's exports (compresses to about
 * a third with gzip -6). Streams cycle through it; the period is far beyond gzip's 32 KiB window,
 * so the compression ratio and speed are those of fresh text.
 */
export function textPool(): Buffer {
  if (pool) return pool;
  const random = prng(20261124);
  const lines: string[] = [];
  let size = 0;
  for (let id = 0; size < 8 * MiB; id++) {
    const word = () => WORDS[Math.floor(random() * WORDS.length)]!;
    const line = `${JSON.stringify({
      _id: { id: `${(random() * 1e16).toString(16)}-${id}` },
      type: word(),
      amount: Math.round(random() * 1e6) / 100,
      date: `2026-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
      status: word(),
      note: `${word()} ${word()} ${word()} ${Math.floor(random() * 1e9)}`,
    })}\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  pool = Buffer.from(lines.join('')).subarray(0, 8 * MiB);
  return pool;
}

/** `size` deterministic bytes (the text pool from offset `seed`), streamed in 1 MiB chunks. */
export function contentStream(size: number, seed = 0): Readable {
  const source = textPool();
  let offset = (seed * 7919 * 4096) % source.length;
  let remaining = size;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const length = Math.min(MiB, remaining, source.length - offset);
      this.push(source.subarray(offset, offset + length));
      remaining -= length;
      offset = (offset + length) % source.length;
    },
  });
}

/** `size` deterministic bytes as one buffer (small objects). */
export function contentBuffer(size: number, seed = 0): Buffer {
  const source = textPool();
  const start = (seed * 7919) % (source.length - size);
  return Buffer.from(source.subarray(start, start + size));
}

/** An S3 routing item (the original's columns). */
export function s3Rule(
  sourcePrefix: string,
  sourceBucket: string,
  destinationBucket: string,
  destinationPrefix: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    source_prefix: sourcePrefix,
    pipeline_name: 'BENCH',
    recipient_name: 'bench',
    transfer_type: 'S3',
    source_bucket: sourceBucket,
    destination_bucket: destinationBucket,
    destination_prefix: destinationPrefix,
    ...extra,
  };
}
