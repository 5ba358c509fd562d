import type { MapNode, MapNodeKind, MapSection } from './graph.ts';
import {
  CHAR_WIDTH,
  CLUSTER_LABEL,
  FONT_SIZE,
  type LaidOutMap,
  LINE_HEIGHT,
  PADDING_X,
  PADDING_Y,
} from './layout.ts';

/*
 * The laid-out routing map as a standalone SVG document: one string, every text escaped, no
 * scripts. Rule nodes carry data attributes (`data-key`, `data-bucket`, …) so the dashboard can
 * open the rule explorer with the rule's example when one is clicked.
 */

const STYLE = `
  .map text { font: ${FONT_SIZE}px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; fill: #1f2933; }
  .map .title { font-weight: 700; }
  .map .detail, .map .sub { fill: #52606d; }
  .map .heading { font-size: 15px; font-weight: 700; }
  .map .section { font-size: 13px; font-weight: 700; fill: #323f4b; }
  .map .note { fill: #52606d; }
  .map .edge { fill: none; stroke: #9aa5b1; stroke-width: 1.1; }
  .map .edge-label { fill: #52606d; font-size: 10px; }
  .map .cluster rect { fill: #f5f7fa; stroke: #cbd2d9; }
  .map .cluster text { fill: #52606d; font-weight: 600; }
  .map .node rect { stroke-width: 1.2; }
  .map .source rect { fill: #ffffff; stroke: #9aa5b1; }
  .map .rule rect { fill: #e8f1fd; stroke: #2f6fce; }
  .map .destination rect { fill: #ffffff; stroke: #d9a400; }
  .map .sft-directory rect { fill: #e6f6ec; stroke: #2f8f4e; }
  .map .route rect { fill: #ffffff; stroke: #2f8f4e; stroke-dasharray: 2 2; }
  .map .nifi rect { fill: #ffffff; stroke: #7a5af5; }
  .map .stays rect, .map .fails rect { fill: #fff4e5; stroke: #d97706; }
  .map .recipient rect { fill: #1f2933; stroke: #1f2933; }
  .map .recipient text, .map .recipient .title { fill: #ffffff; }
  .map .map-rule { cursor: pointer; }
  .map .rule.sft rect { fill: #e6f6ec; stroke: #2f8f4e; }
  .map .rule.invalid rect { fill: #fdecec; stroke: #c62828; stroke-dasharray: 4 3; }
  .map .rule.invalid text, .map .rule.invalid .detail { fill: #8e1b1b; }
  .map .map-rule:hover rect, .map .map-rule:focus rect { stroke-width: 2.4; }
`;

/** XML text: `&`, `<`, `>` and quotes escaped. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function classes(node: MapNode): string {
  const kinds: string[] = ['node', node.kind];
  if (node.rule) {
    kinds.push('map-rule');
    if (!node.rule.valid) kinds.push('invalid');
    else kinds.push(node.rule.transferType.toLowerCase());
  }
  return kinds.join(' ');
}

function dataAttributes(node: MapNode): string {
  const rule = node.rule;
  if (!rule) return '';
  const attributes: Record<string, string | undefined> = {
    'data-rule': rule.id,
    'data-pipeline': rule.pipelineName,
    'data-recipient': rule.recipient,
    'data-transfer-type': rule.transferType,
    'data-source-bucket': rule.source.bucket,
    'data-key': rule.example?.flagKey,
    'data-bucket': rule.example?.bucket,
    'data-object': rule.example?.dataKey,
  };
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(value!)}"`)
    .join('');
}

function pathOf(start: { x: number; y: number }, end: { x: number; y: number }): string {
  // Horizontal tangents at both ends: edges leave and enter boxes level, like a sankey.
  const bend = Math.max(24, (end.x - start.x) / 2);
  const f = (n: number) => n.toFixed(1);
  return `M${f(start.x)},${f(start.y)} C${f(start.x + bend)},${f(start.y)} ${f(end.x - bend)},${f(end.y)} ${f(end.x - 1)},${f(end.y)}`;
}

const SECTION_HEADINGS: Record<MapSection, string> = {
  S3: 'Sent to S3 buckets',
  SFT: 'Sent by SFT: written to a directory, then carried by the SFT agent to the stub NiFi',
  invalid: 'Invalid items: the service rejects them and they take no action',
};

const LEGEND: readonly [MapNodeKind | 'sft-rule' | 'invalid', string][] = [
  ['source', 'source bucket and prefix'],
  ['rule', 'S3 rule'],
  ['sft-rule', 'SFT rule'],
  ['invalid', 'invalid (no action)'],
  ['destination', 'S3 destination'],
  ['sft-directory', 'SFT directory'],
  ['route', 'SFT agent route'],
  ['nifi', 'stub NiFi path'],
  ['recipient', 'recipient'],
];

/** Options of {@link renderMapSvg}. */
export interface SvgOptions {
  /** The heading. @defaultValue `Routing map` */
  title?: string | undefined;
  /** Rules can take the keyboard focus (tabindex, role button): for the dashboard, not for files. */
  interactive?: boolean | undefined;
}

