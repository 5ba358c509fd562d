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
      '<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue><Event>s3:ObjectCreated:put</Event></QueueConfiguration>',
      /not supported/,
    ],
    ['no queue', '<QueueConfiguration><Event>s3:ObjectCreated:*</Event></QueueConfiguration>', /Queue/],
    [
      'no event',
      '<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue></QueueConfiguration>',
      /Event/,
    ],
    [
      'an unknown filter name',
      '<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter></QueueConfiguration>',
      /filter rule name must be either prefix or suffix/,
    ],
    [
      'two prefix rules in one filter',
      '<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a/</Value></FilterRule><FilterRule><Name>Prefix</Name><Value>b/</Value></FilterRule></S3Key></Filter></QueueConfiguration>',
      /Cannot specify more than one prefix rule in a filter\./,
    ],
    [
      'a filter value over 1024 bytes',
      `<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:q</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>suffix</Name><Value>${'ü'.repeat(513)}</Value></FilterRule></S3Key></Filter></QueueConfiguration>`,
      /cannot exceed 1024 bytes/,
    ],
    [
      'a queue ARN that is not an SQS ARN',
      '<QueueConfiguration><Queue>arn:aws:sns:eu-west-2:000000000000:topic</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>',
      /The ARN is not well formed/,
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

  const queue = (events: string[], filters: { prefix?: string; suffix?: string } = {}, name = 'q') =>
    `<QueueConfiguration><Queue>arn:aws:sqs:eu-west-2:000000000000:${name}</Queue>${events.map((e) => `<Event>${e}</Event>`).join('')}` +
    (filters.prefix !== undefined || filters.suffix !== undefined
      ? `<Filter><S3Key>${filters.prefix !== undefined ? `<FilterRule><Name>prefix</Name><Value>${filters.prefix}</Value></FilterRule>` : ''}${filters.suffix !== undefined ? `<FilterRule><Name>suffix</Name><Value>${filters.suffix}</Value></FilterRule>` : ''}</S3Key></Filter>`
      : '') +
    '</QueueConfiguration>';

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
  it.each([
    ['the same event, no filters', [['s3:ObjectCreated:*'], {}], [['s3:ObjectCreated:*'], {}]],
    [
      'a wildcard and one of its events',
      [['s3:ObjectCreated:*'], { suffix: '.flag' }],
      [['s3:ObjectCreated:Put'], { suffix: '.flag' }],
    ],
    [
      'nested prefixes',
      [['s3:ObjectCreated:Put'], { prefix: 'images/' }],
      [['s3:ObjectCreated:Put'], { prefix: 'images/thumbs/' }],
    ],
    [
      'nested suffixes',
      [['s3:ObjectCreated:Put'], { suffix: 'jpg' }],
      [['s3:ObjectCreated:Put'], { suffix: '.jpg' }],
    ],
    [
      'a prefix-only and a suffix-only rule',
      [['s3:ObjectCreated:Put'], { prefix: 'images/' }],
      [['s3:ObjectCreated:Put'], { suffix: '.jpg' }],
    ],
    [
      'a rule without filters beside a filtered one',
      [['s3:ObjectCreated:*'], {}],
      [['s3:ObjectCreated:Put'], { prefix: 'a/', suffix: '.flag' }],
    ],
  ] as const)(
    'refuses overlapping rules for the same event type: %s',
    (_name, [eventsA, filtersA], [eventsB, filtersB]) => {
      const body = xml(queue([...eventsA], filtersA, 'one') + queue([...eventsB], filtersB, 'two'));
      expect(() => parseNotificationConfiguration(body)).toThrow(
        'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.',
      );
    },
  );

  it.each([
    ['different event types', [['s3:ObjectCreated:*'], {}], [['s3:ObjectRemoved:*'], {}]],
    ['two different events of one kind', [['s3:ObjectCreated:Put'], {}], [['s3:ObjectCreated:Copy'], {}]],
    [
      'disjoint prefixes',
      [['s3:ObjectCreated:*'], { prefix: 'images/' }],
      [['s3:ObjectCreated:*'], { prefix: 'logs/' }],
    ],
    [
      'one prefix, disjoint suffixes',
      [['s3:ObjectCreated:*'], { prefix: 'images/', suffix: '.jpg' }],
      [['s3:ObjectCreated:*'], { prefix: 'images/', suffix: '.png' }],
    ],
    [
      'the sandbox: one flag rule per bucket',
      [['s3:ObjectCreated:*'], { suffix: 'pipeline_success.flag' }],
      [['s3:ObjectRemoved:*'], { suffix: 'pipeline_success.flag' }],
    ],
  ] as const)('accepts rules that do not overlap: %s', (_name, [eventsA, filtersA], [eventsB, filtersB]) => {
    const body = xml(queue([...eventsA], filtersA, 'one') + queue([...eventsB], filtersB, 'two'));
    expect(parseNotificationConfiguration(body).queueConfigurations).toHaveLength(2);
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
