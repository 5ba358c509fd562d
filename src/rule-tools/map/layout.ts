import type { MapGraph, MapNode, MapSection } from './graph.ts';

/*
 * Places the routing map: columns left to right (the graph's ranks), one row per rule. Rules keep
 * the graph's order — grouped by common source prefix, each group under its label — so every
 * source, rule and its own destination sit on one line and those edges are straight. Shared nodes
 * (an SFT directory, a route, a stub NiFi path, a recipient) go to the mean height of what feeds
 * them, pushed apart where they would overlap, so converging edges stay short and do not cross
 * other rows' edges. Text is measured by counting characters: the SVG uses a monospace face.
 */

export const FONT_SIZE = 11;
export const CHAR_WIDTH = 6.7;
export const LINE_HEIGHT = 14;
export const PADDING_X = 8;
export const PADDING_Y = 5;
/** Room above a group's first row for its label. */
export const CLUSTER_LABEL = 18;
const CLUSTER_PADDING = 6;
const ROW_GAP = 5;
const SECTION_GAP = 18;
const SECTION_HEADING = 22;
const GROUP_GAP = 14;
const COLUMN_GAP = 56;
/** Before the recipients, where many edges converge. */
const RECIPIENT_GAP = 150;
const MARGIN = 16;

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LaidOutMap {
  readonly graph: MapGraph;
  /** Node boxes by node id (x, y: the top-left corner). */
  readonly nodes: ReadonlyMap<string, Box>;
  /** Group boxes by cluster id, label strip included. */
  readonly clusters: ReadonlyMap<string, Box>;
  /** Where each band's heading goes (its baseline). */
  readonly sections: readonly { readonly section: MapSection; readonly x: number; readonly y: number }[];
  /** Each edge as a cubic curve from the right side of `from` to the left side of `to`. */
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly start: { x: number; y: number };
    readonly end: { x: number; y: number };
  }[];
  readonly width: number;
  readonly height: number;
}

/** How big a node is drawn. */
export function nodeSize(node: MapNode): { width: number; height: number } {
  const first = node.label.length + (node.detail ? 2 + node.detail.length : 0);
  const longest = Math.max(first, node.sub?.length ?? 0);
  return {
    width: Math.ceil(longest * CHAR_WIDTH + 2 * PADDING_X),
    height: (node.sub ? 2 : 1) * LINE_HEIGHT + 2 * PADDING_Y,
  };
}

/** Moves centres apart, in order, so boxes of these heights keep `gap` between them. */
function separate(
  entries: { id: string; centre: number; height: number }[],
  gap: number,
): Map<string, number> {
  const placed = new Map<string, number>();
  let floor = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    const top = Math.max(entry.centre - entry.height / 2, floor);
    placed.set(entry.id, top + entry.height / 2);
    floor = top + entry.height + gap;
  }
  return placed;
}

