import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** One `QueueConfiguration` of a bucket's notification configuration. */
export interface QueueConfiguration {
  id: string;
  queueArn: string;
  /** Event name patterns, e.g. `s3:ObjectCreated:*`. */
  events: string[];
  prefix?: string | undefined;
  suffix?: string | undefined;
}

export interface NotificationConfiguration {
  queueConfigurations: QueueConfiguration[];
}

/** An invalid configuration; rendered as S3's `InvalidArgument` error. */
export class InvalidNotificationConfigurationError extends Error {
  override readonly name = 'InvalidNotificationConfigurationError';
  readonly code: string;
  constructor(message: string, code = 'InvalidArgument') {
    super(message);
    this.code = code;
  }
}

/**
 * Event names S3 accepts in a notification configuration
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).
 * Validation is exact, as on AWS, so a misspelt event (`s3:ObjectCreated:put`) is refused
 * instead of silently never matching.
 */
const KNOWN_EVENTS = new Set([
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:ReducedRedundancyLostObject',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:Replication:OperationNotTracked',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
]);

const ARRAY_ELEMENTS = new Set([
  'QueueConfiguration',
  'TopicConfiguration',
  'CloudFunctionConfiguration',
  'Event',
  'FilterRule',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});

type XmlNode = Record<string, unknown>;

function text(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && '#text' in (node as XmlNode)) return String((node as XmlNode)['#text']);
  return '';
}

let generatedIds = 0;

/** S3's limit on a filter rule's value (API_FilterRule: "The maximum length is 1,024 characters"). */
const MAX_FILTER_VALUE_BYTES = 1024;

function parseQueueConfiguration(node: XmlNode, index: number): QueueConfiguration {
  const queueArn = text(node.Queue);
  if (!queueArn) {
    throw new InvalidNotificationConfigurationError(
      `QueueConfiguration ${index + 1}: <Queue> (the queue ARN) is required`,
    );
  }
  if (!/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(queueArn)) {
    throw new InvalidNotificationConfigurationError(
      `The ARN is not well formed: QueueConfiguration ${index + 1} names '${queueArn}', not an SQS queue ARN`,
    );
  }
  const events = ((node.Event as unknown[] | undefined) ?? []).map((e) => text(e) ?? '');
  if (events.length === 0) {
    throw new InvalidNotificationConfigurationError(
      `QueueConfiguration ${index + 1}: at least one <Event> is required`,
    );
  }
  for (const event of events) {
    if (!KNOWN_EVENTS.has(event)) {
      throw new InvalidNotificationConfigurationError(
        `QueueConfiguration ${index + 1}: the event '${event}' is not supported for notifications`,
      );
    }
  }
  const configuration: QueueConfiguration = {
    id: text(node.Id) || `edge-notification-${++generatedIds}`,
    queueArn,
    events,
  };
  const s3Key = ((node.Filter as XmlNode | undefined)?.S3Key as XmlNode | undefined) ?? undefined;
  for (const rule of (s3Key?.FilterRule as XmlNode[] | undefined) ?? []) {
    const name = (text(rule.Name) ?? '').toLowerCase();
    const value = text(rule.Value) ?? '';
    if (name !== 'prefix' && name !== 'suffix') {
      throw new InvalidNotificationConfigurationError(
        `filter rule name must be either prefix or suffix (QueueConfiguration ${index + 1} names '${text(rule.Name)}')`,
      );
    }
    if (configuration[name] !== undefined) {
      throw new InvalidNotificationConfigurationError(
        `Cannot specify more than one ${name} rule in a filter. (QueueConfiguration ${index + 1})`,
      );
    }
    if (Buffer.byteLength(value) > MAX_FILTER_VALUE_BYTES) {
      throw new InvalidNotificationConfigurationError(
        `Size of filter rule value cannot exceed ${MAX_FILTER_VALUE_BYTES} bytes in UTF-8 representation (QueueConfiguration ${index + 1}, ${name})`,
      );
    }
    configuration[name] = value;
  }
  return configuration;
}

