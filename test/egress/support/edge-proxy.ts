import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, and its answer. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, e.g. `/bucket/key?partNumber=1&uploadId=…`. */
  url: string;
  status: number;
}

/** A call the proxy refuses with AccessDenied, as AWS refuses what the caller's role lacks. */
export interface RefusedCall {
  /** The IAM action named in the error and recorded in `refused`: `sqs:SendMessage`. */
  action: string;
  matches(request: http.IncomingMessage): boolean;
  /** The service's protocol decides the error's shape. */
  protocol: 'sqs-json' | 's3-xml';
}

export interface EdgeProxy {
  url: string;
  /** Every request forwarded, with its status. */
  requests: ProxiedRequest[];
  /** The actions refused, in order. */
  refused: string[];
  stop(): Promise<void>;
}

/**
 * A transparent HTTP proxy in front of the edge: it records every request (the edge reports
 * completed object writes only; some tests need to see multipart parts and aborts) and answers
 * AccessDenied to the calls in `refuse`. The Host header is forwarded unchanged (SigV4 signs it).
 */
export async function startEdgeProxy(
  upstream: string,
  options: { refuse?: readonly RefusedCall[] } = {},
): Promise<EdgeProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const refusal = options.refuse?.find((call) => call.matches(req));
    if (refusal) {
      refused.push(refusal.action);
      req.resume();
      req.on('end', () => answerAccessDenied(res, refusal));
      return;
    }
    const outgoing = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    req.on('aborted', () => outgoing.destroy());
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refused,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

function answerAccessDenied(response: http.ServerResponse, call: RefusedCall): void {
  const message = `User: arn:aws:sts::000000000000:assumed-role/data-egress/task is not authorized to perform: ${call.action}`;
  if (call.protocol === 'sqs-json') {
    response.writeHead(400, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': 'AccessDenied;Sender',
    });
    response.end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }));
    return;
  }
  response.writeHead(403, { 'content-type': 'application/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`,
  );
}
