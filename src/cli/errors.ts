import { describeFailure } from '../util/describe-failure.ts';

/**
 * An error caused by the user's input (a bad file, a port in use, a missing resource): the CLI
 * prints its message alone and exits with code 2; a stack trace only with `--debug`.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly exitCode = 2;
}

/** Formats any thrown value for a human, with the cause chain and, in debug mode, the stack. */
export function describeError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error) return error.stack ?? error.message;
  return describeFailure(error);
}
