import { createWriteStream, type WriteStream } from 'node:fs';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

/** One pino JSON line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; component?: string };

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * Keeps every log line a component writes (through the project's own `createLogger`, so the same
 * redaction applies as in production), for assertions and for the chaos report. Optionally mirrors
 * the raw lines to a file.
 */
export class LogCapture {
  readonly lines: LogLine[] = [];
  /** The raw text, exactly as written (scanned for key material). */
  readonly raw: string[] = [];
  readonly logger: Logger;
  private readonly file: WriteStream | undefined;

  constructor(component: string, options: { file?: string; level?: string } = {}) {
    this.file = options.file ? createWriteStream(options.file, { flags: 'a' }) : undefined;
    this.logger = createLogger({
      component,
      level: options.level ?? 'debug',
      destination: { write: (text: string) => this.take(text) },
    });
  }

  /** Accepts raw JSON lines from elsewhere (a child process's stdout). */
  take(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.raw.push(line);
      this.file?.write(`${line}\n`);
      try {
        const parsed = JSON.parse(line) as LogLine;
        if (typeof parsed === 'object' && parsed !== null && typeof parsed.level === 'number') {
          this.lines.push(parsed);
        }
      } catch {
        // Not a log line (a human message from a CLI); kept in `raw` only.
      }
    }
  }

  /** Lines at or above `level` whose fields include every `match` entry (strings: substring of the value). */
  find(level: number, match: Record<string, string | number | RegExp> = {}): LogLine[] {
    return this.lines.filter(
      (line) =>
        line.level >= level &&
        Object.entries(match).every(([field, expected]) => {
          const value = line[field];
          if (value === undefined) return false;
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          if (expected instanceof RegExp) return expected.test(text);
          return typeof expected === 'number' ? value === expected : text.includes(expected);
        }),
    );
  }

  /** Whether any line contains `secret` verbatim (key material must never appear). */
  contains(secret: string): boolean {
    return this.raw.some((line) => line.includes(secret));
  }

  async close(): Promise<void> {
    const file = this.file;
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}
