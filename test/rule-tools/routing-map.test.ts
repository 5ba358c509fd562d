import { readFileSync } from 'node:fs';
import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { s3Url } from '../../src/egress/plan/locations.ts';
import { describeRuleKey } from '../../src/egress/rules/rule.ts';
import {
  explainKey,
  recordsFromItems,
  type SftDelivery,
  sampleForItem,
  sftContextFor,
} from '../../src/rule-tools/index.ts';
import {
  buildMapGraph,
  buildRoutingMap,
  layoutMap,
  type MapGraph,
  renderMapDot,
  renderMapMermaid,
  renderMapSvg,
  renderRoutingMap,
} from '../../src/rule-tools/map/index.ts';
import { DEPLOYED_RULES } from './support/deployed-rules.ts';

const RULES = DEPLOYED_RULES;
const STAMPS = dateStamps(new Date('2026-11-24T09:00:00Z'), 'UTC');
const SFT = sftContextFor(undefined);
const MAP = buildRoutingMap(RULES, STAMPS, SFT);
const GRAPH = buildMapGraph(MAP);

/** The map's edges as `from-identity → to-identity`. */
function mapEdges(graph: MapGraph): Set<string> {
  const identity = new Map(graph.nodes.map((node) => [node.id, node.identity]));
  return new Set(graph.edges.map((edge) => `${identity.get(edge.from)} → ${identity.get(edge.to)}`));
}

/** Each way an SFT file travels, as explain's agent trace says: the routes, then its end. */
function agentPaths(delivery: SftDelivery, routes: string[] = []): { routes: string[]; end: string }[] {
  if (delivery.outcome !== 'routed' || !delivery.route) {
    return [{ routes, end: `stays ${delivery.directory}` }];
  }
  const through = [...routes, `route #${delivery.route.index}`];
  return delivery.steps.flatMap((step) => {
    if (step.action === 'writeFile') return agentPaths(step.next, through);
    if (step.action === 'httpRequest') {
      const nifi = step.stubNifi;
      if ('key' in nifi)
        return [
          { routes: through, end: s3Url(nifi.bucket, nifi.key.slice(0, nifi.key.lastIndexOf('/') + 1)) },
        ];
      return [{ routes: through, end: `fails ${'refused' in nifi ? nifi.refused : nifi.unsendable}` }];
    }
    return 'error' in step ? [{ routes: through, end: `fails ${step.error}` }] : [];
  });
}

