/**
 * Names on the SFT volume: the one definition of "a name the agent ignores" (shared by the agent's
 * watcher and the egress service, which refuses to deliver such names), and the byte limit of a
 * file name. Pure: no I/O.
 */

/** File systems limit one path segment to 255 bytes (`NAME_MAX` on Linux, macOS and Windows NTFS). */
export const MAX_NAME_BYTES = 255;

/** Suffixes writers give files they have not finished; they rename them into place when complete. */
const TEMPORARY_SUFFIXES = ['.partial', '.tmp'] as const;

/**
 * Why the SFT agent never sends a file of this name, or `undefined` when it does. Hidden names
 * (`.x`) and `*.partial` / `*.tmp` are writers' temporary files: the egress service and the agent's
 * own `writeFile` write `.<name>.<random>.partial` and rename it when complete, and other writers
 * use `.tmp`. Sending them would send half-written files.
 */
export function ignoredNameReason(name: string): string | undefined {
  if (name.startsWith('.')) return 'it starts with "." (a hidden or temporary file)';
  const suffix = TEMPORARY_SUFFIXES.find((candidate) => name.endsWith(candidate));
  if (suffix) return `it ends with "${suffix}" (a file still being written)`;
  return undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Why a file of this name cannot be sent by the SFT agent, or `undefined` when it can: a control
 * character (C0, DEL, C1) cannot travel in the `filename` header. Any other Unicode name travels
 * as UTF-8. The egress service refuses such names before writing them, so none is stranded.
 */
export function unsendableNameReason(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  return CONTROL.test(name)
    ? 'it contains a control character, which the filename header cannot carry'
    : undefined;
}

/** Whether the SFT agent ignores a directory entry of this name (see {@link ignoredNameReason}). */
export function isIgnoredName(name: string): boolean {
  return ignoredNameReason(name) !== undefined;
}

/** Bytes of `text` in UTF-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never cutting a character
 * (a multi-byte sequence or a surrogate pair) in half.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = utf8Length(character);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}

/**
 * `name` shortened (from its end) so that `name + suffix` fits in {@link MAX_NAME_BYTES}, then the
 * suffix. Used for names the agent and the service generate from a given name.
 */
export function fitName(name: string, suffix = '', maxBytes = MAX_NAME_BYTES): string {
  const room = maxBytes - utf8Length(suffix);
  if (room < 1) throw new Error(`the suffix "${suffix}" leaves no room for a name within ${maxBytes} bytes`);
  return `${truncateUtf8(name, room)}${suffix}`;
}

/**
 * A writer's temporary name for `name` in the same directory: `.<name>.<unique>.partial`, hidden and
 * ignored by the agent, at most {@link MAX_NAME_BYTES} bytes however long `name` is (the name part
 * is shortened; `unique` keeps temporary names apart).
 */
export function temporaryName(name: string, unique: string): string {
  const suffix = `.${unique}.partial`;
  return `.${fitName(name, suffix, MAX_NAME_BYTES - 1)}`;
}
