import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { createS3Client, createSqsClient } from '../aws/clients.ts';
import type { AwsTarget } from '../aws/target.ts';
import type { HealthReport } from '../edge/health.ts';
import { OriginPolicy } from '../edge/origin-policy.ts';
import type { EgressService, RuleKey } from '../egress/index.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { InvalidDateError, processingDay } from '../rule-tools/dates.ts';
import { explainKey } from '../rule-tools/explain.ts';
import { formatExplanation } from '../rule-tools/format.ts';
import { recordsFromItems } from '../rule-tools/items.ts';
import { RuleSourceError, scanRoutingTable, sftContextFor } from '../rule-tools/rule-source.ts';
import type { Demonstrations } from '../sandbox/demonstrations.ts';
import type { SandboxState } from '../sandbox/state-file.ts';
import type { SandboxTrace, TraceEntry } from '../sandbox/trace.ts';
import { DashboardCollector, deliveriesByRecipient } from './collector.ts';
import { panelRoutes } from './panels.ts';
import { componentHealth, listBucket, queueDepth, sftErrorFolders } from './probes.ts';
import { routingMapRoute, rulesVersion } from './routing-map.ts';
import { RuleActivity } from './rule-activity.ts';

/*
 * The sandbox dashboard: one page (plain HTML and a small script in ./public, no build step) over
 * a JSON API — `/api/state` (polled), `/api/events` (the live trace as server-sent events),
 * `/api/explain` (the rule explorer: `egress routes explain` over the live table), `/api/map`
 * (the routing map of the live table, see routing-map.ts), and the rules and dead-letter panels
 * (panels.ts).
 */

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const RULES_TTL_MS = 3_000;
const HEARTBEAT_MS = 15_000;

export interface DashboardOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** The sandbox's state (endpoints, queues, TLS files, SFT root); `dashboard` is not needed. */
  state: SandboxState;
  target: AwsTarget;
  trace: SandboxTrace;
  egress: Pick<EgressService, 'on' | 'config'>;
  sftAgent: { readonly watchedDirectories: readonly string[] };
  /** Rules invalid on purpose (the demo's), labelled as demonstrations in the rules panel. */
  demonstrations?: Pick<Demonstrations, 'noteFor'> | undefined;
  /** The embedded edge's endpoint, when the sandbox runs one: its queue inspection reads the DLQ. */
  inspectEndpoint?: string | undefined;
  /** The health report served at `/_localstack/health` when the sandbox has no embedded edge. */
  health?: (() => Promise<HealthReport>) | undefined;
  logger?: Logger | undefined;
}

