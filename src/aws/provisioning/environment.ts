import { z } from 'zod';

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3–63 of a-z 0-9 . -)');
const queueName = z.string().regex(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, 'must be 1–80 of A-Z a-z 0-9 _ -');

const deadLetterSchema = z
  .object({
    name: queueName,
    /** Receives before SQS moves a message to the dead-letter queue. */
    maxReceiveCount: z.number().int().min(1).max(1000),
  })
  .strict();

const queueSchema = z
  .object({
    name: queueName,
    visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).optional(),
    receiveWaitTimeSeconds: z.number().int().min(0).max(20).optional(),
    messageRetentionSeconds: z.number().int().min(60).max(1_209_600).optional(),
    deadLetter: deadLetterSchema.optional(),
  })
  .strict();

const notificationSchema = z
  .object({
    /** Id of the queue configuration; provisioning replaces only the configuration with this id. */
    id: z.string().min(1).max(255).optional(),
    bucket: bucketName,
    queue: queueName,
    events: z.array(z.string().startsWith('s3:')).min(1).default(['s3:ObjectCreated:*']),
    prefix: z.string().optional(),
    suffix: z.string().optional(),
  })
  .strict();

/** A routing item in the format of the original's Terraform items (strings and booleans). */
const itemSchema = z.record(z.string(), z.unknown());

const itemsSchema = z
  .object({
    /** JSON file holding an array of items, relative to the environment file. */
    file: z.string().min(1).optional(),
    inline: z.array(itemSchema).optional(),
    /** Renames buckets named in `source_bucket` / `destination_bucket` (placeholder → real name). */
    bucketAliases: z.record(z.string(), bucketName).optional(),
  })
  .strict()
  .refine((items) => items.file !== undefined || items.inline !== undefined, {
    message: 'give `file` or `inline` (or both)',
  });

const tableSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3–255 of A-Z a-z 0-9 _ . -'),
    hashKey: z.string().min(1).default('source_prefix'),
    rangeKey: z.string().min(1).optional().default('pipeline_name'),
    items: itemsSchema.optional(),
  })
  .strict();

const parameterSchema = z
  .object({
    name: z.string().min(1),
    type: z.enum(['String', 'StringList', 'SecureString']).default('String'),
    value: z.string().min(1),
  })
  .strict();

const awsSchema = z
  .object({
    /**
     * The AWS endpoint the sandbox provisions and runs against instead of its embedded edge (a moto
     * or LocalStack started by hand). `--aws-endpoint` and `EGRESS_AWS_ENDPOINT_URL` win over it.
     */
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  })
  .strict();

/**
 * A declarative environment: everything the pipeline needs to exist on an AWS endpoint.
 * Provisioning it is idempotent: applying the same file twice changes nothing.
 */
export const environmentSchema = z
  .object({
    aws: awsSchema.optional(),
    buckets: z.array(z.object({ name: bucketName }).strict()).default([]),
    queues: z.array(queueSchema).default([]),
    notifications: z.array(notificationSchema).default([]),
    tables: z.array(tableSchema).default([]),
    parameters: z.array(parameterSchema).default([]),
  })
  .strict()
  .superRefine((environment, context) => {
    const buckets = new Set(environment.buckets.map((b) => b.name));
    const queues = new Set(
      environment.queues.flatMap((q) => [q.name, ...(q.deadLetter ? [q.deadLetter.name] : [])]),
    );
    environment.notifications.forEach((notification, index) => {
      if (!buckets.has(notification.bucket)) {
        context.addIssue({
          code: 'custom',
          path: ['notifications', index, 'bucket'],
          message: `bucket '${notification.bucket}' is not declared under buckets`,
        });
      }
      if (!queues.has(notification.queue)) {
        context.addIssue({
          code: 'custom',
          path: ['notifications', index, 'queue'],
          message: `queue '${notification.queue}' is not declared under queues`,
        });
      }
    });
  });

export type Environment = z.infer<typeof environmentSchema>;
/** An environment as written (defaults not yet applied): what a file or a test declares. */
export type EnvironmentDeclaration = z.input<typeof environmentSchema>;
export type QueueSpec = Environment['queues'][number];
export type NotificationSpec = Environment['notifications'][number];
export type TableSpec = Environment['tables'][number];
