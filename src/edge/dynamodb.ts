import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readBody } from './http-util.ts';

/** dynalite's own request limit; the edge enforces it before dynalite sees anything. */
export const MAX_DYNAMODB_BODY_BYTES = 16 * 1024 * 1024;

/**
 * A complete copy of a request whose body has already been read: the head of the original and an
 * emitter that plays the body back when asked. dynalite only listens for `data`, `end` and `error`
 * and reads `method`, `url` and `headers`.
 */
function replayable(req: IncomingMessage): IncomingMessage {
  const copy = new EventEmitter() as EventEmitter & Record<string, unknown>;
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.rawHeaders = req.rawHeaders;
  copy.httpVersion = req.httpVersion;
  copy.socket = req.socket;
  return copy as unknown as IncomingMessage;
}

/**
 * DynamoDB through dynalite, which is driven by emitting `request` on its server. dynalite must
 * never see the client's socket stream: its handler throws on a stream error
 * (`req.on('error', … throw err)`), so a client that hangs up mid-body would end the process.
 *
 * The edge reads the whole body first (bounded by dynalite's own 16 MiB limit). A request cut off
 * on the way never reaches dynalite — nothing is half-applied — and the read's failure is the
 * edge's to handle. A complete request is handed over as a replayable copy whose body is played back
 * synchronously, so anything dynalite throws while handling it lands in this call, not in the event
 * loop. Errors dynalite throws later, from storage callbacks, are caught by the edge's fault
 * containment (fault-containment.ts).
 */
export class DynamoDbFront {
  constructor(private readonly dynalite: Server) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_DYNAMODB_BODY_BYTES);
    const copy = replayable(req);
    this.dynalite.emit('request', copy, res);
    if (body.length > 0) copy.emit('data', body);
    copy.emit('end');
  }
}
