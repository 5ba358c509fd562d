/**
 * Strict Base64 (RFC 4648 §4, standard alphabet, mandatory padding, no whitespace).
 *
 * Node's `Buffer.from(text, 'base64')` silently skips characters it does not know and accepts
 * missing padding, so a corrupted IV would decode to *some* bytes and decrypt to garbage. Key
 * material must be refused instead (docs/reference/contracts.md#dks-refusals), hence this check before decoding.
 */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes `text` when it is canonical strict Base64 of at least one byte, else `undefined`. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || !STRICT_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero bits in the last character's unused part ("QR==" vs "QQ==") are not canonical.
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Java's basic decoder alphabet with optional padding (whitespace is not allowed there either). */
const JAVA_BASE64 = /^[A-Za-z0-9+/]*(?:={1,2})?$/;

/**
 * Decodes `text` as Java's `Base64.getDecoder()` does, which the original used for the re-wrap
 * public key: standard alphabet, no whitespace, padding optional but correct when present, a last
 * unit of one character refused; unused trailing bits are ignored.
 */
export function decodeJavaBase64(text: string): Buffer | undefined {
  if (!JAVA_BASE64.test(text)) return undefined;
  const padding = text.length - text.replace(/=+$/, '').length;
  const body = text.length - padding;
  if (padding > 0 && text.length % 4 !== 0) return undefined;
  if (body % 4 === 1) return undefined;
  if (padding > 0 && (4 - (body % 4)) % 4 !== padding) return undefined;
  return Buffer.from(text.slice(0, body), 'base64');
}
