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
  /** Where lines go. @defaultValue standard output */
  destination?: DestinationStream;
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
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that discards everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
