import { appendFileSync } from 'node:fs';

/**
 * Records the AWS calls a component makes, for the least-privilege check (docs/egress-service.md,
 * "The IAM role"): when the variable below names a file, every call of a client passed to
 * {@link recordAwsCalls} appends one JSON line to it. Without the variable nothing is recorded.
 *
 * The recorder is an SDK middleware, so it sees the exact operation (`CreateMultipartUpload`, not
 * an HTTP request to be re-parsed) and works on every target, embedded or not. Each client is
 * labelled with the principal whose credentials it signs with: the service's own role, or the
 * role ARN it assumed for a rule's `role_arn`, so calls made through an assumed role are checked
 * against that role rather than the task role.
 */

/** Names the file (JSON lines) that recorded calls are appended to. */
export const AWS_CALL_LOG_VARIABLE = 'EGRESS_AWS_CALL_LOG';

/** The principal label of a client that signs with the component's own credentials. */
export const OWN_ROLE = 'task-role';

/** Who makes the calls of a client. */
export interface CallIdentity {
  /** The component: `egress-service`. */
  readonly caller: string;
  /** {@link OWN_ROLE}, or the ARN of the role whose assumed credentials the client signs with. */
  readonly principal: string;
}

/** One recorded call (a line of the log). */
export interface RecordedAwsCall extends CallIdentity {
  /** The SDK client's service: `S3`, `SQS`, `DynamoDB`, `SSM`, `STS`. */
  readonly service: string;
  /** The SDK operation: `PutObject`, `Scan`, `AssumeRole`… */
  readonly operation: string;
  /** The canned ACL the call sets, when it sets one (an extra IAM action: s3:PutObjectAcl). */
  readonly acl?: string | undefined;
  /** The access key the call is signed with, as the client's credential provider gave it. */
  readonly accessKeyId?: string | undefined;
  /** What the call acts on: `bucket/key`, a bucket, a table, a queue URL, a parameter or role name. */
  readonly resource?: string | undefined;
  /** The session name an STS `AssumeRole` asks for. */
  readonly sessionName?: string | undefined;
}

/** The resource named by a call's input, for the log (never a body or a secret). */
function resourceOf(input: Record<string, unknown>): string | undefined {
  const text = (name: string) => (typeof input[name] === 'string' ? (input[name] as string) : undefined);
  const bucket = text('Bucket');
  if (bucket !== undefined) return text('Key') === undefined ? bucket : `${bucket}/${text('Key')}`;
  return text('TableName') ?? text('QueueUrl') ?? text('Name') ?? text('RoleArn');
}

interface MiddlewareClient {
  config?: { credentials?: () => Promise<{ accessKeyId?: string }> };
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/** `S3Client` → `S3`, `DynamoDBClient` → `DynamoDB`. */
function serviceOf(clientName: string | undefined): string {
  return (clientName ?? 'unknown').replace(/Client$/, '');
}

/**
 * Adds the recording middleware to `client` (once per client) and returns the client. The
 * variable is read at call time, so a test can switch recording on after the client exists.
 */
export function recordAwsCalls<C extends object>(
  client: C,
  identity: CallIdentity,
  env: NodeJS.ProcessEnv = process.env,
): C {
  const recorded = client as unknown as MiddlewareClient;
  recorded.middlewareStack.add(
    (next, context) => async (args) => {
      const file = env[AWS_CALL_LOG_VARIABLE];
      if (file) {
        const input = args.input as Record<string, unknown>;
        const acl = input.ACL;
        const sessionName = input.RoleSessionName;
        const resource = resourceOf(input);
        // The provider caches, so this is the identity the signer is about to use (an assumed
        // role's included); a provider that fails here fails the call itself a moment later.
        const accessKeyId = await recorded.config
          ?.credentials?.()
          .then((identity) => identity.accessKeyId)
          .catch(() => undefined);
        const call: RecordedAwsCall = {
          ...identity,
          service: serviceOf(context.clientName),
          operation: (context.commandName ?? 'unknown').replace(/Command$/, ''),
          ...(typeof acl === 'string' ? { acl } : {}),
          ...(accessKeyId ? { accessKeyId } : {}),
          ...(resource === undefined ? {} : { resource }),
          ...(typeof sessionName === 'string' ? { sessionName } : {}),
        };
        // Synchronous on purpose: a test run that ends abruptly (cucumber's forceExit) still has
        // every line, and this only runs when a test asked for it.
        appendFileSync(file, `${JSON.stringify(call)}\n`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'egressAwsCallRecorder', override: true },
  );
  return client;
}
