import express from 'express';
import type { Logger } from '../../src/logging/index.ts';
import type { Receiver } from './receiver.ts';

/**
 * The stub NiFi's HTTP API: `GET /health`, `POST <any path>` to the receiver, 405 for anything
 * else. An unexpected error answers 500, or cuts a response already under way.
 */
export function createNifiApp(receiver: Receiver, bucket: string, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', bucket });
  });
  app.use((req, res, next) => {
    if (req.method !== 'POST') return next();
    receiver.handlePost(req, res).catch((error: unknown) => {
      logger.error({ err: error, path: req.path }, 'unexpected error');
      if (!res.headersSent) res.status(500).json({ error: 'internal error' });
      else res.destroy();
    });
  });
  app.use((req, res) => {
    res.status(405).json({ error: `${req.method} is not supported: POST a file with a filename header` });
  });
  return app;
}
