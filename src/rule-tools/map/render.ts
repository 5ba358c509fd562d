import { buildMapGraph, type MapFilter } from './graph.ts';
import { layoutMap } from './layout.ts';
import type { RoutingMap } from './model.ts';
import { renderMapSvg } from './svg.ts';
import { renderMapDot, renderMapMermaid } from './text-formats.ts';

/** The file formats of `egress routes map`. */
export const MAP_FORMATS = ['svg', 'mermaid', 'dot'] as const;
export type MapFormat = (typeof MAP_FORMATS)[number];

/** The routing map in one format, for the rules the filter keeps. */
export function renderRoutingMap(
  map: RoutingMap,
  format: MapFormat,
  options: { filter?: MapFilter | undefined; title?: string | undefined } = {},
): string {
  const graph = buildMapGraph(map, options.filter ?? {});
  if (format === 'mermaid') return renderMapMermaid(graph);
  if (format === 'dot') return renderMapDot(graph);
  return renderMapSvg(layoutMap(graph), { title: options.title });
}
