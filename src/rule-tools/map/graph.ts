import { s3Url } from '../../egress/plan/locations.ts';
import type { MapRule, MapSftPath, RoutingMap } from './model.ts';

/*
 * The routing map as a diagram, left to right: source (bucket, prefix — grouped by common prefix)
 * → rule (pipeline, S3/SFT, badges) → destination (bucket and key prefix, or SFT directory) →
 * for SFT, the agent's routes → the stub NiFi path → the recipient. Pure: the model and a filter
 * in, nodes, edges and clusters out; the SVG, Mermaid and DOT renderings all start from this.
 */

/** Which rules to show; every field is optional and they combine with AND. */
export interface MapFilter {
  readonly recipient?: string | undefined;
  /** `S3` or `SFT`. */
  readonly transferType?: string | undefined;
  readonly sourceBucket?: string | undefined;
}

export type MapNodeKind =
  | 'source'
  | 'rule'
  | 'destination'
  | 'sft-directory'
  | 'route'
  | 'nifi'
  | 'stays'
  | 'fails'
  | 'recipient';

export interface MapNode {
  /** `n1`, `n2`, …: safe in every output format. */
  readonly id: string;
  readonly kind: MapNodeKind;
  /**
   * What the node stands for, machine-readable and independent of drawing: `s3://bucket/prefix`
   * (sources as stored; destinations and stub-hdfs prefixes as of the map's day), the rule's
   * `source_prefix|pipeline_name`, `sft /dir`, `route #n`, `recipient NAME`, `stays /dir`,
   * `fails REASON`.
   */
  readonly identity: string;
  /** The node's name, drawn bold. */
  readonly label: string;
  /** Drawn after the label on the same line (a rule's type and badges). */
  readonly detail?: string | undefined;
  /** A second line. */
  readonly sub?: string | undefined;
  /** The whole story, for a tooltip. */
  readonly title: string;
  readonly cluster?: string | undefined;
  /** Rule nodes: the rule (for links to the rule explorer). */
  readonly rule?: MapRule | undefined;
  /** The rank (column) the node belongs in. */
  readonly rank: number;
}

/** The map's horizontal bands: rules sent to S3, rules sent by SFT, invalid items. */
export type MapSection = 'S3' | 'SFT' | 'invalid';

export interface MapCluster {
  readonly id: string;
  readonly label: string;
  readonly kind: 'source';
  readonly section: MapSection;
}

export interface MapEdge {
  readonly from: string;
  readonly to: string;
  /** How far apart the two columns are (for the layout). */
  readonly span: number;
  readonly label?: string | undefined;
}

export interface MapGraph {
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
  readonly clusters: readonly MapCluster[];
  /** What the filters can be set to, over the whole map. */
  readonly choices: {
    readonly recipients: readonly string[];
    readonly transferTypes: readonly string[];
    readonly sourceBuckets: readonly string[];
  };
  /** Rules shown, of how many. */
  readonly shown: number;
  readonly total: number;
  readonly date: string;
}

/** The rules a filter keeps. */
export function filterRules(rules: readonly MapRule[], filter: MapFilter): MapRule[] {
  return rules.filter(
    (rule) =>
      (!filter.recipient || rule.recipient === filter.recipient) &&
      (!filter.transferType || rule.transferType.toUpperCase() === filter.transferType.toUpperCase()) &&
      (!filter.sourceBucket || rule.source.bucket === filter.sourceBucket),
  );
}

function segments(prefix: string): string[] {
  return prefix.split('/');
}

/**
 * Source groups by common prefix, per bucket: the first path segment (`ap_ml/`), split into
 * second-level groups (`dataegress/ers/`, `dataegress/sas/`) when those hold four rules or more on
 * average; rules alone at the second level stay in the first-level group.
 */
