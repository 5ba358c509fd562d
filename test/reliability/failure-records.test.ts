import { describe, expect, it } from 'vitest';
import { failuresOfLogLine, ruleFailureRecord } from '../../scripts/chaos/failure-records.ts';

const BUCKET = 'chaos-source';

describe('failuresOfLogLine (a child service judged from its log lines)', () => {
  it.each([
    {
      name: 'a failed object, with its key and rule',
      line: { msg: 'failed to egress object', key: 'a/b.csv', rule: 'a/|P', reason: 'AccessDenied' },
      failures: [{ bucket: BUCKET, key: 'a/b.csv', rule: 'a/|P', reason: 'AccessDenied' }],
    },
    {
      name: 'a failed object without a rule field',
      line: { msg: 'failed to egress object', key: 'x', reason: 'timeout' },
      failures: [{ bucket: BUCKET, key: 'x', rule: undefined, reason: 'timeout' }],
    },
    {
      name: 'rules of a message left for retry: before and after transfers',
      line: {
        msg: 'message left for retry: not every object succeeded',
        failedRules: [
          { rule: 'd/|S3', failure: 'two sources, one name', objectsSent: 0, objectsFailed: 0 },
          { rule: 'd/|SFT', failure: '1 of 3 objects failed', objectsSent: 2, objectsFailed: 1 },
        ],
      },
      failures: [
        { rule: 'd/|S3', reason: 'two sources, one name', beforeTransfer: true },
        { rule: 'd/|SFT', reason: '1 of 3 objects failed', beforeTransfer: false },
      ],
    },
    {
      name: 'a malformed entry among failed rules is skipped, not guessed at',
      line: { failedRules: [{ rule: 'r', failure: 3 }, 'text', null] },
      failures: [],
    },
    { name: 'a line without failures', line: { msg: 'object egressed', key: 'a' }, failures: [] },
    {
      name: 'a failed object without a reason',
      line: { msg: 'failed to egress object', key: 'a' },
      failures: [],
    },
  ])('$name', ({ line, failures }) => {
    expect(failuresOfLogLine(line, BUCKET)).toEqual(failures);
  });
});

describe('ruleFailureRecord', () => {
  it.each([
    [0, 0, true],
    [1, 0, false],
    [0, 1, false],
  ])('sent %i, failed %i → before any transfer: %s', (objectsSent, objectsFailed, beforeTransfer) => {
    expect(ruleFailureRecord({ rule: 'p|P', failure: 'why', objectsSent, objectsFailed })).toEqual({
      rule: 'p|P',
      reason: 'why',
      beforeTransfer,
    });
  });
});
