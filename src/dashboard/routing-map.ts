import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../logging/logger.ts';
import { processingDay } from '../rule-tools/dates.ts';
import type { SftContext } from '../rule-tools/explain.ts';
import { recordsFromItems } from '../rule-tools/items.ts';
import {
  buildMapGraph,
  buildRoutingMap,
  layoutMap,
  type RoutingMap,
  renderMapSvg,
} from '../rule-tools/map/index.ts';

/*
 * `GET /api/map`: the routing map of the live table as SVG (laid out and drawn on the server by
 * the same code as `egress routes map`), filtered by recipient, transfer type and source bucket,
 * with the values those filters can take and a version of the table the page polls for changes.
 */

/** A short fingerprint of the table's items: it changes whenever any item does. */
export function rulesVersion(items: readonly Record<string, unknown>[]): string {
  const canonical = items
    .map((item) =>
      JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))),
    )
    .sort();
  return createHash('sha256').update(canonical.join('\n')).digest('hex').slice(0, 16);
}

export interface RoutingMapRouteOptions {
  /** The table's items now (the dashboard's cached scan). */
  rules: () => Promise<Record<string, unknown>[]>;
  table: string;
  /** Zone of "today" for the rules' examples: the egress service's. */
  timeZone: string;
  sft: SftContext;
  logger: Logger;
}

function query(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The express handler of `GET /api/map?recipient=&type=&bucket=`. */
export function routingMapRoute(
  options: RoutingMapRouteOptions,
): (req: Request, res: Response) => Promise<void> {
  // The model is rebuilt only when the table or the day changes; filters only redraw.
  let cached: { key: string; map: RoutingMap } | undefined;
  return async (req, res) => {
    try {
      const items = await options.rules();
      const version = rulesVersion(items);
      const stamps = processingDay(undefined, options.timeZone);
      const key = `${version}|${stamps.isoDate}`;
      if (cached?.key !== key) {
        const records = recordsFromItems(items, `table ${options.table}`);
        cached = { key, map: buildRoutingMap(records, stamps, options.sft) };
      }
      const graph = buildMapGraph(cached.map, {
        recipient: query(req, 'recipient'),
        transferType: query(req, 'type'),
        sourceBucket: query(req, 'bucket'),
      });
      res.json({
        version,
        date: graph.date,
        shown: graph.shown,
        total: graph.total,
        choices: graph.choices,
        svg: renderMapSvg(layoutMap(graph), {
          title: `Routing map — table ${options.table}`,
          interactive: true,
        }),
      });
    } catch (error) {
      options.logger.error({ err: error }, 'routing map failed');
      res.status(500).json({ error: (error as Error).message });
    }
  };
}
