import type { RecordedAwsCall } from '../call-recorder.ts';

/**
 * The IAM actions an SDK call needs (AWS Service Authorization Reference): mostly
 * `<service>:<Operation>`, with the exceptions below — batch variants authorised by their single
 * action, S3 reads and multipart writes authorised by the object action, and a canned ACL adding
 * `s3:PutObjectAcl` to the write.
 */

const SERVICE_PREFIX: Record<string, string> = {
  S3: 's3',
  SQS: 'sqs',
  DynamoDB: 'dynamodb',
  SSM: 'ssm',
  STS: 'sts',
  KMS: 'kms',
};

const S3_ACTIONS: Record<string, readonly string[]> = {
  HeadObject: ['s3:GetObject'],
  GetObject: ['s3:GetObject'],
  ListObjectsV2: ['s3:ListBucket'],
  ListObjects: ['s3:ListBucket'],
  HeadBucket: ['s3:ListBucket'],
  CreateMultipartUpload: ['s3:PutObject'],
  UploadPart: ['s3:PutObject'],
  CompleteMultipartUpload: ['s3:PutObject'],
  ListParts: ['s3:ListMultipartUploadParts'],
  CopyObject: ['s3:GetObject', 's3:PutObject'],
};

const SQS_ACTIONS: Record<string, readonly string[]> = {
  DeleteMessageBatch: ['sqs:DeleteMessage'],
  ChangeMessageVisibilityBatch: ['sqs:ChangeMessageVisibility'],
  SendMessageBatch: ['sqs:SendMessage'],
};

/** Operations whose canned ACL needs `s3:PutObjectAcl` besides the write itself. */
const ACL_WRITES = new Set(['PutObject', 'CreateMultipartUpload', 'CopyObject']);

/** The IAM actions `call` needs, e.g. `['s3:PutObject', 's3:PutObjectAcl']`. */
export function iamActionsFor(call: Pick<RecordedAwsCall, 'service' | 'operation' | 'acl'>): string[] {
  const prefix = SERVICE_PREFIX[call.service] ?? call.service.toLowerCase();
  const mapped = (call.service === 'S3' ? S3_ACTIONS[call.operation] : undefined) ??
    (call.service === 'SQS' ? SQS_ACTIONS[call.operation] : undefined) ?? [`${prefix}:${call.operation}`];
  const actions = [...mapped];
  if (call.service === 'S3' && call.acl && ACL_WRITES.has(call.operation)) actions.push('s3:PutObjectAcl');
  return actions;
}
