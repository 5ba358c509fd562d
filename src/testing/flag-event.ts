/**
 * The S3 event notification body for the creation of `key` in `bucket`, as S3 sends it to a queue:
 * the key URL-encoded with `/` kept and spaces as `+`.
 */
export function flagEvent(bucket: string, key: string, region = 'eu-west-2'): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encoded, size: 0 } },
      },
    ],
  });
}
