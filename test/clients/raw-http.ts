import net from 'node:net';

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Every status line seen, interim ones (`100 Continue`) included. */
  statusLines: string[];
}

/**
 * Sends one HTTP/1.1 request byte for byte (head, then each body piece as its own write, so
 * framing can be split anywhere) and reads the answer until the server closes the connection.
 * With `awaitContinue` the body is held back until the server says `100 Continue`.
 */
export function rawRequest(
  port: number,
  head: string[],
  bodyPieces: (string | Buffer)[] = [],
  options: { awaitContinue?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let bodySent = false;
    const sendBody = async () => {
      if (bodySent) return;
      bodySent = true;
      for (const piece of bodyPieces) {
        socket.write(piece);
        // Separate writes so the server sees the pieces as separate reads.
        await new Promise((r) => setImmediate(r));
      }
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (
        options.awaitContinue &&
        !bodySent &&
        Buffer.concat(chunks).toString('latin1').startsWith('HTTP/1.1 100')
      ) {
        void sendBody();
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponses(Buffer.concat(chunks).toString('utf8')));
    });
    socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    if (!options.awaitContinue) void sendBody();
  });
}

function parseResponses(text: string): RawResponse {
  const statusLines: string[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
    const [statusLine, ...headerLines] = rest.slice(0, end).split('\r\n');
    statusLines.push(statusLine!);
    rest = rest.slice(end + 4);
    const status = Number(statusLine!.split(' ')[1]);
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status, headers, body: rest, statusLines };
  }
}

/**
 * Frames `payload` as an aws-chunked body (SigV4 streaming): `<hex>;chunk-signature=<sig>\r\n<data>\r\n`
 * per chunk, a zero-length chunk, then the trailers (if any) and the closing CRLF.
 */
export function awsChunked(
  payload: Buffer,
  options: { chunkSize: number; signed?: boolean; trailers?: Record<string, string> },
): Buffer {
  const signature = (i: number) => (options.signed ? `;chunk-signature=${String(i).padStart(64, '0')}` : '');
  const parts: Buffer[] = [];
  let index = 0;
  for (let offset = 0; offset < payload.length; offset += options.chunkSize) {
    const data = payload.subarray(offset, offset + options.chunkSize);
    parts.push(
      Buffer.from(`${data.length.toString(16)}${signature(index++)}\r\n`),
      data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`0${signature(index)}\r\n`));
  for (const [name, value] of Object.entries(options.trailers ?? {})) {
    parts.push(Buffer.from(`${name}:${value}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Splits a buffer into pieces of `size` bytes (the last one shorter). */
export function pieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size));
  return out;
}
