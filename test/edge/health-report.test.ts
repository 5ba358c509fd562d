import { describe, expect, it } from 'vitest';
import { healthReport, probeHealth, unhealthy } from '../../src/edge/health.ts';
import { formatStatus } from '../../src/sandbox/status-format.ts';

describe('healthReport (LocalStack’s /_localstack/health shape)', () => {
  it.each([
    [{}, { services: {}, details: {} }],
    [
      {
        s3: { state: 'running' as const, url: 'http://h:1', detail: '2 buckets' },
        sts: { state: 'running' as const },
      },
      {
        services: { s3: 'running', sts: 'running' },
        details: { s3: { url: 'http://h:1', detail: '2 buckets' } },
      },
    ],
    [
      { 'stub-nifi': { state: 'error' as const, detail: 'HTTP 500' } },
      { services: { 'stub-nifi': 'error' }, details: { 'stub-nifi': { detail: 'HTTP 500' } } },
    ],
  ])('%#', (components, expected) => {
    expect(healthReport(components, '1.2.3')).toEqual({
      ...expected,
      edition: 'egress-sandbox',
      version: '1.2.3',
    });
  });

  it.each([
    [{ a: 'running', b: 'running' }, []],
    [{ a: 'running', b: 'error', c: 'starting', d: 'stopping' }, ['b', 'c', 'd']],
  ] as const)('unhealthy %#', (services, expected) => {
    expect(unhealthy({ services })).toEqual(expected);
  });
});

describe('probeHealth', () => {
  it.each([
    ['a probe that answers', async () => '3 queues', { state: 'running', url: 'u', detail: '3 queues' }],
    ['a probe with nothing to say', async () => undefined, { state: 'running', url: 'u' }],
    [
      'a probe that throws',
      async () => Promise.reject(new Error('HTTP 503')),
      { state: 'error', url: 'u', detail: 'HTTP 503' },
    ],
    [
      'a probe that hangs',
      () => new Promise<string>(() => {}),
      { state: 'error', url: 'u', detail: 'no answer within 50 ms' },
    ],
  ])('%s', async (_case, check, expected) => {
    expect(await probeHealth('u', check, 50)).toEqual(expected);
  });
});

describe('formatStatus', () => {
  it('lists every component with where it listens, and sums up what is not running', () => {
    const report = healthReport(
      {
        s3: { state: 'running', url: 'http://127.0.0.1:4566', detail: '9 buckets, 0 objects' },
        'stub-nifi': { state: 'error', url: 'https://127.0.0.1:8091', detail: 'HTTP 500' },
      },
      '0.1.0',
    );
    const text = formatStatus(
      '/s',
      { purpose: 'sandbox', pid: 7, startedAt: 'T', hostname: 'h', endpoint: 'http://127.0.0.1:4566' },
      report,
    );
    expect(text.split('\n')).toEqual([
      'a sandbox with pid 7 on h (started T, AWS endpoint http://127.0.0.1:4566) in /s',
      'egress-sandbox 0.1.0',
      '',
      'component  state    where                   detail',
      '---------  -------  ----------------------  --------------------',
      's3         running  http://127.0.0.1:4566   9 buckets, 0 objects',
      'stub-nifi  error    https://127.0.0.1:8091  HTTP 500',
      '',
      '1 of 2 not running: stub-nifi',
    ]);
  });
});
