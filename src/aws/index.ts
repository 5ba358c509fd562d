export { createBucket, createBucketInput } from './buckets.ts';
export {
  createDocumentClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
  createStsClient,
} from './clients.ts';
export {
  AwsEndpointUnreachableError,
  type EndpointWaitOptions,
  waitForAwsEndpoint,
} from './endpoint-probe.ts';
export {
  type AwsTarget,
  awsTargetFromEnv,
  awsTargetSchema,
  DEFAULT_REGION,
  EMULATOR_CREDENTIALS,
  isEmulated,
} from './target.ts';