/** Lays the map out. Deterministic: the same graph always gets the same picture. */
export function layoutMap(graph: MapGraph): LaidOutMap {
  const sizes = new Map(graph.nodes.map((node) => [node.id, nodeSize(node)]));
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const incoming = new Map<string, string[]>();
  const outgoing = new Map<string, string[]>();
  for (const edge of graph.edges) {
    incoming.set(edge.to, [...(incoming.get(edge.to) ?? []), edge.from]);
    outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to]);
  }
  const centres = new Map<string, number>();

  // Rows: one per rule, in the graph's order; a gap and a label strip before each source group.
  let cursor = MARGIN;
  let group: string | undefined;
  let section: MapSection | undefined;
  const sections: { section: MapSection; x: number; y: number }[] = [];
  const sectionOf = new Map(graph.clusters.map((cluster) => [cluster.id, cluster.section]));
  const rules = graph.nodes.filter((node) => node.kind === 'rule');
  for (const rule of rules) {
    const source = byId.get(incoming.get(rule.id)?.[0] ?? '');
    const ruleSection = sectionOf.get(source?.cluster ?? '');
    if (ruleSection && ruleSection !== section) {
      section = ruleSection;
      cursor += (cursor === MARGIN ? 0 : SECTION_GAP) + SECTION_HEADING;
      sections.push({ section, x: MARGIN, y: cursor - 8 });
    }
    if (source?.cluster !== group) {
      group = source?.cluster;
      cursor += GROUP_GAP + CLUSTER_LABEL;
    }
    // A rule's own destination (fed by this rule alone) shares its row, so the row is as tall as
    // the tallest of the three.
    const own = (outgoing.get(rule.id) ?? []).filter((id) => (incoming.get(id) ?? []).length === 1);
    const height = Math.max(
      sizes.get(rule.id)!.height,
      source ? sizes.get(source.id)!.height : 0,
      ...own.map((id) => sizes.get(id)!.height),
    );
    centres.set(rule.id, cursor + height / 2);
    cursor += height + ROW_GAP;
  }
  // Sources: the middle of their rules (rules of one source are adjacent rows).
  for (const node of graph.nodes.filter((entry) => entry.kind === 'source')) {
    const fed = (outgoing.get(node.id) ?? []).map((id) => centres.get(id) ?? 0);
    centres.set(node.id, fed.reduce((sum, y) => sum + y, 0) / Math.max(1, fed.length));
  }
  // Every later column, left to right: the mean of what feeds each node, then pushed apart.
  const ranks = [...new Set(graph.nodes.map((node) => node.rank))].sort((a, b) => a - b);
  for (const rank of ranks.filter((value) => value > 1)) {
    const column = graph.nodes
      .filter((node) => node.rank === rank)
      .map((node, order) => {
        const feeders = (incoming.get(node.id) ?? []).map((id) => centres.get(id) ?? 0);
        const centre = feeders.reduce((sum, y) => sum + y, 0) / Math.max(1, feeders.length);
        return { id: node.id, centre, height: sizes.get(node.id)!.height, order };
      })
      .sort((a, b) => a.centre - b.centre || a.order - b.order);
    for (const [id, centre] of separate(column, ROW_GAP)) centres.set(id, centre);
  }

  // Columns: as wide as their widest node.
  const columnX = new Map<number, number>();
  let x = MARGIN;
  ranks.forEach((rank, index) => {
    const isLast =
      index === ranks.length - 1 && graph.nodes.some((n) => n.rank === rank && n.kind === 'recipient');
    if (index > 0) x += isLast ? RECIPIENT_GAP : COLUMN_GAP;
    columnX.set(rank, x);
    x += Math.max(
      ...graph.nodes.filter((node) => node.rank === rank).map((node) => sizes.get(node.id)!.width),
    );
  });
  const nodes = new Map<string, Box>();
  for (const node of graph.nodes) {
    const size = sizes.get(node.id)!;
    // Sources are right-aligned in their column, next to their rules; the rest left-aligned.
    const columnWidth = Math.max(
      ...graph.nodes.filter((other) => other.rank === node.rank).map((other) => sizes.get(other.id)!.width),
    );
    const left = columnX.get(node.rank)! + (node.kind === 'source' ? columnWidth - size.width : 0);
    nodes.set(node.id, { x: left, y: centres.get(node.id)! - size.height / 2, ...size });
  }
  const clusters = new Map<string, Box>();
  for (const cluster of graph.clusters) {
    const members = graph.nodes
      .filter((node) => node.cluster === cluster.id)
      .map((node) => nodes.get(node.id)!);
    if (members.length === 0) continue;
    const top = Math.min(...members.map((member) => member.y)) - CLUSTER_LABEL - 2;
    const bottom = Math.max(...members.map((member) => member.y + member.height)) + CLUSTER_PADDING - 2;
    const left = columnX.get(0)! - CLUSTER_PADDING;
    const right = Math.max(...members.map((member) => member.x + member.width)) + CLUSTER_PADDING;
    clusters.set(cluster.id, { x: left, y: top, width: right - left, height: bottom - top });
  }
  const edges = graph.edges.map((edge) => {
    const from = nodes.get(edge.from)!;
    const to = nodes.get(edge.to)!;
    return {
      from: edge.from,
      to: edge.to,
      start: { x: from.x + from.width, y: from.y + from.height / 2 },
      end: { x: to.x, y: to.y + to.height / 2 },
    };
  });
  const height = Math.max(cursor, ...[...nodes.values()].map((box) => box.y + box.height)) + MARGIN;
  return { graph, nodes, clusters, sections, edges, width: Math.ceil(x + MARGIN), height: Math.ceil(height) };
}