/** The map as an SVG document. */
export function renderMapSvg(layout: LaidOutMap, options: SvgOptions = {}): string {
  const { graph } = layout;
  const header = 48;
  const width = Math.max(layout.width, 900);
  const height = layout.height + header;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="map" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title ?? 'routing map')}">`,
    `<style>${STYLE}</style>`,
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#9aa5b1"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="heading" x="16" y="22">${escapeXml(options.title ?? 'Routing map')}</text>`,
    `<text class="note" x="16" y="38">${escapeXml(
      `${graph.shown} of ${graph.total} rules on ${graph.date} — source → rule → destination${graph.nodes.some((n) => n.kind === 'route') ? ' → SFT agent route → stub NiFi' : ''} → recipient`,
    )}</text>`,
  );
  // Legend, top right.
  let legendX = width - 16;
  const legend: string[] = [];
  for (const [kind, label] of [...LEGEND].reverse()) {
    const itemWidth = label.length * CHAR_WIDTH + 26;
    legendX -= itemWidth;
    const className = kind === 'sft-rule' ? 'rule sft' : kind === 'invalid' ? 'rule invalid' : kind;
    legend.push(
      `<g class="node ${className}"><rect x="${legendX.toFixed(1)}" y="28" width="14" height="12" rx="2"/></g><text x="${(legendX + 18).toFixed(1)}" y="38">${escapeXml(label)}</text>`,
    );
  }
  if (legendX > 420) parts.push(`<g class="legend">${legend.join('')}</g>`);
  parts.push(`<g transform="translate(0,${header})">`);
  for (const heading of layout.sections) {
    parts.push(
      `<text class="section" x="${heading.x}" y="${heading.y.toFixed(1)}">${escapeXml(SECTION_HEADINGS[heading.section])}</text>`,
    );
  }
  for (const cluster of graph.clusters) {
    const box = layout.clusters.get(cluster.id);
    if (!box) continue;
    parts.push(
      `<g class="cluster ${cluster.kind}"><rect x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" rx="6"/>`,
      `<text x="${(box.x + 8).toFixed(1)}" y="${(box.y + CLUSTER_LABEL - 4).toFixed(1)}">${escapeXml(cluster.label)}</text></g>`,
    );
  }
  for (const edge of layout.edges) {
    parts.push(`<path class="edge" d="${pathOf(edge.start, edge.end)}" marker-end="url(#arrow)"/>`);
  }
  for (const edge of graph.edges) {
    if (!edge.label) continue;
    const drawn = layout.edges.find((e) => e.from === edge.from && e.to === edge.to);
    if (drawn) {
      parts.push(
        `<text class="edge-label" x="${((drawn.start.x + drawn.end.x) / 2).toFixed(1)}" y="${((drawn.start.y + drawn.end.y) / 2 - 4).toFixed(1)}" text-anchor="middle">${escapeXml(edge.label)}</text>`,
      );
    }
  }
  for (const node of graph.nodes) {
    const box = layout.nodes.get(node.id)!;
    const focus = node.rule && options.interactive ? ' tabindex="0" role="button"' : '';
    parts.push(
      `<g class="${classes(node)}" id="${node.id}" data-identity="${escapeXml(node.identity)}"${dataAttributes(node)}${focus}>`,
    );
    parts.push(`<title>${escapeXml(node.title)}</title>`);
    const radius = node.kind === 'recipient' ? 12 : 4;
    parts.push(
      `<rect x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" rx="${radius}"/>`,
    );
    const baseline = box.y + PADDING_Y + LINE_HEIGHT - 3;
    const detail = node.detail
      ? `<tspan class="detail" dx="${(2 * CHAR_WIDTH).toFixed(1)}">${escapeXml(node.detail)}</tspan>`
      : '';
    parts.push(
      `<text x="${(box.x + PADDING_X).toFixed(1)}" y="${baseline.toFixed(1)}"><tspan class="title">${escapeXml(node.label)}</tspan>${detail}</text>`,
    );
    if (node.sub) {
      parts.push(
        `<text class="sub" x="${(box.x + PADDING_X).toFixed(1)}" y="${(baseline + LINE_HEIGHT).toFixed(1)}">${escapeXml(node.sub)}</text>`,
      );
    }
    parts.push('</g>');
  }
  parts.push('</g></svg>');
  return `${parts.join('\n')}\n`;
}
