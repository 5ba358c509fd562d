import { OriginPolicyError } from '../origin-policy.ts';
import { EdgeSnapshotError } from '../persistence/edge-snapshot.ts';
import { EdgePortInUseError } from '../port-in-use.ts';
import { BlobStoreDirectoryError } from '../s3-storage/blob-store.ts';

/*
 * An error thrown in the edge's worker reaches the main thread as data: the structured clone of an
 * Error keeps its message but not its class, and callers decide by class (the CLI maps
 * EdgePortInUseError, EdgeSnapshotError and OriginPolicyError to exit code 2). So the worker sends
 * the class name, the message, the stack and the error's own fields, and the main thread makes an
 * object of the same class again — with the same message, not one its constructor would compose.
 */

/** An error as it crosses the thread boundary. */
export interface CrossingError {
  readonly className: string;
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  /** The error's own enumerable fields that survive a structured clone (`port`, `file`, `code`…). */
  readonly fields: Record<string, unknown>;
  readonly cause?: CrossingError | undefined;
}

type ErrorClass = new (...args: never[]) => Error;

/** Classes re-created as themselves; any other error becomes an `Error` with its name and message. */
const REVIVABLE: Readonly<Record<string, ErrorClass>> = {
  EdgePortInUseError,
  EdgeSnapshotError,
  OriginPolicyError,
  BlobStoreDirectoryError,
  RangeError,
  TypeError,
};

const MAX_CAUSES = 5;

function cloneable(value: unknown): boolean {
  const kind = typeof value;
  return value === null || kind === 'string' || kind === 'number' || kind === 'boolean';
}

/** The error as data (in the worker). */
export function toCrossingError(error: unknown, depth = 0): CrossingError {
  if (!(error instanceof Error)) {
    return { className: 'Error', name: 'Error', message: String(error), fields: {} };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'name' && key !== 'message' && key !== 'cause' && cloneable(value)) fields[key] = value;
  }
  return {
    className: error.constructor?.name ?? 'Error',
    name: error.name,
    message: error.message,
    stack: error.stack,
    fields,
    cause:
      error.cause !== undefined && depth < MAX_CAUSES ? toCrossingError(error.cause, depth + 1) : undefined,
  };
}

/** The error again, of its own class when it is one callers tell apart (in the main thread). */
export function fromCrossingError(crossing: CrossingError): Error {
  const ErrorType = Object.hasOwn(REVIVABLE, crossing.className) ? REVIVABLE[crossing.className]! : Error;
  // The constructor runs without its arguments only to give the object its class and fields;
  // the message, stack and fields are then the original's.
  const error = Reflect.construct(ErrorType, []) as Error & Record<string, unknown>;
  Object.assign(error, crossing.fields);
  Object.defineProperty(error, 'message', { value: crossing.message, writable: true, configurable: true });
  if (ErrorType === Error && crossing.name !== 'Error') {
    Object.defineProperty(error, 'name', { value: crossing.name, writable: true, configurable: true });
  }
  if (crossing.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: crossing.stack, writable: true, configurable: true });
  }
  if (crossing.cause) {
    Object.defineProperty(error, 'cause', {
      value: fromCrossingError(crossing.cause),
      writable: true,
      configurable: true,
    });
  }
  return error;
}