export function sourceGroups(rules: readonly MapRule[]): Map<MapRule, string> {
  const groups = new Map<MapRule, string>();
  const byTop = new Map<string, MapRule[]>();
  for (const rule of rules) {
    const parts = segments(rule.source.prefix);
    const top = parts.length > 1 ? `${parts[0]}/` : '';
    const key = `${rule.source.bucket}\u0000${top}`;
    byTop.set(key, [...(byTop.get(key) ?? []), rule]);
  }
  for (const [key, members] of byTop) {
    const top = key.split('\u0000')[1] ?? '';
    const bySecond = new Map<string, MapRule[]>();
    for (const rule of members) {
      const parts = segments(rule.source.prefix);
      const second = parts.length > 2 ? `${parts[0]}/${parts[1]}/` : top;
      bySecond.set(second, [...(bySecond.get(second) ?? []), rule]);
    }
    const split = top !== '' && bySecond.size > 1 && members.length / bySecond.size >= 4;
    for (const [second, inside] of bySecond) {
      const group = split && inside.length > 1 ? second : top;
      for (const rule of inside) groups.set(rule, group);
    }
  }
  return groups;
}

/** Shortens a label in the middle; the node's title keeps the whole text. */
export function shorten(label: string, max = 56): string {
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) * 0.45);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

function destinationKey(rule: MapRule): string | undefined {
  const destination = rule.destination;
  if (!destination) return undefined;
  return destination.kind === 'S3'
    ? `s3\u0000${destination.bucket}\u0000${destination.keyPrefix}`
    : `sft\u0000${destination.directory.replace(/\/+$/, '') || '/'}`;
}

function endKey(path: MapSftPath): string {
  const end = path.end;
  if (end.kind === 'nifi') return `nifi\u0000${end.bucket}\u0000${end.keyPrefix}`;
  if (end.kind === 'stays') return `stays\u0000${end.directory}`;
  return `fails\u0000${end.reason}`;
}

