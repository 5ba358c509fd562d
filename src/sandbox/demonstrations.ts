/*
 * Rules that are invalid on purpose. The demo seeds the original deployment's rules, one of which
 * is invalid as deployed (placeholder strings from a secret store in its boolean columns): the
 * service rightly reports it at every scan, but it is a demonstration of that report, not a fault
 * of the sandbox, and the trace and dashboard say so instead of showing it as a failure.
 */

/** A routing item's key as the service reports it (either part may be unreadable). */
export interface ReportedKey {
  readonly sourcePrefix: unknown;
  readonly pipelineName: unknown;
}

function keyOf(key: ReportedKey): string {
  return JSON.stringify([key.sourcePrefix, key.pipelineName]);
}

/** Which invalid rules are demonstrations, and why. */
export class Demonstrations {
  private readonly notes = new Map<string, string>();

  /** Marks a rule as invalid on purpose, with the sentence that explains it. */
  mark(key: ReportedKey, note: string): void {
    this.notes.set(keyOf(key), note);
  }

  /** The note of a rule marked as a demonstration, else undefined. */
  noteFor(key: ReportedKey): string | undefined {
    return this.notes.get(keyOf(key));
  }
}
