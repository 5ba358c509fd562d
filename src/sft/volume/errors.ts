/** Why a path under the SFT root is refused. */
export type SftPathRefusal =
  /** A symbolic link as the entry or as a directory above it, below the root. */
  | 'symbolic-link'
  /** Lexically outside the root. */
  | 'outside-root'
  /** A FIFO, socket, device or directory where a regular file was expected. */
  | 'not-a-regular-file'
  /** More than one hard link: another name, maybe outside the root, shares the data. */
  | 'hard-links'
  /** The path now names another entry than the one opened. */
  | 'replaced'
  /** The entry disappeared. */
  | 'gone';

/**
 * A path under the SFT root that must not be used: a symbolic link at some level below the root,
 * a file that is not a regular file, or an entry replaced while it was being used. Retrying does not
 * help until someone fixes the directory, so callers treat it as permanent for the file at hand.
 */
export class SftPathRefusedError extends Error {
  override readonly name = 'SftPathRefusedError';
  constructor(
    message: string,
    /** The entry at fault (the link, the odd file). */
    readonly path: string,
    readonly refusal: SftPathRefusal,
  ) {
    super(message);
  }
}
