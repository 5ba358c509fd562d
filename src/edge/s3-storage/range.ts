/** An inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Resolves a GetObject `Range` header against an object of `size` bytes, as S3 does:
 *
 * - `bytes=a-b`, `bytes=a-`, `bytes=-n` (the last n bytes; more than the object means all of it);
 *   `b` past the end is clamped;
 * - a header S3 does not understand (another unit, several ranges, `b < a`, garbage) is ignored:
 *   the whole object is returned (`'whole'`);
 * - a range that starts at or beyond the end, or `bytes=-0`, cannot be satisfied (`'unsatisfiable'`,
 *   HTTP 416).
 */
export function resolveRange(
  header: string | undefined,
  size: number,
): ByteRange | 'whole' | 'unsatisfiable' {
  if (header === undefined) return 'whole';
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return 'whole';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'whole';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return 'whole';
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

/** One piece of a range read: bytes `start..end` (inclusive) of segment `index`. */
export interface SegmentSlice {
  index: number;
  start: number;
  end: number;
}

/**
 * Which parts of which segments hold bytes `range.start..range.end` of an object made of segments
 * of the given sizes, in order (empty segments are skipped).
 */
export function sliceSegments(sizes: readonly number[], range: ByteRange): SegmentSlice[] {
  const slices: SegmentSlice[] = [];
  let offset = 0;
  sizes.forEach((size, index) => {
    const segmentStart = offset;
    const segmentEnd = offset + size - 1;
    offset += size;
    if (size === 0 || segmentEnd < range.start || segmentStart > range.end) return;
    slices.push({
      index,
      start: Math.max(range.start, segmentStart) - segmentStart,
      end: Math.min(range.end, segmentEnd) - segmentStart,
    });
  });
  return slices;
}