export interface Dashboard {
  /** `http://<host>:<port>/`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function traceJson(entry: TraceEntry) {
  return {
    at: entry.at.toISOString(),
    stage: entry.stage,
    text: entry.text,
    failure: entry.failure ?? false,
  };
}

/** Starts the dashboard server; rejects with the listen error (EADDRINUSE) when the port is taken. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { state, target, trace } = options;
  const logger = options.logger ?? silentLogger();
  const s3 = createS3Client(target);
  const sqs = createSqsClient(target);
  const [ca, cert, key] = await Promise.all(
    [state.tls.ca, state.tls.cert, state.tls.key].map((f) => readFile(f, 'utf8')),
  );
  const tls = { ca: ca!, cert: cert!, key: key! };
  const sft = sftContextFor(state);
  const errorFolders = sft.config.routes.map((route) => route.errorFolder);
  const collector = new DashboardCollector();
  // One listener per open page; a handful of tabs must not trip the leak warning.
  trace.setMaxListeners(Math.max(trace.getMaxListeners(), 64));
  const activity = new RuleActivity();
  const detachCollector = collector.attach(options.egress);
  const detachActivity = activity.attach(options.egress);
  const detach = () => {
    detachCollector();
    detachActivity();
  };

  let rules: { at: number; items: Promise<Record<string, unknown>[]> } | undefined;
  const liveRules = () => {
    if (!rules || Date.now() - rules.at > RULES_TTL_MS) {
      const items = scanRoutingTable(target, state.table);
      items.catch(() => {});
      rules = { at: Date.now(), items };
    }
    return rules.items;
  };

  const app = express();
  app.disable('x-powered-by');
  // Cross-site pages and DNS rebinding (src/edge/origin-policy.ts): the dashboard reads the whole
  // sandbox, so only pages and clients of this machine (or EGRESS_ALLOWED_HOSTS / _ORIGINS) get in.
  const originPolicy = OriginPolicy.fromEnvironment(process.env, [options.host]);
  app.use((req: Request, res: Response, next: () => void) => {
    const verdict = originPolicy.check({ host: req.headers.host, origin: req.headers.origin });
    if (verdict.allowed) return next();
    logger.warn(
      {
        request: `${req.method} ${req.originalUrl}`,
        host: req.headers.host,
        origin: req.headers.origin,
        reason: verdict.reason,
      },
      'cross-site request refused',
    );
    res
      .status(403)
      .set('connection', 'close')
      .type('text/plain')
      .send(
        `403 Forbidden: ${verdict.reason}.\nThe sandbox dashboard answers only pages and clients on this machine; ` +
          'set EGRESS_ALLOWED_HOSTS / EGRESS_ALLOWED_ORIGINS to let others in (README.md).\n',
      );
  });
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));

  app.get('/api/state', async (_req: Request, res: Response) => {
    const items = await liveRules().catch(() => [] as Record<string, unknown>[]);
    const recipients = new Map(
      items.map((item) => [`${item.source_prefix}|${item.pipeline_name}`, item.recipient_name]),
    );
    const recipientOf = (rule: RuleKey) => {
      const name = recipients.get(`${rule.sourcePrefix}|${rule.pipelineName}`);
      return typeof name === 'string' ? name : undefined;
    };
    const [health, queue, deadLetter, sftErrors, stubHdfs] = await Promise.all([
      componentHealth({
        s3,
        endpoint: state.aws.endpoint,
        dksUrl: state.dks?.url,
        nifiUrl: state.nifi?.url,
        metricsUrl: state.metrics?.url,
        tls,
        sftWatching: () => options.sftAgent.watchedDirectories.length,
      }),
      queueDepth(sqs, 'queue', state.queue.url),
      queueDepth(sqs, 'dead-letter queue', state.deadLetterQueue.url),
      sftErrorFolders(state.sftRoot, errorFolders).catch(() => []),
      state.nifi ? listBucket(s3, state.nifi.bucket) : undefined,
    ]);
    res.json({
      generatedAt: new Date().toISOString(),
      health,
      queues: { queue, deadLetter },
      messages: collector.messages().slice(0, 50),
      recipients: deliveriesByRecipient(collector.deliveries(), recipientOf),
      sftErrors,
      stubHdfs,
      rules: { table: state.table, count: items.length, version: rulesVersion(items) },
      links: { endpoint: state.aws.endpoint, metrics: state.metrics?.url },
    });
  });

  app.get('/api/explain', async (req: Request, res: Response) => {
    const key = typeof req.query.key === 'string' ? req.query.key.trim() : '';
    if (!key) {
      res.status(400).json({ error: 'type an S3 key: a flag (…pipeline_success.flag) or a data object' });
      return;
    }
    const text = (name: string) => {
      const value = req.query[name];
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    };
    try {
      const stamps = processingDay(text('date'), options.egress.config.timeZone);
      rules = undefined; // the explorer always reads the table as it is now
      const records = recordsFromItems(await liveRules(), `table ${state.table}`);
      const explanation = explainKey(records, key, {
        bucket: text('bucket'),
        stamps,
        sft,
        exampleName: text('object'),
      });
      res.json({ text: formatExplanation(explanation), explanation });
    } catch (error) {
      if (error instanceof InvalidDateError || error instanceof RuleSourceError) {
        res.status(400).json({ error: error.message });
        return;
      }
      logger.error({ err: error }, 'explain failed');
      res.status(500).json({ error: (error as Error).message });
    }
  });

  app.get(
    '/api/map',
    routingMapRoute({
      rules: liveRules,
      table: state.table,
      timeZone: options.egress.config.timeZone,
      sft,
      logger,
    }),
  );

  app.use(
    panelRoutes({
      rules: liveRules,
      table: state.table,
      timeZone: options.egress.config.timeZone,
      activity,
      demonstration: (key) => options.demonstrations?.noteFor(key),
      sqs,
      queueUrl: state.queue.url,
      deadLetterQueueUrl: state.deadLetterQueue.url,
      inspectEndpoint: options.inspectEndpoint,
      logFile: state.logs,
      logger,
    }),
  );

  const health = options.health;
  if (health) {
    app.get('/_localstack/health', async (_req: Request, res: Response) => {
      res.json(await health());
    });
  }

  const streams = new Set<Response>();
  app.get('/api/events', (req: Request, res: Response) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (entry: TraceEntry) =>
      res.write(`event: trace\ndata: ${JSON.stringify(traceJson(entry))}\n\n`);
    for (const entry of trace.recent().slice(-100)) send(entry);
    trace.on('entry', send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    streams.add(res);
    req.on('close', () => {
      clearInterval(heartbeat);
      trace.off('entry', send);
      streams.delete(res);
    });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error) => {
    detach();
    s3.destroy();
    sqs.destroy();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}/`;
  logger.info({ url }, 'dashboard listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopping ??= (async () => {
        detach();
        for (const stream of streams) stream.end();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        s3.destroy();
        sqs.destroy();
      })();
      return stopping;
    },
  };
}
