/** One request, as `received()` reports it (newest last). */
export interface ReceivedFile {
  at: Date;
  path: string;
  filename?: string | undefined;
  /** Object key, when the request got as far as choosing one. */
  key?: string | undefined;
  status: number;
  /** Bytes read from the request body. */
  bytes: number;
  /** SHA-256 (hex) of the stored body. */
  sha256?: string | undefined;
  /** Why it was refused or failed. */
  reason?: string | undefined;
  /** Client certificate subject CN, when there was one. */
  client?: string | undefined;
}

/** Requests kept for `received()`: enough for a test to look back, bounded for a long run. */
const HISTORY = 200;

/** The most recent requests, oldest first; each new one is also handed to `onRecord`. */
export class ReceivedLog {
  private readonly history: ReceivedFile[] = [];

  constructor(private readonly onRecord: (entry: ReceivedFile) => void) {}

  record(entry: ReceivedFile): void {
    this.history.push(entry);
    if (this.history.length > HISTORY) this.history.shift();
    this.onRecord(entry);
  }

  entries(): ReceivedFile[] {
    return [...this.history];
  }
}
