/**
 * The queue access policy S3 needs to deliver event notifications (AWS S3 User Guide, "Granting
 * permissions to publish event notification messages to a destination"): without it real S3 refuses
 * the notification configuration ("Unable to validate the following destination configurations")
 * and SQS would refuse S3's messages. Emulators do not check it, which is why nothing failed without it.
 *
 * One statement: the S3 service may SendMessage to this queue for events of the named buckets only.
 */
export function s3NotificationQueuePolicy(queueArn: string, buckets: readonly string[]): string {
  // The queue's partition (aws, aws-cn, aws-us-gov) is the buckets' partition too.
  const partition = queueArn.split(':')[1] || 'aws';
  const sourceArns = [...new Set(buckets)].sort().map((bucket) => `arn:${partition}:s3:::${bucket}`);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'egress-s3-event-notifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': sourceArns.length === 1 ? sourceArns[0] : sourceArns } },
      },
    ],
  });
}

/** Whether two policy documents say the same (key order and whitespace aside). */
export function samePolicy(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
