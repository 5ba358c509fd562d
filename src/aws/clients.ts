import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsTarget } from './target.ts';

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

function common(target: AwsTarget, credentials?: Credentials) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(credentials ? { credentials } : target.credentials ? { credentials: target.credentials } : {}),
  };
}

/**
 * S3 client for a target. Emulators get path-style addressing (bucket in the path, never in the
 * host name) and checksums only where an API requires them: fauxqs and LocalStack accept
 * the SDK's default CRC trailers, but computing them costs throughput for nothing.
 */
export function createS3Client(target: AwsTarget, credentials?: Credentials): S3Client {
  return new S3Client({
    ...common(target, credentials),
    forcePathStyle: target.endpoint !== undefined,
    ...(target.endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

/**
 * SQS client. The explicit endpoint matters: emulators hand out queue URLs whose host
 * (`sqs.<region>.localhost`) does not resolve, and the SDK would otherwise call that host.
 */
export function createSqsClient(target: AwsTarget): SQSClient {
  return new SQSClient(common(target));
}

export function createDynamoClient(target: AwsTarget): DynamoDBClient {
  return new DynamoDBClient(common(target));
}

/** A document client for a target, or over an existing DynamoDB client (which it then owns). */
export function createDocumentClient(target: AwsTarget | DynamoDBClient): DynamoDBDocumentClient {
  const client = target instanceof DynamoDBClient ? target : createDynamoClient(target);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSsmClient(target: AwsTarget, credentials?: Credentials): SSMClient {
  return new SSMClient(common(target, credentials));
}

export function createStsClient(target: AwsTarget): STSClient {
  return new STSClient(common(target));
}
