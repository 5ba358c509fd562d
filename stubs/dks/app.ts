import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { shortKeyHash } from '../../src/egress/crypto/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import type { FaultState } from './faults.ts';
import type { MasterKeys } from './master-keys.ts';

/** One handled request, kept for tests (`stub.requests`). Holds no key material. */
export interface DksRequestRecord {
  method: string;
  path: string;
  status: number;
  keyId: string | undefined;
  correlationId: string | undefined;
  /** Short hash of the wrapped key sent to or returned by the stub. */
  wrappedKeyHash: string | undefined;
}

export interface DksAppContext {
  keys: MasterKeys;
  faults: FaultState;
  logger: Logger;
  /** Request log, newest last, bounded. */
  requests: DksRequestRecord[];
  /** Aborted at stop so pending latency timers release the event loop. */
  lifetime: AbortSignal;
  /** Serve `GET/POST /faults`. */
  faultEndpoint: boolean;
}

/** Wrapped keys are ~80 characters; 16 KiB leaves room for anything legitimate. */
const BODY_LIMIT = '16kb';
const MAX_RECORDS = 1000;

interface Locals {
  started?: number;
  keyId?: string;
  wrappedKeyHash?: string;
}

function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The Data Key Service API (docs/reference/contracts.md#dks-api) as an express app: `GET /datakey`,
 * `POST /datakey/actions/decrypt`, health checks, and optional fault knobs.
 */
export function createDksApp(context: DksAppContext): express.Express {
  const { keys, faults, logger } = context;
  const app = express();
  app.disable('x-powered-by');

  // Answers go through one function that records and logs before sending, so a test that got
  // its response always finds the record (a 'finish' listener can run after the client has read).
  const reply = (req: Request, res: Response, status: number, body: unknown): void => {
    const locals = res.locals as Locals;
    const record: DksRequestRecord = {
      method: req.method,
      path: req.path,
      status,
      keyId: locals.keyId ?? queryString(req, 'keyId'),
      correlationId: queryString(req, 'correlationId'),
      wrappedKeyHash: locals.wrappedKeyHash,
    };
    context.requests.push(record);
    if (context.requests.length > MAX_RECORDS) context.requests.shift();
    const { correlationId, ...fields } = record;
    const durationMs = Date.now() - (locals.started ?? Date.now());
    logger.info({ ...fields, dksCorrelationId: correlationId, durationMs }, 'dks request');
    res.status(status).json(body);
  };
  const refuse = (req: Request, res: Response, status: number, reason: string): void =>
    reply(req, res, status, { reason });

  app.use((_req: Request, res: Response, next: NextFunction) => {
    (res.locals as Locals).started = Date.now();
    next();
  });

  app.get(['/healthcheck', '/health'], (req, res) => {
    reply(req, res, 200, { status: 'OK' });
  });

  if (context.faultEndpoint) {
    app.get('/faults', (req, res) => {
      reply(req, res, 200, faults.snapshot());
    });
    app.post('/faults', express.json({ limit: '1kb' }), (req, res) => {
      const body = (req.body ?? {}) as {
        failNext?: unknown;
        status?: unknown;
        latencyMs?: unknown;
        reset?: unknown;
      };
      try {
        if (body.reset === true) faults.reset();
        if (body.failNext !== undefined) {
          faults.failNext(Number(body.failNext), body.status === undefined ? undefined : Number(body.status));
        }
        if (body.latencyMs !== undefined) faults.setLatency(Number(body.latencyMs));
      } catch (error) {
        refuse(req, res, 400, error instanceof Error ? error.message : String(error));
        return;
      }
      reply(req, res, 200, faults.snapshot());
    });
  }

  const api = express.Router();
  api.use(async (req: Request, res: Response, next: NextFunction) => {
    if (faults.latencyMs > 0) {
      // A caller that gave up (client timeout, abort) must not consume a fault injected later.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      try {
        await delay(faults.latencyMs, undefined, {
          signal: AbortSignal.any([context.lifetime, gone.signal]),
        });
      } catch {
        return; // stopping, or the client hung up: nobody is listening for an answer
      }
    }
    const status = faults.takeFailure();
    if (status !== undefined) {
      refuse(req, res, status, 'injected fault');
      return;
    }
    next();
  });

  api.get('/datakey', (req, res) => {
    const dataKey = randomBytes(32);
    const ciphertextDataKey = keys.wrap(dataKey);
    const locals = res.locals as Locals;
    locals.keyId = keys.currentKeyId;
    locals.wrappedKeyHash = shortKeyHash(ciphertextDataKey);
    reply(req, res, 201, {
      dataKeyEncryptionKeyId: keys.currentKeyId,
      plaintextDataKey: dataKey.toString('base64'),
      ciphertextDataKey,
    });
  });

  api.post(
    '/datakey/actions/decrypt',
    // Any content type: the original client sends text/plain; charset=ISO-8859-1, curl users won't.
    express.text({ type: () => true, limit: BODY_LIMIT, defaultCharset: 'latin1' }),
    (req: Request, res: Response) => {
      const keyId = queryString(req, 'keyId');
      const ciphertext = typeof req.body === 'string' ? req.body.trim() : '';
      const locals = res.locals as Locals;
      if (ciphertext) locals.wrappedKeyHash = shortKeyHash(ciphertext);
      if (!keyId) {
        refuse(req, res, 400, 'keyId query parameter is required');
        return;
      }
      if (!ciphertext) {
        refuse(req, res, 400, 'request body must hold the wrapped data key');
        return;
      }
      const result = keys.unwrap(keyId, ciphertext);
      if ('refusal' in result) {
        refuse(req, res, 400, result.refusal);
        return;
      }
      reply(req, res, 200, {
        dataKeyEncryptionKeyId: keyId,
        plaintextDataKey: result.dataKey.toString('base64'),
      });
    },
  );

  app.use(api);

  app.use((req: Request, res: Response) => {
    refuse(req, res, 404, `no route for ${req.method} ${req.path}`);
  });

  // Body-parser errors carry a status (413 too large, 400 bad encoding); anything else is a 500.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    const known = typeof status === 'number' && status >= 400 && status < 600;
    if (!known) logger.error({ err: error }, 'dks stub failure');
    if (res.headersSent) return;
    refuse(
      req,
      res,
      known ? status : 500,
      known && error instanceof Error ? error.message : 'internal error',
    );
  });

  return app;
}
