/**
 * The message of any thrown value with its chain of causes, `outer: inner: root`, for logs,
 * dead-letter reasons and the CLI. A cause whose message the text already quotes is said once.
 */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  let cause = error.cause;
  while (cause instanceof Error) {
    const { message } = cause;
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    cause = cause.cause;
  }
  return parts.join(': ');
}
