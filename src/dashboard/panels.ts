import type { SQSClient } from '@aws-sdk/client-sqs';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../logging/logger.ts';
import { processingDay } from '../rule-tools/dates.ts';
import { recordsFromItems } from '../rule-tools/items.ts';
import { deadLetterView, loggedFailures, peekDeadLetters, redriveDeadLetters } from './dead-letters.ts';
import type { RuleActivity } from './rule-activity.ts';
import { rulesView } from './rules-view.ts';

/*
 * The dashboard's stakeholder panels over JSON: `GET /api/rules` (every rule, valid or not, with
 * its reason and last match), `GET /api/dead-letters` (each dead letter with why it is there) and
 * `POST /api/dead-letters/redrive` (send one, or all, back to the source queue).
 */

export interface PanelOptions {
  /** The table's items now (the dashboard's cached scan). */
  rules: () => Promise<Record<string, unknown>[]>;
  table: string;
  timeZone: string;
  activity: RuleActivity;
  /** The note of a rule invalid on purpose (the demo's), else undefined. */
  demonstration: (key: { sourcePrefix: unknown; pipelineName: unknown }) => string | undefined;
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** The embedded edge's endpoint, whose inspection lists a queue without receiving. */
  inspectEndpoint?: string | undefined;
  /** The sandbox's log, where the service's earlier failures are found. */
  logFile?: string | undefined;
  logger: Logger;
}

export function panelRoutes(options: PanelOptions): Router {
  const router = express.Router();

  router.get('/api/rules', async (_req: Request, res: Response) => {
    try {
      const records = recordsFromItems(await options.rules(), `table ${options.table}`);
      const rules = rulesView(records, {
        stamps: processingDay(undefined, options.timeZone),
        lastMatch: (key) => options.activity.lastMatch(key),
        demonstration: options.demonstration,
      });
      const count = (status: string) => rules.filter((rule) => rule.status === status).length;
      res.json({
        table: options.table,
        rules,
        counts: { valid: count('valid'), invalid: count('invalid'), demonstration: count('demonstration') },
      });
    } catch (error) {
      options.logger.error({ err: error }, 'rules panel failed');
      res.status(502).json({ error: (error as Error).message });
    }
  });

  router.get('/api/dead-letters', async (_req: Request, res: Response) => {
    try {
      const { messages, complete } = await peekDeadLetters({
        sqs: options.sqs,
        queueUrl: options.deadLetterQueueUrl,
        inspectEndpoint: options.inspectEndpoint,
      });
      const unknown = new Set(
        messages
          .filter((m) => !m.attributes.egress_failure_reason && !options.activity.failure(m.messageId))
          .map((m) => m.messageId),
      );
      const logged = options.logFile
        ? await loggedFailures(options.logFile, unknown)
        : new Map<string, string>();
      res.json({
        queueUrl: options.deadLetterQueueUrl,
        complete,
        messages: messages.map((message) =>
          deadLetterView(message, {
            sourceQueueUrl: options.queueUrl,
            failure: (id) => options.activity.failure(id),
            logged: (id) => logged.get(id),
          }),
        ),
      });
    } catch (error) {
      options.logger.error({ err: error }, 'dead-letter panel failed');
      res.status(502).json({ error: (error as Error).message });
    }
  });

  router.post(
    '/api/dead-letters/redrive',
    express.json({ limit: '2kb' }),
    async (req: Request, res: Response) => {
      // JSON only: a cross-site form cannot send it without a preflight the origin policy refuses.
      if (!req.is('application/json')) {
        res.status(415).json({ error: 'send {"messageId": "…"} or {"all": true} as application/json' });
        return;
      }
      const body = (req.body ?? {}) as { messageId?: unknown; all?: unknown };
      const messageId =
        typeof body.messageId === 'string' && body.messageId !== '' ? body.messageId : undefined;
      if (!messageId && body.all !== true) {
        res.status(400).json({ error: 'send {"messageId": "…"} or {"all": true}' });
        return;
      }
      try {
        const result = await redriveDeadLetters({
          sqs: options.sqs,
          deadLetterQueueUrl: options.deadLetterQueueUrl,
          sourceQueueUrl: options.queueUrl,
          messageId,
        });
        options.logger.info({ moved: result.moved, missing: result.missing }, 'dead letters redriven');
        res.status(result.missing ? 404 : 200).json(result);
      } catch (error) {
        options.logger.error({ err: error, messageId }, 'redrive failed');
        res.status(502).json({ error: (error as Error).message });
      }
    },
  );

  return router;
}
