import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /**
   * Component name, written as `component` on every line (e.g. `egress`, `edge`, `sft-agent`).
   * Leave it out for a root logger whose children each name their own component: pino appends
   * child bindings, so a base `component` would appear twice on a child's lines.
   */
  component?: string;
  /** Minimum level. @defaultValue `process.env.LOG_LEVEL ?? 'info'` */
  level?: string;
  /**
   * Where lines go. @defaultValue standard output, and also the file named by `LOG_FILE` when that
   * is set (appended to; containers use it to share their log with a test runner).
   */
  destination?: DestinationStream;
}

function defaultDestination(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false });
  const file = process.env.LOG_FILE;
  if (!file) return stdout;
  // Each stream takes every line the logger's own level lets through.
  return pino.multistream([
    { level: 'trace', stream: stdout },
    { level: 'trace', stream: pino.destination({ dest: file, append: true, mkdir: true, sync: false }) },
  ]);
}

/**
 * Structured JSON logs, one object per line. Field names that could carry key material are
 * redacted at the logger so a careless call site cannot leak them.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: options.component ? { component: options.component } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'plaintextDataKey',
          '*.plaintextDataKey',
          'dataKey',
          '*.dataKey',
          'privateKey',
          '*.privateKey',
          'secretAccessKey',
          '*.secretAccessKey',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? defaultDestination(),
  );
}

/** A logger that discards everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
