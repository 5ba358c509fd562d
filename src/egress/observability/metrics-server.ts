import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../logging/logger.ts';

/** Options for {@link startMetricsServer}. */
export interface MetricsServerOptions {
  registry: Registry;
  /** Port; 0 picks a free one. */
  port: number;
  /** Interface to bind. */
  host: string;
  /** Answers `/health`: `ok` → 200, otherwise 503 with the detail. */
  health: () => { ok: boolean; detail: Record<string, unknown> };
  logger: Logger;
}

export interface MetricsServer {
  /** `http://<host>:<port>/metrics`, with a wildcard bind shown as 127.0.0.1. */
  readonly metricsUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A small HTTP server for Prometheus scrapes (`/metrics`) and liveness probes (`/health`). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/metrics') {
      options.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text))
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'failed to render metrics');
          res.writeHead(500).end();
        });
      return;
    }
    if (pathname === '/health') {
      const { ok, detail } = options.health();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...detail }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  return {
    metricsUrl: `http://${urlHost}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive; without this `close` waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
