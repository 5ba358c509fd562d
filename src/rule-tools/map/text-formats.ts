import type { MapGraph, MapNode, MapNodeKind } from './graph.ts';

/*
 * The routing map as Mermaid (renders on common code hosts, for pull requests) and Graphviz DOT
 * (for decks and reviews). Both lay the diagram out themselves; these only write the same nodes,
 * edges and source groups the SVG draws.
 */

/** Fill and stroke per kind of node, shared by both formats (the SVG's palette). */
const PALETTE: Record<MapNodeKind | 'sft-rule' | 'invalid', { fill: string; stroke: string; text?: string }> =
  {
    source: { fill: '#ffffff', stroke: '#9aa5b1' },
    rule: { fill: '#e8f1fd', stroke: '#2f6fce' },
    'sft-rule': { fill: '#e6f6ec', stroke: '#2f8f4e' },
    invalid: { fill: '#fdecec', stroke: '#c62828', text: '#8e1b1b' },
    destination: { fill: '#ffffff', stroke: '#d9a400' },
    'sft-directory': { fill: '#e6f6ec', stroke: '#2f8f4e' },
    route: { fill: '#ffffff', stroke: '#2f8f4e' },
    nifi: { fill: '#ffffff', stroke: '#7a5af5' },
    stays: { fill: '#fff4e5', stroke: '#d97706' },
    fails: { fill: '#fff4e5', stroke: '#d97706' },
    recipient: { fill: '#1f2933', stroke: '#1f2933', text: '#ffffff' },
  };

function styleOf(node: MapNode): keyof typeof PALETTE {
  if (node.rule && !node.rule.valid) return 'invalid';
  if (node.rule?.transferType === 'SFT') return 'sft-rule';
  return node.kind;
}

function linesOf(node: MapNode): string[] {
  return [node.detail ? `${node.label}  ${node.detail}` : node.label, ...(node.sub ? [node.sub] : [])];
}

/** Mermaid text inside `"…"`: quotes and angle brackets as entity codes. */
function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** The map as a Mermaid flowchart (`flowchart LR`). */
export function renderMapMermaid(graph: MapGraph): string {
  const lines = [`%% Routing map: ${graph.shown} of ${graph.total} rules on ${graph.date}`, 'flowchart LR'];
  const declare = (node: MapNode) => {
    const text = linesOf(node).map(mermaidText).join('<br/>');
    return node.kind === 'recipient' ? `${node.id}(["${text}"])` : `${node.id}["${text}"]`;
  };
  for (const cluster of graph.clusters) {
    const members = graph.nodes.filter((node) => node.cluster === cluster.id);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${cluster.id}["${mermaidText(cluster.label)}"]`);
    for (const node of members) lines.push(`    ${declare(node)}`);
    lines.push('  end');
  }
  for (const node of graph.nodes) if (!node.cluster) lines.push(`  ${declare(node)}`);
  for (const edge of graph.edges) lines.push(`  ${edge.from} --> ${edge.to}`);
  for (const [name, colours] of Object.entries(PALETTE)) {
    lines.push(
      `  classDef ${name} fill:${colours.fill},stroke:${colours.stroke}${colours.text ? `,color:${colours.text}` : ''}`,
    );
  }
  const byStyle = new Map<string, string[]>();
  for (const node of graph.nodes)
    byStyle.set(styleOf(node), [...(byStyle.get(styleOf(node)) ?? []), node.id]);
  for (const [style, ids] of byStyle) lines.push(`  class ${ids.join(',')} ${style}`);
  return `${lines.join('\n')}\n`;
}

/** A DOT string literal. */
function dotText(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The map as a Graphviz digraph (`rankdir=LR`). */
export function renderMapDot(graph: MapGraph): string {
  const lines = [
    `// Routing map: ${graph.shown} of ${graph.total} rules on ${graph.date}`,
    'digraph routing_map {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
    '  edge [color="#9aa5b1"];',
  ];
  const declare = (node: MapNode) => {
    const colours = PALETTE[styleOf(node)];
    return `${node.id} [label=${dotText(linesOf(node).join('\n'))}, tooltip=${dotText(node.title)}, fillcolor=${dotText(colours.fill)}, color=${dotText(colours.stroke)}${colours.text ? `, fontcolor=${dotText(colours.text)}` : ''}];`;
  };
  for (const cluster of graph.clusters) {
    const members = graph.nodes.filter((node) => node.cluster === cluster.id);
    if (members.length === 0) continue;
    lines.push(
      `  subgraph cluster_${cluster.id} {`,
      `    label=${dotText(cluster.label)};`,
      '    color="#cbd2d9";',
    );
    for (const node of members) lines.push(`    ${declare(node)}`);
    lines.push('  }');
  }
  for (const node of graph.nodes) if (!node.cluster) lines.push(`  ${declare(node)}`);
  for (const edge of graph.edges) lines.push(`  ${edge.from} -> ${edge.to};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
