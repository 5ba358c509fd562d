import type { TraceEntry } from '../sandbox/trace.ts';

/** Stage labels, padded so the story reads as columns. */
const LABELS: Record<TraceEntry['stage'], string> = {
  upload: 'upload',
  event: 'S3 event',
  message: 'message',
  rule: 'rule',
  transfer: 'delivery',
  sft: 'SFT agent',
  nifi: 'stub NiFi',
  'dead-letter': 'dead letter',
  error: 'error',
};

/** `  +1.25s  S3 event    …` — one trace entry as a line, timed from `since`. */
export function formatTraceEntry(entry: TraceEntry, since: number): string {
  const seconds = ((entry.at.getTime() - since) / 1000).toFixed(2);
  return `  ${`+${seconds}s`.padStart(8)} ${entry.failure ? '✗' : ' '} ${LABELS[entry.stage].padEnd(11)} ${entry.text}`;
}

/**
 * A trace listener that prints each entry as a line. The invalid-item report repeats at every
 * table scan; the printer tells each such report once.
 */
export function tracePrinter(out: (line: string) => void, since: number): (entry: TraceEntry) => void {
  const told = new Set<string>();
  return (entry) => {
    if (entry.stage === 'rule' && entry.failure) {
      if (told.has(entry.text)) return;
      told.add(entry.text);
    }
    out(formatTraceEntry(entry, since));
  };
}
