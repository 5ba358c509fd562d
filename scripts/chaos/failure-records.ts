import type { FailureRecord } from './accounting.ts';

/*
 * The failures a service reports, as the accounting's FailureRecords — from an in-process service's
 * events and from a child service's JSON log lines alike, so a scenario judges both the same way.
 * Pure: no I/O.
 */

/** A rule that failed outside its objects (listing, duplicate names, control file, manifest). */
export function ruleFailureRecord(rule: {
  rule: string;
  failure: string;
  objectsSent: number;
  objectsFailed: number;
}): FailureRecord {
  return {
    rule: rule.rule,
    reason: rule.failure,
    // Nothing attempted: the reason explains every output of the rule, not only its control files.
    beforeTransfer: rule.objectsSent + rule.objectsFailed === 0,
  };
}

/**
 * The failures one log line of `egress service` reports: an object that failed
 * ("failed to egress object", with its key) or the rules of a message left for retry
 * ("message left for retry…", with `failedRules`). Other lines report none.
 */
export function failuresOfLogLine(line: Record<string, unknown>, sourceBucket: string): FailureRecord[] {
  if (line.msg === 'failed to egress object' && typeof line.reason === 'string') {
    return [
      {
        bucket: sourceBucket,
        key: String(line.key),
        rule: typeof line.rule === 'string' ? line.rule : undefined,
        reason: line.reason,
      },
    ];
  }
  if (Array.isArray(line.failedRules)) {
    return line.failedRules.filter(isReportedRuleFailure).map(ruleFailureRecord);
  }
  return [];
}

function isReportedRuleFailure(
  entry: unknown,
): entry is { rule: string; failure: string; objectsSent: number; objectsFailed: number } {
  const candidate = entry as Record<string, unknown> | null;
  return (
    typeof candidate?.rule === 'string' &&
    typeof candidate.failure === 'string' &&
    typeof candidate.objectsSent === 'number' &&
    typeof candidate.objectsFailed === 'number'
  );
}
