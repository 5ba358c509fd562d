export {
  buildMapGraph,
  filterRules,
  type MapCluster,
  type MapEdge,
  type MapFilter,
  type MapGraph,
  type MapNode,
  type MapNodeKind,
  type MapSection,
  sourceGroups,
} from './graph.ts';
export { type LaidOutMap, layoutMap } from './layout.ts';
export {
  buildRoutingMap,
  type MapDestination,
  type MapRouteStep,
  type MapRule,
  type MapSftPath,
  type RoutingMap,
} from './model.ts';
export { MAP_FORMATS, type MapFormat, renderRoutingMap } from './render.ts';
export { escapeXml, renderMapSvg } from './svg.ts';
export { renderMapDot, renderMapMermaid } from './text-formats.ts';
