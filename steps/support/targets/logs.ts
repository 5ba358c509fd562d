import { open, stat } from 'node:fs/promises';

const MAX_LOG_BYTES = 256 * 1024;

export async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The part of a log file written after `offset` (the last 256 KiB at most). */
export async function readLogFrom(file: string, offset: number): Promise<string> {
  try {
    const size = await logSize(file);
    const start = Math.max(offset, size - MAX_LOG_BYTES);
    if (size <= start) return '';
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/**
 * Reads what was appended to a log file after `offset` (up to `maxBytes`), for readers that follow
 * a log line by line: returns the bytes and the offset to continue from.
 */
export async function readLogChunk(
  file: string,
  offset: number,
  maxBytes = 16 * 1024 * 1024,
): Promise<{ bytes: Buffer; next: number }> {
  const size = await logSize(file);
  if (size <= offset) return { bytes: Buffer.alloc(0), next: Math.min(offset, size) };
  const length = Math.min(size - offset, maxBytes);
  const handle = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, offset);
    return { bytes: bytes.subarray(0, bytesRead), next: offset + bytesRead };
  } finally {
    await handle.close();
  }
}