/** Builds the diagram of the rules the filter keeps. */
export function buildMapGraph(map: RoutingMap, filter: MapFilter = {}): MapGraph {
  const rules = filterRules(map.rules, filter);
  // Order: by source group, then prefix, then pipeline — neighbours in the table are neighbours on
  // the map, which keeps edges short.
  // Bands: S3 rules, then SFT rules (by directory, so rules sharing one are neighbours and the
  // agent's routes sit beside them), then invalid items; within a band, by source group.
  const sectionOf = (rule: MapRule): MapSection =>
    !rule.valid ? 'invalid' : rule.transferType === 'SFT' ? 'SFT' : 'S3';
  const sectionOrder: Record<MapSection, number> = { S3: 0, SFT: 1, invalid: 2 };
  const groups = new Map<MapRule, string>();
  for (const section of ['S3', 'SFT', 'invalid'] as const) {
    for (const [rule, group] of sourceGroups(rules.filter((rule) => sectionOf(rule) === section))) {
      groups.set(rule, group);
    }
  }
  const directory = (rule: MapRule) => (rule.destination?.kind === 'SFT' ? rule.destination.directory : '');
  const ordered = [...rules].sort(
    (a, b) =>
      sectionOrder[sectionOf(a)] - sectionOrder[sectionOf(b)] ||
      directory(a).localeCompare(directory(b)) ||
      a.source.bucket.localeCompare(b.source.bucket) ||
      (groups.get(a) ?? '').localeCompare(groups.get(b) ?? '') ||
      a.source.prefix.localeCompare(b.source.prefix, 'en', { numeric: true }) ||
      a.pipelineName.localeCompare(b.pipelineName, 'en', { numeric: true }),
  );
  const routeDepth = Math.max(
    0,
    ...ordered.flatMap((rule) => rule.sftPaths.map((path) => path.routes.length)),
  );
  const rank = {
    source: 0,
    rule: 1,
    destination: 2,
    route: (depth: number) => 2 + depth,
    end: 3 + routeDepth,
    recipient: 4 + routeDepth,
  };

  const nodes = new Map<string, MapNode>();
  const clusters = new Map<string, MapCluster>();
  const edges = new Map<string, MapEdge>();
  let counter = 0;
  const node = (key: string, make: (id: string) => MapNode): MapNode => {
    let found = nodes.get(key);
    if (!found) {
      counter += 1;
      found = make(`n${counter}`);
      nodes.set(key, found);
    }
    return found;
  };
  const cluster = (key: string, label: string, kind: MapCluster['kind'], section: MapSection): string => {
    let found = clusters.get(key);
    if (!found) {
      found = { id: `g${clusters.size + 1}`, label, kind, section };
      clusters.set(key, found);
    }
    return found.id;
  };
  const edge = (from: MapNode, to: MapNode, label?: string) => {
    const key = `${from.id}>${to.id}`;
    if (!edges.has(key))
      edges.set(key, { from: from.id, to: to.id, span: Math.max(1, to.rank - from.rank), label });
  };
  const recipientNode = (name: string) =>
    node(`recipient\u0000${name}`, (id) => ({
      id,
      kind: 'recipient',
      identity: `recipient ${name}`,
      label: name || '(no recipient)',
      title: `recipient ${name || '(none)'}`,
      rank: rank.recipient,
    }));

  for (const rule of ordered) {
    const group = groups.get(rule) ?? '';
    const section = sectionOf(rule);
    const sourceCluster = cluster(
      `source\u0000${section}\u0000${directory(rule)}\u0000${rule.source.bucket}\u0000${group}`,
      s3Url(rule.source.bucket, group),
      'source',
      section,
    );
    const source = node(`source\u0000${sourceCluster}\u0000${rule.source.prefix}`, (id) => ({
      id,
      kind: 'source',
      identity: s3Url(rule.source.bucket, rule.source.prefix),
      label: shorten(rule.source.prefix.slice(group.length) || rule.source.prefix || '(every key)', 72),
      title: s3Url(rule.source.bucket, rule.source.prefix),
      cluster: sourceCluster,
      rank: rank.source,
    }));
    const ruleNode = node(`rule\u0000${rule.id}`, (id) => ({
      id,
      kind: 'rule',
      identity: rule.id,
      label: rule.pipelineName,
      detail: rule.valid ? [rule.transferType, ...rule.badges].join(' · ') : 'INVALID',
      sub: rule.valid ? undefined : shorten(rule.reason ?? '', 60),
      title: rule.valid
        ? `${rule.pipelineName} → ${rule.recipient} by ${rule.transferType}${rule.badges.length ? ` (${rule.badges.join(', ')})` : ''}${rule.resource ? ` [${rule.resource}]` : ''}`
        : `${rule.pipelineName} is invalid and takes no action: ${rule.reason}`,
      rule,
      rank: rank.rule,
    }));
    edge(source, ruleNode);
    if (!rule.valid || !rule.destination) continue;

    const destination = rule.destination;
    const destinationNode = node(destinationKey(rule)!, (id) =>
      destination.kind === 'S3'
        ? {
            id,
            kind: 'destination',
            identity: s3Url(destination.bucket, destination.today),
            label: shorten(s3Url(destination.bucket, destination.keyPrefix), 100),
            title: `${s3Url(destination.bucket, destination.keyPrefix)}${destination.keyPrefix ? '' : ' (the bucket root)'}`,
            rank: rank.destination,
          }
        : {
            id,
            kind: 'sft-directory',
            identity: `sft ${destination.today}`,
            label: `SFT ${destination.directory.replace(/\/+$/, '') || '/'}`,
            sub:
              rule.sftWatchers.length > 1
                ? `watched by routes ${rule.sftWatchers.map((route) => `#${route.index}`).join(', ')}: by file name`
                : undefined,
            title: [
              `SFT directory ${destination.directory} (under the SFT root)`,
              ...rule.sftWatchers.map(
                (route) => `route #${route.index} ${route.name} takes names matching ${route.filenameRegex}`,
              ),
              ...(rule.sftWatchers.length > 1
                ? ['the first route whose pattern matches a name takes the file']
                : []),
            ].join('\n'),
            rank: rank.destination,
          },
    );
    edge(ruleNode, destinationNode);
    if (destination.kind === 'S3') {
      edge(destinationNode, recipientNode(rule.recipient));
      continue;
    }
    for (const path of rule.sftPaths) {
      let previous = destinationNode;
      path.routes.forEach((route, depth) => {
        const routeNode = node(`route\u0000${route.index}`, (id) => ({
          id,
          kind: 'route',
          identity: `route #${route.index}`,
          label: `agent route #${route.index} on ${route.directory}`,
          sub: shorten(route.name, 48),
          title: `SFT agent route #${route.index} ${route.name}, watching ${route.directory}`,
          rank: rank.route(depth + 1),
        }));
        edge(previous, routeNode);
        previous = routeNode;
      });
      const end = path.end;
      const endNode = node(endKey(path), (id) =>
        end.kind === 'nifi'
          ? {
              id,
              kind: 'nifi',
              identity: s3Url(end.bucket, end.keyPrefix),
              label: `stub NiFi ${shorten(end.path, 52)}`,
              sub: shorten(s3Url(end.bucket, end.keyPrefix), 60),
              title: `stub NiFi ${end.path} → ${s3Url(end.bucket, end.keyPrefix)}`,
              rank: rank.end,
            }
          : end.kind === 'stays'
            ? {
                id,
                kind: 'stays',
                identity: `stays ${end.directory}`,
                label: `stays in ${end.directory}`,
                sub: end.why,
                title: `the file stays in ${end.directory}: ${end.why}`,
                rank: rank.end,
              }
            : {
                id,
                kind: 'fails',
                identity: `fails ${end.reason}`,
                label: 'error folder',
                sub: shorten(end.reason, 48),
                title: `the agent cannot deliver it: ${end.reason}`,
                rank: rank.end,
              },
      );
      edge(previous, endNode);
      if (end.kind === 'nifi') edge(endNode, recipientNode(rule.recipient));
    }
  }

  // Columns: every edge goes at least one column to the right (a route reached through several
  // hops sits after the deepest), and recipients share the last column.
  const ranks = new Map([...nodes.values()].map((entry) => [entry.id, entry.rank]));
  for (let pass = 0; pass < nodes.size; pass++) {
    let changed = false;
    for (const { from, to } of edges.values()) {
      const needed = (ranks.get(from) ?? 0) + 1;
      if ((ranks.get(to) ?? 0) < needed) {
        ranks.set(to, needed);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const last = Math.max(
    rank.recipient,
    ...[...nodes.values()]
      .filter((entry) => entry.kind !== 'recipient')
      .map((entry) => (ranks.get(entry.id) ?? 0) + 1),
  );
  const placed = [...nodes.values()].map((entry) => ({
    ...entry,
    rank: entry.kind === 'recipient' ? last : (ranks.get(entry.id) ?? entry.rank),
  }));
  const rankOf = new Map(placed.map((entry) => [entry.id, entry.rank]));
  const distinct = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b));
  return {
    nodes: placed,
    edges: [...edges.values()].map((entry) => ({
      ...entry,
      span: Math.max(1, (rankOf.get(entry.to) ?? 0) - (rankOf.get(entry.from) ?? 0)),
    })),
    clusters: [...clusters.values()],
    choices: {
      recipients: distinct(map.rules.map((rule) => rule.recipient)),
      transferTypes: distinct(map.rules.map((rule) => rule.transferType.toUpperCase())),
      sourceBuckets: distinct(map.rules.map((rule) => rule.source.bucket)),
    },
    shown: rules.length,
    total: map.rules.length,
    date: map.date,
  };
}
