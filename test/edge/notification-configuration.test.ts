import { describe, expect, it } from 'vitest';
import {
  InvalidNotificationConfigurationError,
  parseNotificationConfiguration,
  renderNotificationConfiguration,
} from '../../src/edge/notifications/configuration.ts';
import { encodeEventKey } from '../../src/edge/notifications/event.ts';
import { eventSelected, keySelected } from '../../src/edge/notifications/matching.ts';
import { classifyS3Mutation, parseS3Request } from '../../src/edge/s3-request.ts';

const xml = (inner: string) =>
  `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</NotificationConfiguration>`;

describe('notification configuration XML', () => {
  it('parses queue configurations with several events and both filters, and renders them back', () => {
    const parsed = parseNotificationConfiguration(
      xml(
        '<QueueConfiguration><Id>flags</Id><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue>' +
          '<Event>s3:ObjectCreated:Put</Event><Event>s3:ObjectCreated:CompleteMultipartUpload</Event>' +
          '<Filter><S3Key><FilterRule><Name>prefix</Name><Value>data/</Value></FilterRule>' +
          '<FilterRule><Name>Suffix</Name><Value>pipeline_success.flag</Value></FilterRule></S3Key></Filter>' +
          '</QueueConfiguration>',
      ),
    );
    expect(parsed.queueConfigurations).toEqual([
      {
        id: 'flags',
        queueArn: 'arn:aws:sqs:eu-west-2:000000000000:q',
        events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
        prefix: 'data/',
        suffix: 'pipeline_success.flag',
      },
    ]);
    expect(parseNotificationConfiguration(renderNotificationConfiguration(parsed))).toEqual(parsed);
  });

  it('accepts an empty configuration (which removes notifications)', () => {
    expect(parseNotificationConfiguration(xml('')).queueConfigurations).toEqual([]);
    expect(parseNotificationConfiguration('<NotificationConfiguration/>').queueConfigurations).toEqual([]);
  });

  it('escapes special characters when rendering', () => {
    const rendered = renderNotificationConfiguration({
      queueConfigurations: [
        {
          id: 'a&b',
          queueArn: 'arn:aws:sqs:eu-west-2:000000000000:q',
          events: ['s3:ObjectCreated:*'],
          prefix: '<x>',
        },
      ],
    });
    expect(rendered).toContain('a&amp;b');
    expect(parseNotificationConfiguration(rendered).queueConfigurations[0]?.prefix).toBe('<x>');
  });

  it.each([
    [
      'a misspelt event',
      '<QueueConfiguration><Queue>arn:q</Queue><Event>s3:ObjectCreated:put</Event></QueueConfiguration>',
      /not supported/,
    ],
    ['no queue', '<QueueConfiguration><Event>s3:ObjectCreated:*</Event></QueueConfiguration>', /Queue/],
    ['no event', '<QueueConfiguration><Queue>arn:q</Queue></QueueConfiguration>', /Event/],
    [
      'an unknown filter name',
      '<QueueConfiguration><Queue>arn:q</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter></QueueConfiguration>',
      /prefix' or 'suffix/,
    ],
    [
      'a topic destination',
      '<TopicConfiguration><Topic>arn:t</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration>',
      /not supported by the embedded edge/,
    ],
  ])('refuses %s', (_name, inner, message) => {
    expect(() => parseNotificationConfiguration(xml(inner))).toThrow(InvalidNotificationConfigurationError);
    expect(() => parseNotificationConfiguration(xml(inner))).toThrow(message);
  });

  it('refuses a body that is not a notification configuration', () => {
    expect(() => parseNotificationConfiguration('<Other/>')).toThrow(/NotificationConfiguration/);
    expect(() => parseNotificationConfiguration('not xml <<')).toThrow(InvalidNotificationConfigurationError);
  });
});

describe('event selection', () => {
  it.each([
    [['s3:ObjectCreated:*'], 'ObjectCreated:Put', true],
    [['s3:ObjectCreated:*'], 'ObjectCreated:CompleteMultipartUpload', true],
    [['s3:ObjectCreated:Put'], 'ObjectCreated:Copy', false],
    [['s3:ObjectCreated:Copy'], 'ObjectCreated:Copy', true],
    [['s3:ObjectCreated:*'], 'ObjectRemoved:Delete', false],
    [['s3:ObjectRemoved:*'], 'ObjectRemoved:Delete', true],
    [['s3:ObjectCreated:Put', 's3:ObjectRemoved:Delete'], 'ObjectRemoved:Delete', true],
  ])('%j selects %s: %s', (patterns, event, expected) => {
    expect(eventSelected(patterns, event)).toBe(expected);
  });

  it.each([
    [{}, 'any/key', true],
    [{ prefix: 'data/' }, 'data/x', true],
    [{ prefix: 'data/' }, 'Data/x', false],
    [{ suffix: 'pipeline_success.flag' }, 'a/b/pipeline_success.flag', true],
    [{ suffix: 'pipeline_success.flag' }, 'a/b/db.core-pipeline_success.flag', true],
    [{ suffix: 'pipeline_success.flag' }, 'a/b/file.csv', false],
    [{ prefix: 'a/', suffix: '.flag' }, 'b/x.flag', false],
  ])('filter %j on %s: %s', (filter, key, expected) => {
    expect(keySelected(filter, key)).toBe(expected);
  });
});

describe('event key encoding', () => {
  it.each([
    ['plain/key.csv', 'plain/key.csv'],
    ['dir with space/ü/file.csv', 'dir+with+space/%C3%BC/file.csv'],
    ['a+b=c&d?e#f%g', 'a%2Bb%3Dc%26d%3Fe%23f%25g'],
    ['/leading/slash', '/leading/slash'],
    ['emoji/😀', 'emoji/%F0%9F%98%80'],
    ['x:y,z(1)', 'x%3Ay%2Cz%281%29'],
  ])('%s → %s, and decodes back', (key, encoded) => {
    expect(encodeEventKey(key)).toBe(encoded);
    expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(key);
  });
});

describe('S3 request classification', () => {
  const classify = (method: string, url: string, headers: Record<string, string> = {}) =>
    classifyS3Mutation(method, parseS3Request(url)!, headers);

  it.each([
    ['PUT', '/b/k', {}, 'ObjectCreated:Put'],
    ['PUT', '/b/k', { 'x-amz-copy-source': '/a/k' }, 'ObjectCreated:Copy'],
    ['POST', '/b/k?uploadId=1', {}, 'ObjectCreated:CompleteMultipartUpload'],
    ['DELETE', '/b/k', {}, 'ObjectRemoved:Delete'],
  ])('%s %s raises %s', (method, url, headers, eventName) => {
    expect(classify(method, url, headers)).toMatchObject({ eventName });
  });

  it.each([
    ['PUT', '/b/k?partNumber=1&uploadId=1'],
    ['PUT', '/b/k?tagging'],
    ['POST', '/b/k?uploads'],
    ['DELETE', '/b/k?uploadId=1'],
    ['PUT', '/b'],
    ['GET', '/b/k'],
  ])('%s %s raises nothing', (method, url) => {
    expect(classify(method, url).kind).toBe('none');
  });

  it('keeps leading and doubled slashes of keys', () => {
    expect(parseS3Request('/b//dataworks/sft/x.csv')?.key).toBe('/dataworks/sft/x.csv');
    expect(parseS3Request('/b/a//b')?.key).toBe('a//b');
    expect(parseS3Request('/b/dir%20with%20space/%C3%BC')?.key).toBe('dir with space/ü');
  });
});
