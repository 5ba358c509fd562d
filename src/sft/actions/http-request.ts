import type { HttpClientConfig, HttpRequestAction } from '../config/types.ts';
import { type HttpPools, type PostFileResult, postFile } from '../http/sender.ts';
import { type OpenedFile, readRange } from '../volume/files.ts';
import { unsendableNameReason } from '../volume/names.ts';
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

/**
 * Why `name` cannot be sent as the `filename` header, or `undefined` when it can. Any Unicode name
 * travels, as its UTF-8 bytes (see {@link filenameHeaderValue}); control characters cannot. A pure
 * test, so dry runs (`egress routes explain`) predict the same refusal.
 */
export function filenameHeaderProblem(name: string): string | undefined {
  const reason = unsendableNameReason(name);
  return reason && `the name ${JSON.stringify(name)} cannot be sent as the filename header: ${reason}`;
}

/**
 * The `filename` header's value for `name`: its UTF-8 bytes, one character per byte, which is how
 * Node writes header strings (Latin-1). On the wire that is exactly what `curl -H 'filename: отчёт.csv'`
 * sends; the stub NiFi reads the bytes back as UTF-8.
 */
export function filenameHeaderValue(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
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
    filename: filenameHeaderValue(name),
    size,
    pools: context.pools,
    timeouts: context.httpClient,
    headers: context.headers,
    signal: context.signal,
  });
}
