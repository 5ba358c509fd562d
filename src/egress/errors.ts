/**
 * What the consumer does with a message when an error of this kind is the outcome:
 * - `retry`: leave the message on the queue (not deleted); SQS redelivers it after the visibility
 *   timeout and the queue's redrive policy eventually moves it to the DLQ if it keeps failing;
 * - `dead-letter`: it can never succeed — send it to the DLQ now (with the reason) and delete it;
 * - `skip`: nothing can be done and retrying would not help — acknowledge and report.
 */
export type Decision = 'retry' | 'dead-letter' | 'skip';

/** Where an error happened; every field is optional because errors arise at different depths. */
export interface ErrorContext {
  messageId?: string | undefined;
  bucket?: string | undefined;
  key?: string | undefined;
  /** `source_prefix|pipeline_name` of the rule concerned. */
  rule?: string | undefined;
}

/** Base of the egress service's errors: a message with its context and the decision it maps to. */
export abstract class EgressError extends Error {
  abstract readonly decision: Decision;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super(message, options);
    this.context = context;
  }
}

/** The SQS body is not an S3 event the service understands (bad JSON, no `Records`, …). */
export class MalformedMessageError extends EgressError {
  override readonly name = 'MalformedMessageError';
  readonly decision = 'dead-letter' as const;
}

/** A routing item failed validation; it takes no action and is reported, the message proceeds. */
export class InvalidRuleError extends EgressError {
  override readonly name = 'InvalidRuleError';
  readonly decision = 'skip' as const;
}

/**
 * One object (or a rule's control file / manifest) could not be transferred. The rule's other
 * objects still run; the message is retried so the object gets another chance.
 */
export class ObjectTransferError extends EgressError {
  override readonly name: string = 'ObjectTransferError';
  readonly decision = 'retry' as const;
}

/**
 * A destination name or directory would leave `sftRoot` or is not a usable name (`..`, NUL, empty).
 * It is refused — never clamped or rewritten — and the object fails like any other transfer failure.
 */
export class UnsafeDestinationError extends ObjectTransferError {
  override readonly name = 'UnsafeDestinationError';
}

/** A step outside any single object failed (table scan, listing, SQS call): retry the message. */
export class TransientEgressError extends EgressError {
  override readonly name = 'TransientEgressError';
  readonly decision = 'retry' as const;
}

/** The decision for any thrown value: unknown errors are retried, as the original did (behaviour §1.5). */
export function decisionFor(error: unknown): Decision {
  return error instanceof EgressError ? error.decision : 'retry';
}
