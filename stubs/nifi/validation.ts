/**
 * What the stub NiFi accepts as a target: the request path becomes the key prefix and the
 * `filename` header the last key segment (docs/reference/contracts.md#stub-nifi and contracts.md#stub-nifi-filenames). Pure functions, unit-tested.
 */

/** A refused request: the HTTP status and a reason for the JSON body. */
export interface Refusal {
  status: number;
  reason: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\x00-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: C1 controls too, once the name is decoded
const NAME_CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header as Node hands it over (each byte one Latin-1 character) read as the UTF-8 the SFT agent
 * and curl send; bytes that are not UTF-8 stay Latin-1, HTTP's historical reading of them.
 */
function decodeHeader(header: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: plain ASCII needs no decoding
  if (/^[\x00-\x7f]*$/.test(header)) return header;
  try {
    return UTF8.decode(Buffer.from(header, 'latin1'));
  } catch {
    return header;
  }
}

/** S3 keys are at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/**
 * Checks the `filename` header (UTF-8, else Latin-1): one path segment, no `/`, `\`, `..` (anywhere, as the
 * contract words it) and no control characters including TAB. Returns the name or a refusal.
 */
export function checkFilename(raw: string | string[] | undefined): { filename: string } | Refusal {
  if (Array.isArray(raw)) return { status: 400, reason: 'more than one filename header' };
  if (raw === undefined || raw.length === 0) return { status: 400, reason: 'missing filename header' };
  const header = decodeHeader(raw);
  if (NAME_CONTROL.test(header)) return { status: 400, reason: 'filename contains a control character' };
  if (/[/\\]/.test(header))
    return { status: 400, reason: 'filename must be a single path segment (no / or \\)' };
  if (header.includes('..')) return { status: 400, reason: 'filename must not contain ".."' };
  if (header === '.') return { status: 400, reason: 'filename "." is not a file name' };
  return { filename: header };
}

/**
 * Splits a request URL's path into decoded segments for the key prefix. Empty segments (`//`,
 * leading and trailing `/`) are dropped; `.` and `..` segments, separators hidden by percent
 * encoding (`%2F`, `%5C`), control characters and malformed encoding are refused.
 */
export function checkTargetPath(url: string): { segments: string[] } | Refusal {
  const pathname = url.split(/[?#]/, 1)[0] ?? '';
  const segments: string[] = [];
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: `malformed percent-encoding in path segment "${raw}"` };
    }
    if (segment === '.' || segment === '..')
      return { status: 400, reason: 'path must not contain "." or ".." segments' };
    if (/[/\\]/.test(segment)) return { status: 400, reason: 'path segment contains an encoded / or \\' };
    if (CONTROL.test(segment)) return { status: 400, reason: 'path contains a control character' };
    segments.push(segment);
  }
  return { segments };
}

/** `<path without leading slash>/<filename>`, or a refusal when S3 would not take the key. */
export function objectKey(segments: readonly string[], filename: string): { key: string } | Refusal {
  const key = [...segments, filename].join('/');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return { status: 400, reason: `object key would exceed ${MAX_KEY_BYTES} bytes` };
  }
  return { key };
}