/** Parses the XML body of `PutBucketNotificationConfiguration`. */
export function parseNotificationConfiguration(xml: string): NotificationConfiguration {
  let document: XmlNode;
  try {
    document = parser.parse(xml) as XmlNode;
  } catch (error) {
    throw new InvalidNotificationConfigurationError(
      `the notification configuration is not well-formed XML: ${(error as Error).message}`,
      'MalformedXML',
    );
  }
  const root = document.NotificationConfiguration;
  if (root === undefined) {
    throw new InvalidNotificationConfigurationError(
      'the body must be a <NotificationConfiguration> document',
      'MalformedXML',
    );
  }
  const node = (typeof root === 'object' && root !== null ? root : {}) as XmlNode;
  for (const unsupported of [
    'TopicConfiguration',
    'CloudFunctionConfiguration',
    'EventBridgeConfiguration',
  ]) {
    if (node[unsupported] !== undefined) {
      throw new InvalidNotificationConfigurationError(
        `${unsupported} is not supported by the embedded edge; only QueueConfiguration (S3 → SQS) is`,
        'NotImplemented',
      );
    }
  }
  const queues = (node.QueueConfiguration as XmlNode[] | undefined) ?? [];
  const queueConfigurations = queues.map(parseQueueConfiguration);
  refuseAmbiguity(queueConfigurations);
  return { queueConfigurations };
}

/** True when both event patterns can select one event (`s3:ObjectCreated:*` and `…:Put`). */
function eventsOverlap(a: string, b: string): boolean {
  const covers = (pattern: string, event: string) =>
    pattern === event || (pattern.endsWith(':*') && event.startsWith(pattern.slice(0, -1)));
  return covers(a, b) || covers(b, a);
}

/**
 * S3 refuses two configurations that could both claim one object for one event: their event
 * types overlap, their prefixes overlap (one starts the other; none counts as empty) and their
 * suffixes overlap (one ends the other)
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).
 */
function refuseAmbiguity(configurations: readonly QueueConfiguration[]): void {
  for (let i = 0; i < configurations.length; i++) {
    for (let j = i + 1; j < configurations.length; j++) {
      const a = configurations[i]!;
      const b = configurations[j]!;
      const events = a.events.some((x) => b.events.some((y) => eventsOverlap(x, y)));
      const prefixA = a.prefix ?? '';
      const prefixB = b.prefix ?? '';
      const suffixA = a.suffix ?? '';
      const suffixB = b.suffix ?? '';
      const prefixes = prefixA.startsWith(prefixB) || prefixB.startsWith(prefixA);
      const suffixes = suffixA.endsWith(suffixB) || suffixB.endsWith(suffixA);
      if (events && prefixes && suffixes) {
        throw new InvalidNotificationConfigurationError(
          'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.',
        );
      }
    }
  }
}

const builder = new XMLBuilder({ ignoreAttributes: false, format: false, suppressEmptyNode: false });

/** Renders a configuration as the body of `GetBucketNotificationConfiguration`. */
export function renderNotificationConfiguration(
  configuration: NotificationConfiguration | undefined,
): string {
  const queues = (configuration?.queueConfigurations ?? []).map((q) => {
    const rules = [
      ...(q.prefix !== undefined ? [{ Name: 'Prefix', Value: q.prefix }] : []),
      ...(q.suffix !== undefined ? [{ Name: 'Suffix', Value: q.suffix }] : []),
    ];
    return {
      Id: q.id,
      Queue: q.queueArn,
      Event: q.events,
      ...(rules.length ? { Filter: { S3Key: { FilterRule: rules } } } : {}),
    };
  });
  const body = builder.build({
    NotificationConfiguration: {
      '@_xmlns': 'http://s3.amazonaws.com/doc/2006-03-01/',
      ...(queues.length ? { QueueConfiguration: queues } : {}),
    },
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}
