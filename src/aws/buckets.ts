import { CreateBucketCommand, type CreateBucketCommandInput, type S3Client } from '@aws-sdk/client-s3';

/**
 * The CreateBucket input AWS expects in a region: outside `us-east-1` the region must be named as
 * the bucket's `LocationConstraint`, or real S3 and LocalStack answer
 * `IllegalLocationConstraintException`; in `us-east-1` it must be left out.
 */
export function createBucketInput(bucket: string, region: string): CreateBucketCommandInput {
  return region === 'us-east-1'
    ? { Bucket: bucket }
    : { Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region as never } };
}

/** Creates a bucket in the client's own region, with the location constraint that region needs. */
export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand(createBucketInput(bucket, await s3.config.region())));
}