describe('the routing map of the 97 deployed rules', () => {
  it('has exactly the edges explain gives each rule: source → rule → destination (→ agent → stub NiFi) → recipient', () => {
    const expected = new Set<string>();
    for (const record of RULES) {
      const sample = sampleForItem(record.item, STAMPS)!;
      const explanation = explainKey([record], sample.flagKey, {
        stamps: STAMPS,
        sft: SFT,
        objects: [{ bucket: sample.bucket, key: sample.dataKey }],
      });
      const source = s3Url(String(record.item.source_bucket), String(record.item.source_prefix));
      const ruleId = describeRuleKey({
        sourcePrefix: record.item.source_prefix,
        pipelineName: record.item.pipeline_name,
      });
      expected.add(`${source} → ${ruleId}`);
      const match = explanation.matches[0];
      if (!match) {
        expect(explanation.invalidMatches.map((m) => m.pipelineName)).toEqual([record.item.pipeline_name]);
        continue;
      }
      const recipient = `recipient ${match.rule.recipient}`;
      if (match.location.transferType === 'S3') {
        expected.add(`${ruleId} → ${match.location.url}`);
        expected.add(`${match.location.url} → ${recipient}`);
        continue;
      }
      const directory = `sft ${match.location.directory}`;
      expected.add(`${ruleId} → ${directory}`);
      const deliveries = [
        match.listed?.[0]?.destination,
        match.controlFile?.destination,
        match.manifest?.destination,
      ];
      for (const written of deliveries) {
        if (written?.transferType !== 'SFT' || !written.delivery) continue;
        for (const path of agentPaths(written.delivery)) {
          const chain = [directory, ...path.routes, path.end];
          for (let index = 1; index < chain.length; index++)
            expected.add(`${chain[index - 1]} → ${chain[index]}`);
          if (!path.end.startsWith('stays') && !path.end.startsWith('fails'))
            expected.add(`${path.end} → ${recipient}`);
        }
      }
    }
    expect([...mapEdges(GRAPH)].sort()).toEqual([...expected].sort());
  });

  it('shows every rule, every recipient, and the invalid item with its reason and nothing after it', () => {
    const rules = GRAPH.nodes.filter((node) => node.kind === 'rule');
    expect(rules).toHaveLength(97);
    const recipients = new Set(
      GRAPH.nodes.filter((node) => node.kind === 'recipient').map((node) => node.label),
    );
    expect(recipients).toEqual(
      new Set(RULES.map((record) => String(record.item.recipient_name)).filter((r) => r !== 'RTG')),
    );
    const invalid = rules.find((node) => node.rule?.valid === false)!;
    expect(invalid).toMatchObject({ label: 'PDM_RTG', detail: 'INVALID' });
    expect(invalid.sub).toMatch(/^decrypt: expected a boolean/);
    expect(GRAPH.edges.filter((edge) => edge.from === invalid.id)).toEqual([]);
  });

  it('groups sources by common prefix, in bands: S3, SFT, invalid', () => {
    const clusterOf = (pipeline: string) => {
      const rule = GRAPH.nodes.find((node) => node.rule?.pipelineName === pipeline)!;
      const source = GRAPH.edges.find((edge) => edge.to === rule.id)!.from;
      const cluster = GRAPH.nodes.find((node) => node.id === source)!.cluster;
      return GRAPH.clusters.find((entry) => entry.id === cluster)!;
    };
    expect(clusterOf('ERS')).toMatchObject({ label: 's3://published-bucket/dataegress/ers/', section: 'S3' });
    expect(clusterOf('ap_preproc_model_7')).toMatchObject({
      label: 's3://published-bucket/ap_ml/',
      section: 'S3',
    });
    expect(clusterOf('SAS_HEALTH_SFT')).toMatchObject({
      label: 's3://published-bucket/dataegress/',
      section: 'SFT',
    });
    expect(clusterOf('PDM_RTG')).toMatchObject({ section: 'invalid' });
    expect(GRAPH.clusters.map((cluster) => cluster.section)).toEqual(
      [...GRAPH.clusters.map((cluster) => cluster.section)].sort(
        (a, b) => ['S3', 'SFT', 'invalid'].indexOf(a) - ['S3', 'SFT', 'invalid'].indexOf(b),
      ),
    );
  });

  it.each([
    [{ recipient: 'DSP' }, 3],
    [{ transferType: 'SFT' }, 10],
    // 86 valid S3 rules and the invalid PDM_RTG, an S3 item.
    [{ transferType: 's3' }, 87],
    [{ sourceBucket: 'htme-s3-bucket' }, 1],
    [{ recipient: 'ERS', transferType: 'SFT' }, 0],
  ])('filters %j → %i rules', (filter, count) => {
    const graph = buildMapGraph(MAP, filter);
    expect(graph.shown).toBe(count);
    expect(graph.nodes.filter((node) => node.kind === 'rule')).toHaveLength(count);
    expect(graph.choices.recipients).toContain('ERS');
  });

  it('is readable: nothing overlaps, and each source, rule and own destination share one row', () => {
    const laid = layoutMap(GRAPH);
    const boxes = [...laid.nodes.entries()];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]![1], boxes[j]![1]];
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${boxes[i]![0]} and ${boxes[j]![0]} overlap`).toBe(true);
      }
    }
    const clusters = [...laid.clusters.values()].sort((a, b) => a.y - b.y);
    for (let i = 1; i < clusters.length; i++)
      expect(clusters[i]!.y).toBeGreaterThanOrEqual(clusters[i - 1]!.y + clusters[i - 1]!.height);
    const centre = (id: string) => laid.nodes.get(id)!.y + laid.nodes.get(id)!.height / 2;
    let straight = 0;
    for (const rule of GRAPH.nodes.filter((node) => node.kind === 'rule' && node.rule?.valid)) {
      const source = GRAPH.edges.find((edge) => edge.to === rule.id)!.from;
      const destination = GRAPH.edges.find((edge) => edge.from === rule.id)!.to;
      const sources = GRAPH.edges.filter((edge) => edge.from === source).length;
      const feeders = GRAPH.edges.filter((edge) => edge.to === destination).length;
      if (sources === 1) expect(centre(source)).toBeCloseTo(centre(rule.id), 5);
      if (feeders === 1) {
        expect(centre(destination)).toBeCloseTo(centre(rule.id), 5);
        if (rule.rule?.transferType === 'S3') straight += 1;
      }
    }
    // Every S3 rule has its own destination: 86 straight rows.
    expect(straight).toBe(86);
  });
});

describe('routing map files', () => {
  it('docs/routing-map.svg is the current map of the deployed rules', () => {
    // Regenerate with: npx egress routes map --rules config/rules/routing-items.json --date 2026-11-24 --out docs/routing-map.svg
    const day = dateStamps(new Date('2026-11-24T00:00:00Z'), 'UTC');
    const svg = renderRoutingMap(buildRoutingMap(RULES, day, SFT), 'svg', {
      title: 'Routing map — routing-items.json',
    });
    expect(readFileSync('docs/routing-map.svg', 'utf8')).toBe(svg);
  });

  it('SVG: escaped text, every recipient, rules linked to their example flag', () => {
    const records = recordsFromItems(
      [
        {
          source_prefix: 'x/<script>alert(1)</script>/',
          pipeline_name: 'P&"<b>',
          recipient_name: 'R<i>',
          transfer_type: 'S3',
          source_bucket: 'src',
          destination_bucket: 'dst',
          destination_prefix: 'out/',
        },
      ],
      'hostile',
    );
    const svg = renderMapSvg(layoutMap(buildMapGraph(buildRoutingMap(records, STAMPS, SFT))));
    expect(svg).not.toMatch(/<script|<b>|<i>/);
    expect(svg).toContain('P&amp;&quot;&lt;b&gt;');
    expect(svg).toContain('data-key="x/&lt;script&gt;alert(1)&lt;/script&gt;/pipeline_success.flag"');
    const full = renderMapSvg(layoutMap(GRAPH));
    for (const node of GRAPH.nodes.filter((entry) => entry.kind === 'recipient')) {
      expect(full).toContain(`data-identity="recipient ${node.label}"`);
    }
    expect(full.match(/class="node rule map-rule/g)).toHaveLength(97);
  });

  it('DOT: Graphviz reads it, with every node and edge', async () => {
    const viz = await instance();
    const rendered = viz.renderJSON(renderMapDot(GRAPH), { engine: 'dot' }) as {
      objects?: { name: string; nodes?: unknown }[];
      edges?: unknown[];
    };
    const nodes = (rendered.objects ?? []).filter((object) => object.nodes === undefined);
    expect(nodes).toHaveLength(GRAPH.nodes.length);
    expect(rendered.edges).toHaveLength(GRAPH.edges.length);
  });

  it('Mermaid: a left-to-right flowchart, one subgraph per source group, quoted labels', () => {
    const text = renderMapMermaid(GRAPH);
    const lines = text.trimEnd().split('\n');
    expect(lines[1]).toBe('flowchart LR');
    expect(lines.filter((line) => /^ {2}subgraph g\d+\["[^"]*"\]$/.test(line))).toHaveLength(
      GRAPH.clusters.length,
    );
    expect(lines.filter((line) => /^ {2}n\d+ --> n\d+$/.test(line))).toHaveLength(GRAPH.edges.length);
    // Labels are always quoted and never hold a bare quote or angle bracket.
    const declarations = lines.filter((entry) => /^\s+n\d+[[(]/.test(entry));
    expect(declarations).toHaveLength(GRAPH.nodes.length);
    for (const line of declarations) {
      expect(line.replaceAll('<br/>', ' ')).toMatch(/^\s+n\d+(\["[^"<>]*"\]|\(\["[^"<>]*"\]\))$/);
    }
  });
});
