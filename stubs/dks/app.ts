import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { shortKeyHash } from '../../src/egress/crypto/key-hash.ts';
import type { Logger } from '../../src/logging/logger.ts';
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
  keyId?: string;
  wrappedKeyHash?: string;
}

function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ reason });
}

/**
 * The Data Key Service API (ARCHITECTURE §3.3) as an express app: `GET /datakey`,
 * `POST /datakey/actions/decrypt`, health checks, and optional fault knobs.
 */
export function createDksApp(context: DksAppContext): express.Express {
  const { keys, faults, logger } = context;
  const app = express();
  app.disable('x-powered-by');

  // Record and log every request once it is answered: ids and hashes only, never a plaintext key.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    res.on('finish', () => {
      const locals = res.locals as Locals;
      const record: DksRequestRecord = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        keyId: locals.keyId ?? queryString(req, 'keyId'),
        correlationId: queryString(req, 'correlationId'),
        wrappedKeyHash: locals.wrappedKeyHash,
      };
      context.requests.push(record);
      if (context.requests.length > MAX_RECORDS) context.requests.shift();
      const { correlationId, ...rest } = record;
      logger.info(
        { ...rest, dksCorrelationId: correlationId, durationMs: Date.now() - started },
        'dks request',
      );
    });
    next();
  });

  app.get(['/healthcheck', '/health'], (_req, res) => {
    res.json({ status: 'OK' });
  });

  if (context.faultEndpoint) {
    app.get('/faults', (_req, res) => {
      res.json(faults.snapshot());
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
        refuse(res, 400, error instanceof Error ? error.message : String(error));
        return;
      }
      res.json(faults.snapshot());
    });
  }

  const api = express.Router();
  api.use(async (_req: Request, res: Response, next: NextFunction) => {
    if (faults.latencyMs > 0) {
      try {
        await delay(faults.latencyMs, undefined, { signal: context.lifetime });
      } catch {
        return; // stopping: the connection is being destroyed anyway
      }
    }
    const status = faults.takeFailure();
    if (status !== undefined) {
      refuse(res, status, 'injected fault');
      return;
    }
    next();
  });

  api.get('/datakey', (_req, res) => {
    const dataKey = randomBytes(32);
    const ciphertextDataKey = keys.wrap(dataKey);
    const locals = res.locals as Locals;
    locals.keyId = keys.currentKeyId;
    locals.wrappedKeyHash = shortKeyHash(ciphertextDataKey);
    res.status(201).json({
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
        refuse(res, 400, 'keyId query parameter is required');
        return;
      }
      if (!ciphertext) {
        refuse(res, 400, 'request body must hold the wrapped data key');
        return;
      }
      const result = keys.unwrap(keyId, ciphertext);
      if ('refusal' in result) {
        refuse(res, 400, result.refusal);
        return;
      }
      res
        .status(200)
        .json({ dataKeyEncryptionKeyId: keyId, plaintextDataKey: result.dataKey.toString('base64') });
    },
  );

  app.use(api);

  app.use((req: Request, res: Response) => {
    refuse(res, 404, `no route for ${req.method} ${req.path}`);
  });

  // Body-parser errors carry a status (413 too large, 400 bad encoding); anything else is a 500.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    const known = typeof status === 'number' && status >= 400 && status < 600;
    if (!known) logger.error({ err: error }, 'dks stub failure');
    if (res.headersSent) return;
    refuse(res, known ? status : 500, known && error instanceof Error ? error.message : 'internal error');
  });

  return app;
}
