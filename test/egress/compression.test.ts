import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCompressor } from '../../src/egress/transfer/compression.ts';

const text = Buffer.from(
  Array.from(
    { length: 20_000 },
    (_, i) => `collection-${i % 97},ENCRYPTED,CBOL,REPORT,LINE,NUMBER,${i}`,
  ).join('\n'),
);

async function compress(format: 'gz' | 'z', level?: number): Promise<Buffer> {
  const compressor = createCompressor(format, level);
  const [output] = await Promise.all([buffer(compressor), pipeline(Readable.from([text]), compressor)]);
  return output;
}

describe('compression', () => {
  it.each([1, 6, 9])('gz at level %i is a complete gzip stream of the input', async (level) => {
    expect(gunzipSync(await compress('gz', level)).equals(text)).toBe(true);
  });

  it.each([1, 6, 9])('z at level %i is a complete zlib stream of the input', async (level) => {
    expect(inflateSync(await compress('z', level)).equals(text)).toBe(true);
  });

  it('applies the level: gzip marks fastest (1) and best (9) compression in its header, and 1 is larger', async () => {
    const fastest = await compress('gz', 1);
    const best = await compress('gz', 9);
    // RFC 1952 XFL byte: 4 = fastest algorithm, 2 = maximum compression.
    expect(fastest[8]).toBe(4);
    expect(best[8]).toBe(2);
    expect(fastest.length).toBeGreaterThan(best.length);
  });

  it('defaults to zlib level 6, as the original', async () => {
    expect((await compress('gz')).equals(await compress('gz', 6))).toBe(true);
  });
});
