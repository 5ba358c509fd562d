import type { HttpClientConfig, HttpRequestAction } from '../config/types.ts';
import { type HttpPools, type PostFileResult, postFile } from '../http/sender.ts';
import { type OpenedFile, readRange } from '../volume/files.ts';
import { ActionError } from './action-error.ts';

/** The file being delivered, opened and checked once for the whole delivery. */
export type SourceFile = Pick<OpenedFile, 'handle' | 'path'>;

export interface HttpRequestContext {
  pools: HttpPools;
  httpClient: HttpClientConfig;
  /** Extra headers for every request (the API key). */
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** Printable ASCII: what an HTTP header carries without an encoding convention the receiver must know. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;

/**
 * Why `name` cannot be sent as the `filename` header as it is, or `undefined` when it can. A pure
 * test, so dry runs (`egress routes explain`) predict the same refusal.
 */
export function filenameHeaderProblem(name: string): string | undefined {
  return HEADER_SAFE.test(name)
    ? undefined
    : `the name "${name}" is not printable ASCII and cannot be sent as the filename header`;
}

/**
 * Sends the file to the action's URL with `filename: <name>`, reading through its open handle. A name that cannot travel in a
 * header as-is is a permanent failure with a clear reason rather than a silently mangled name.
 */
export async function httpRequestAction(
  action: HttpRequestAction,
  source: SourceFile,
  name: string,
  size: number,
  context: HttpRequestContext,
): Promise<PostFileResult> {
  const problem = filenameHeaderProblem(name);
  if (problem) throw new ActionError(problem, { retryable: false });
  return postFile({
    url: action.url,
    filePath: source.path,
    openBody: () => readRange(source, 0, size - 1),
    filename: name,
    size,
    pools: context.pools,
    timeouts: context.httpClient,
    headers: context.headers,
    signal: context.signal,
  });
}
