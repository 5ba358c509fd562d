import type { IncomingHttpHeaders } from 'node:http';

/** Transport headers that say nothing about the file, and would only spend the metadata budget. */
const TRANSPORT = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'expect',
  'content-length',
]);
/** Recorded as present, never with their value. */
const SECRET = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'apikey']);

/** S3 allows 2 KB of user metadata in all; the stub keeps well under it. */
const BUDGET_BYTES = 1024;
const MAX_VALUE_CHARS = 256;

function sanitiseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Printable ASCII survives an HTTP header round trip; anything else is percent-encoded. */
function sanitiseValue(value: string): string {
  const printable = value
    .trim()
    .replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c))
    .replace(/%(?![0-9A-F]{2})/g, '%25');
  return printable.slice(0, MAX_VALUE_CHARS);
}

/**
 * The received headers as S3 user metadata: names reduced to `[a-z0-9-]`, values to printable
 * ASCII, secrets replaced by `present`, at most 1 KB in all (`filename` first, so it always fits).
 */
export function metadataFromHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  let used = 0;
  const names = Object.keys(headers).sort((a, b) =>
    a === 'filename' ? -1 : b === 'filename' ? 1 : a.localeCompare(b),
  );
  for (const header of names) {
    if (TRANSPORT.has(header)) continue;
    const name = sanitiseName(header);
    const raw = headers[header];
    if (!name || raw === undefined || name in metadata) continue;
    const value = SECRET.has(header) ? 'present' : sanitiseValue(Array.isArray(raw) ? raw.join(', ') : raw);
    const cost = name.length + value.length;
    if (used + cost > BUDGET_BYTES) continue;
    metadata[name] = value;
    used += cost;
  }
  return metadata;
}
