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
  ) {
    super(message);
  }
}
