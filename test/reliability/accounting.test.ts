import { describe, expect, it } from 'vitest';
import {
  type AccountingReport,
  account,
  type ExpectedOutput,
  formatAccountingTable,
  type Observation,
} from '../../scripts/chaos/accounting.ts';

/*
 * The chaos accounting must itself be able to fail: every way an output can go missing or wrong
 * (lost, corrupt, dead-lettered without a reason, strays, escapes) has a row here.
 */

const s3Output: ExpectedOutput = {
  id: 'PLAIN:out/a.csv',
  rule: 'p/|PLAIN',
  flags: ['p/pipeline_success.flag'],
  source: { bucket: 'src', key: 'p/a.csv' },
  target: { kind: 's3', bucket: 'dst', key: 'out/a.csv' },
};
const agentOutput: ExpectedOutput = {
  id: 'SFT:a.csv',
  rule: 'p/|SFT',
  flags: ['p/pipeline_success.flag'],
  source: { bucket: 'src', key: 'p/a.csv' },
  target: {
    kind: 'sft-agent',
    staged: 'data-egress/sas/a.csv',
    name: 'a.csv',
    nifiBucket: 'hdfs',
    nifiKey: 'route/a.csv',
    errorFolder: 'data-egress/error/sas',
  },
};
const controlOutput: ExpectedOutput = {
  id: 'PLAIN:out/x.ctl',
  rule: 'p/|PLAIN',
  flags: ['p/pipeline_success.flag'],
  kind: 'control',
  target: { kind: 's3', bucket: 'dst', key: 'out/x.ctl' },
};
const reference = new Map([
  [s3Output.id, 'aaa'],
  [agentOutput.id, 'bbb'],
  [controlOutput.id, 'ccc'],
]);

function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    objects: new Map(),
    sftFiles: new Map(),
    sftOther: [],
    errorEntries: [],
    deadLetters: [],
    failures: [],
    outside: [],
    queue: { visible: 0, inFlight: 0 },
    ...overrides,
  };
}

function judge(seen: Partial<Observation>, expected = [s3Output, agentOutput]): AccountingReport {
  return account('case', expected, observation(seen), reference);
}

describe('chaos accounting', () => {
  it.each([
    {
      case: 'delivered with the clean bytes',
      seen: { objects: new Map([['dst/out/a.csv', 'aaa']]) },
      status: 'delivered',
    },
    {
      case: 'present with other bytes',
      seen: { objects: new Map([['dst/out/a.csv', 'zzz']]) },
      status: 'corrupt',
    },
    { case: 'nowhere', seen: {}, status: 'lost' },
    {
      case: 'flag in the DLQ with the failure on record',
      seen: {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ bucket: 'src', key: 'p/a.csv', reason: 'NoSuchBucket' }],
      },
      status: 'dead-lettered',
    },
    {
      case: 'flag in the DLQ with no failure on record',
      seen: { deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }] },
      status: 'unexplained',
    },
    {
      case: "another object's failure does not explain this one",
      seen: {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ bucket: 'src', key: 'p/b.csv', reason: 'boom' }],
      },
      status: 'unexplained',
    },
    {
      case: 'flag in the DLQ, its rule failed before any transfer (duplicate names)',
      seen: {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ rule: 'p/|PLAIN', reason: 'duplicate destination names', beforeTransfer: true }],
      },
      status: 'dead-lettered',
    },
    {
      case: 'flag in the DLQ, its rule failed after transfers (a count of failed objects explains no one object)',
      seen: {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ rule: 'p/|PLAIN', reason: '1 of 2 objects failed', beforeTransfer: false }],
      },
      status: 'unexplained',
    },
    {
      case: 'flag in the DLQ, ANOTHER rule failed before any transfer',
      seen: {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ rule: 'p/|SFT', reason: 'duplicate destination names', beforeTransfer: true }],
      },
      status: 'unexplained',
    },
  ])('an S3 output $case is $status', ({ seen, status }) => {
    const report = judge(seen, [s3Output]);
    expect(report.outputs[0]!.status).toBe(status);
    expect(report.lost).toBe(status === 'lost' ? 1 : 0);
    expect(report.unexplained).toBe(status === 'corrupt' || status === 'unexplained' ? 1 : 0);
  });

  it('explains an agent-carried output by its error folder entry and sidecar reason', () => {
    const report = judge(
      {
        sftFiles: new Map([
          ['data-egress/error/sas/a.csv', 'bbb'],
          ['data-egress/error/sas/a.csv.error.json', 'sidecar'],
        ]),
        errorEntries: [{ path: 'data-egress/error/sas/a.csv', reason: 'ECONNREFUSED' }],
      },
      [agentOutput],
    );
    expect(report.outputs[0]).toMatchObject({
      status: 'sft-error',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    expect(report.strays).toEqual([]);
    expect(report.unexplained).toBe(0);
  });

  it('reports a file still waiting for the agent as lost, saying where it waits', () => {
    const report = judge({ sftFiles: new Map([['data-egress/sas/a.csv', 'bbb']]) }, [agentOutput]);
    expect(report.outputs[0]).toMatchObject({
      status: 'lost',
      detail: expect.stringContaining('still waiting'),
    });
  });

  it('explains a missing control file by its rule failure when the flag is dead-lettered', () => {
    const report = judge(
      {
        deadLetters: [{ messageId: 'm', flagKeys: ['p/pipeline_success.flag'] }],
        failures: [{ rule: 'p/|PLAIN', reason: '1 of 1 objects failed' }],
      },
      [controlOutput],
    );
    expect(report.outputs[0]!.status).toBe('dead-lettered');
  });

  it('counts strays, escapes, debris and dead letters nobody explains', () => {
    const report = judge({
      objects: new Map([
        ['dst/out/a.csv', 'aaa'],
        ['hdfs/route/a.csv', 'bbb'],
        ['dst/out/unexpected.csv', 'x'],
      ]),
      sftFiles: new Map([
        ['data-egress/sas/.a.csv.0123.partial', 'p'],
        ['somewhere/else.txt', 'e'],
      ]),
      sftOther: ['data-egress/link'],
      outside: ['/tmp/x/outside/evil'],
      deadLetters: [{ messageId: 'm2', flagKeys: [] }],
    });
    expect(report.totals.delivered).toBe(2);
    expect(report.strays).toEqual([
      's3://dst/out/unexpected.csv',
      'sft:somewhere/else.txt',
      'sft (not a regular file):data-egress/link',
    ]);
    expect(report.debris).toEqual(['data-egress/sas/.a.csv.0123.partial']);
    expect(report.escapes).toEqual(['/tmp/x/outside/evil']);
    expect(report.unexplainedDeadLetters).toHaveLength(1);
    expect(report.unexplained).toBe(3 + 1 + 1);
    expect(formatAccountingTable([report])).toMatch(/case .* FAIL/);
  });

  it('accepts a dead letter that carries its own reason (a malformed body)', () => {
    const report = judge(
      { deadLetters: [{ messageId: 'm3', flagKeys: [], reason: 'message body is not JSON' }] },
      [],
    );
    expect(report.unexplained).toBe(0);
    expect(formatAccountingTable([report])).toMatch(/case .* OK/);
  });
});
