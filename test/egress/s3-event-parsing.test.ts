import { describe, expect, it } from 'vitest';
import { parseS3EventMessage } from '../../src/egress/consumer/s3-event.ts';
import { decisionFor, MalformedMessageError } from '../../src/egress/errors.ts';

function record(key: string, eventName?: string, bucket = 'source'): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    ...(eventName ? { eventName } : {}),
    s3: { bucket: { name: bucket }, object: { key, size: 0 } },
  };
}

describe('S3 event message parsing', () => {
  it('acknowledges s3:TestEvent', () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'source' });
    expect(parseS3EventMessage(body)).toEqual({ kind: 'test-event' });
  });

  it("treats the original's minimal test form (no eventName) as a flag event", () => {
    const body = '{"Records":[{"s3":{"object":{"key":"k/pipeline_success.flag"}}}]}';
    expect(parseS3EventMessage(body)).toEqual({
      kind: 'records',
      flags: [{ key: 'k/pipeline_success.flag', bucket: undefined, eventName: undefined }],
      ignored: [],
    });
  });

  it.each([
    ['dir+with+space/%C3%BC/pipeline_success.flag', 'dir with space/ü/pipeline_success.flag'],
    ['a%2Bb/pipeline_success.flag', 'a+b/pipeline_success.flag'],
    [
      '%2Fdataworks-data-egress/sft/pipeline_success.flag',
      '/dataworks-data-egress/sft/pipeline_success.flag',
    ],
    ['plain/pipeline_success.flag', 'plain/pipeline_success.flag'],
    ['x/db.core.claimant-pipeline_success.flag', 'x/db.core.claimant-pipeline_success.flag'],
  ])('URL-decodes key %j → %j', (encoded, decoded) => {
    const parsed = parseS3EventMessage(JSON.stringify({ Records: [record(encoded, 'ObjectCreated:Put')] }));
    expect(parsed.kind === 'records' && parsed.flags.map((flag) => flag.key)).toEqual([decoded]);
  });

  it.each([
    ['ObjectCreated:Put', true],
    ['ObjectCreated:CompleteMultipartUpload', true],
    ['ObjectCreated:Copy', true],
    ['s3:ObjectCreated:Put', true],
    ['ObjectRemoved:Delete', false],
    ['ObjectRestore:Completed', false],
  ])('event %s is a flag event: %s', (eventName, isFlag) => {
    const parsed = parseS3EventMessage(
      JSON.stringify({ Records: [record('a/pipeline_success.flag', eventName)] }),
    );
    expect(parsed.kind).toBe('records');
    if (parsed.kind !== 'records') return;
    expect(parsed.flags.length).toBe(isFlag ? 1 : 0);
    expect(parsed.ignored.length).toBe(isFlag ? 0 : 1);
  });

  it('keeps flags in record order and reports the records it ignores', () => {
    const body = JSON.stringify({
      Records: [
        record('a/pipeline_success.flag', 'ObjectCreated:Put', 'b1'),
        record('a/data.csv', 'ObjectCreated:Put'),
        { s3: { object: {} } },
        record('b/pipeline_success.flag', 'ObjectCreated:Put', 'b2'),
      ],
    });
    expect(parseS3EventMessage(body)).toEqual({
      kind: 'records',
      flags: [
        { key: 'a/pipeline_success.flag', bucket: 'b1', eventName: 'ObjectCreated:Put' },
        { key: 'b/pipeline_success.flag', bucket: 'b2', eventName: 'ObjectCreated:Put' },
      ],
      ignored: [
        {
          index: 1,
          key: 'a/data.csv',
          eventName: 'ObjectCreated:Put',
          reason: 'key does not end with pipeline_success.flag',
        },
        { index: 2, key: undefined, eventName: undefined, reason: 'record has no s3.object.key' },
      ],
    });
  });

  it('an empty Records array is nothing to do', () => {
    expect(parseS3EventMessage('{"Records":[]}')).toEqual({ kind: 'records', flags: [], ignored: [] });
  });

  it.each([
    ['not JSON', 'this is not json', /not JSON/],
    ['empty', '', /empty/],
    ['undefined', undefined, /empty/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['a JSON string', '"x"', /not a JSON object/],
    ['no Records', '{"foo":1}', /no Records/],
    ['an SNS envelope', '{"Type":"Notification","Message":"{}"}', /SNS envelope/],
    ['Records not an array', '{"Records":{}}', /Records is not an array/],
    ['a record that is not an object', '{"Records":[1]}', /Records\[0\] is not an object/],
    [
      'a key with bad percent-encoding',
      '{"Records":[{"s3":{"object":{"key":"a%E0%A4%A/pipeline_success.flag"}}}]}',
      /URL-encoded/,
    ],
  ])('malformed: %s → MalformedMessageError (dead-letter)', (_name, body, message) => {
    let thrown: unknown;
    try {
      parseS3EventMessage(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MalformedMessageError);
    expect((thrown as Error).message).toMatch(message);
    expect(decisionFor(thrown)).toBe('dead-letter');
  });
});
