import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDocumentClient } from '../../src/aws/clients.ts';
import { loadEnvironmentFile, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { type DateStamps, dateStamps } from '../../src/egress/plan/dates.ts';
import { describeDestination, s3Url } from '../../src/egress/plan/locations.ts';
import { describeRuleKey } from '../../src/egress/rules/rule.ts';
import {
  type Arrival,
  type ExpectedDelivery,
  expectedDeliveries,
  type FlagOutcome,
  type RoutingItemRecord,
  recordsFromItems,
  type SftContext,
  sampleForItem,
  sandboxTarget,
  sftContextFor,
} from '../../src/rule-tools/index.ts';
import { buildMapGraph, buildRoutingMap, type MapNode } from '../../src/rule-tools/map/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { plannedRefusals, plannedWrites, reportedFailures, reportedWrites } from './support/compare.ts';
import { DEPLOYED_RULES } from './support/deployed-rules.ts';
import { concreteScenario, type Scenario, scenarioArbitrary } from './support/generated-rules.ts';
import { type SandboxWorld, startSandboxWorld } from './support/sandbox-world.ts';

/*
 * Two cross-checks against a running sandbox (embedded edge, in-process egress service, SFT agent,
 * stub NiFi). First, for every one of the 97 deployed rules: a sample object under its prefix (today's date, a concrete
 * name) and a flag that fires it go into a running sandbox; what `egress routes explain` predicts
 * (through `expectedDeliveries`) must be exactly what the egress service writes and what arrives —
 * in the destination buckets, and through the SFT agent and stub NiFi in stub-hdfs — with the same
 * contents, and nothing else. All rules run at once: where prefixes overlap, the explanation is
 * given every uploaded object, so a rule that lists another rule's sample is predicted too.
 * Second, a few generated rule sets (the property test's generator, end to end).
 */

const RULES = DEPLOYED_RULES;

let world: SandboxWorld;
let stamps: DateStamps;
let sft: SftContext;

beforeAll(async () => {
  world = await startSandboxWorld();
  await provisionEnvironment(
    sandboxTarget(world.sandbox.state),
    await loadEnvironmentFile('config/sandbox/rules.yml'),
  );
  stamps = dateStamps(new Date(), world.sandbox.components.egress.config.timeZone);
  // Paths from the SFT root (`/data-egress/RIS/x`), as the world lists files.
  sft = { ...sftContextFor(world.sandbox.state), sftRoot: undefined };
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

const where = (arrival: Extract<Arrival, { kind: 's3' }>) => `${arrival.bucket}/${arrival.key}`;

describe('routes explain agrees with the service for the 97 deployed rules', () => {
  it('each rule’s sample arrives exactly where explain (and the routing map) says, with the same contents, and nothing else does', async () => {
    expect(RULES).toHaveLength(97);
    const samples = RULES.map((record, index) => {
      const sample = sampleForItem(record.item, stamps, { stem: `deployed-${index}` });
      if (!sample) throw new Error(`${record.label} has no sample`);
      return { record, sample, body: `sample of ${record.label} (${String(record.item.pipeline_name)})\n` };
    });
    const objects = samples.map(({ sample, body }) => ({ bucket: sample.bucket, key: sample.dataKey, body }));
    const flags = [
      ...new Map(samples.map(({ sample }) => [`${sample.bucket}/${sample.flagKey}`, sample])).values(),
    ];
    const outcomes = new Map<string, FlagOutcome>(
      flags.map((flag) => [flag.flagKey, expectedDeliveries(RULES, flag.flagKey, objects, stamps, sft)]),
    );

    // Every rule is exercised: each valid one fires on a flag, the invalid one is reported.
    const fired = new Set(
      [...outcomes.values()].flatMap((outcome) =>
        outcome.explanation.matches.map((m) => describeRuleKey(m.rule)),
      ),
    );
    const reported = new Set(
      [...outcomes.values()].flatMap((outcome) => outcome.invalidMatches.map((m) => String(m.pipelineName))),
    );
    expect(fired.size + reported.size).toBe(97);
    expect([...reported]).toEqual(['PDM_RTG']);
    expect([...outcomes.values()].flatMap((outcome) => outcome.failingRules)).toEqual([]);

    // The service runs a rule once per message; over all messages each (rule, file) is written once or more.
    const expected: ExpectedDelivery[] = [...outcomes.values()].flatMap((outcome) => outcome.deliveries);
    const expectedArrivals = new Map<string, ExpectedDelivery[]>();
    for (const delivery of expected) {
      for (const arrival of delivery.arrivals) {
        expect(arrival.kind, `${describeDestination(delivery.written)} stays or fails in the SFT agent`).toBe(
          's3',
        );
        if (arrival.kind !== 's3') continue;
        expectedArrivals.set(where(arrival), [...(expectedArrivals.get(where(arrival)) ?? []), delivery]);
      }
    }

    // Upload every sample, then every flag.
    for (let at = 0; at < objects.length; at += 16) {
      await Promise.all(objects.slice(at, at + 16).map((o) => world.put(o.bucket, o.key, o.body)));
    }
    const uploaded = new Set(objects.map((o) => `${o.bucket}/${o.key}`));
    await Promise.all(flags.map((flag) => world.put(flag.bucket, flag.flagKey, Buffer.alloc(0))));
    for (const flag of flags) uploaded.add(`${flag.bucket}/${flag.flagKey}`);

    const processed = await waitFor(
      () => world.events.message_processed.length >= flags.length && world.events.message_processed,
      { timeoutMs: 25_000, description: `${flags.length} messages processed` },
    );
    const verdicts = new Map(processed.map((event) => [event.flagKeys.join(','), event]));
    for (const flag of flags) {
      const outcome = outcomes.get(flag.flagKey)!;
      expect(verdicts.get(flag.flagKey), flag.flagKey).toMatchObject({
        action: 'deleted',
        reason: outcome.explanation.matches.length > 0 ? 'completed' : 'no-match',
      });
    }

    // What the service wrote is what explain planned.
    expect([...new Set(reportedWrites(world.events))].sort()).toEqual(
      [...new Set(plannedWrites(expected))].sort(),
    );
    expect(world.events.object_failed).toEqual([]);

    // What arrives (destination buckets, stub-hdfs via the SFT agent) is what explain said.
    const buckets = world.sandbox.state.buckets ?? [];
    const arrived = async () => {
      const all = await Promise.all(
        buckets.map(async (bucket) => (await world.keys(bucket)).map((key) => `${bucket}/${key}`)),
      );
      return all.flat().filter((entry) => !uploaded.has(entry));
    };
    await waitFor(
      async () => {
        const present = new Set(await arrived());
        return [...expectedArrivals.keys()].every((entry) => present.has(entry));
      },
      { timeoutMs: 25_000, intervalMs: 200, description: `${expectedArrivals.size} expected objects` },
    ).catch(async (error) => {
      const present = new Set(await arrived());
      const missing = [...expectedArrivals.keys()].filter((entry) => !present.has(entry));
      throw new Error(`${(error as Error).message}; missing: ${missing.join(', ')}`);
    });
    // The SFT agent has nothing left to send (and nothing went to an error folder).
    await waitFor(async () => (await world.sftFiles()).length === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: 'an empty SFT root',
    });
    expect((await arrived()).sort()).toEqual([...expectedArrivals.keys()].sort());
    expect(await world.queueDepth(world.sandbox.state.deadLetterQueue.url)).toBe(0);

    // Contents: data objects are their source's bytes; control files list what their rule sent.
    const bodies = new Map(objects.map((o) => [o.key, o.body]));
    for (const [entry, deliveries] of expectedArrivals) {
      const slash = entry.indexOf('/');
      const content = (await world.get(entry.slice(0, slash), entry.slice(slash + 1)))?.toString();
      const allowed = deliveries.map((delivery) =>
        delivery.kind === 'data'
          ? bodies.get(delivery.sourceKey!)
          : (delivery.controlEntries ?? []).map((line) => `${line}\n`).join(''),
      );
      expect(allowed, entry).toContain(content);
    }

    // The routing map (issue 21) says the same: each rule's edge to its destination is where the
    // service wrote the rule's sample, and an SFT rule's stub NiFi nodes are where it arrived.
    const graph = buildMapGraph(buildRoutingMap(RULES, stamps, sft));
    const nodeById = new Map(graph.nodes.map((node) => [node.id, node]));
    const reachable = (id: string): MapNode[] => {
      const next = graph.edges.filter((edge) => edge.from === id).map((edge) => nodeById.get(edge.to)!);
      return [...next, ...next.flatMap((node) => reachable(node.id))];
    };
    const nifiKeys = new Set(
      [...expectedArrivals.keys()].filter((key) => key.startsWith(`${sft.nifiBucket}/`)),
    );
    let checked = 0;
    for (const { record, sample } of samples) {
      const ruleId = describeRuleKey({
        sourcePrefix: record.item.source_prefix,
        pipelineName: record.item.pipeline_name,
      });
      const ruleNode = graph.nodes.find((node) => node.identity === ruleId)!;
      const sent = world.events.object_transferred.find(
        (event) => describeRuleKey(event.rule) === ruleId && event.sourceKey === sample.dataKey,
      );
      if (!ruleNode.rule?.valid) {
        expect(sent, ruleId).toBeUndefined();
        continue;
      }
      const next = reachable(ruleNode.id);
      const destination = next[0]!;
      const written = sent!.destination;
      if (written.transferType === 'S3') {
        expect(destination.identity, ruleId).toBe(
          s3Url(written.bucket, written.key.slice(0, written.key.lastIndexOf('/') + 1)),
        );
      } else {
        expect(destination.identity, ruleId).toBe(`sft ${path.posix.join('/', written.directory)}`);
        const arrived = [...nifiKeys].filter((key) => key.endsWith(`/${written.fileName}`));
        expect(arrived.length, ruleId).toBeGreaterThan(0);
        const nifi = next.filter((node) => node.kind === 'nifi').map((node) => node.identity);
        for (const key of arrived) {
          expect(
            nifi.some(
              (prefix) =>
                `s3://${key}`.startsWith(prefix) && !`s3://${key}`.slice(prefix.length).includes('/'),
            ),
            key,
          ).toBe(true);
        }
      }
      expect(
        next.some((node) => node.identity === `recipient ${record.item.recipient_name}`),
        ruleId,
      ).toBe(true);
      checked += 1;
    }
    expect(checked).toBe(96);
  }, 90_000);
});

/** `e2e1-` in front of a file name (after a leading dot), so each scenario's files are its own. */
function tagName(name: string, tag: string): string {
  if (name.endsWith('/')) return name;
  const slash = name.lastIndexOf('/');
  const base = name.slice(slash + 1);
  const tagged = base.startsWith('.') ? `.${tag}-${base.slice(1)}` : `${tag}-${base}`;
  return `${name.slice(0, slash + 1)}${tagged}`;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * A generated scenario moved into its own namespace (`<tag>/` prefixes, `<tag>-` file names and
 * pipelines, its own destination buckets) and made concrete for the day of `stamps`.
 */
function prepareScenario(scenario: Scenario, tag: string, stamps: DateStamps, dayBefore: DateStamps) {
  const sources: Record<string, string> = { 'src-a': 'source', 'src-b': 'published-bucket' };
  const destinations: Record<string, string> = { 'dst-a': `${tag}-dst-a`, 'dst-b': `${tag}-dst-b` };
  const items = scenario.items.map((item) => ({
    ...item,
    source_prefix: `${tag}/${item.source_prefix}`,
    pipeline_name: `${tag}-${item.pipeline_name}`,
    source_bucket: sources[item.source_bucket]!,
    destination_bucket: destinations[item.destination_bucket ?? 'dst-a']!,
    // `..` as a control file name is refused for SFT and names an odd S3 key: the in-memory property
    // covers it; here names stay ones the embedded S3 stores as they are.
    control_file_prefix:
      item.control_file_prefix && item.control_file_prefix !== '..'
        ? `${tag}-${item.control_file_prefix}`
        : '',
    manifest_file_name: item.manifest_file_name ? `${tag}-${item.manifest_file_name}` : '',
  }));
  const { objects, flags } = concreteScenario(scenario, items, {
    stamps,
    dayBefore,
    otherBucket: (bucket) => (bucket === 'source' ? 'published-bucket' : 'source'),
    name: (name) => tagName(name, tag),
    strayPrefix: `${tag}-elsewhere/`,
    withoutFlagNames: true,
  });
  return {
    items,
    objects: objects.map((object) => ({ ...object, body: `${tag} ${object.bucket}/${object.key}\n` })),
    flags,
    destinations,
  };
}

describe('routes explain agrees with the service for generated rules, end to end', () => {
  // A few generated scenarios, chosen among many (deterministically) for how much they deliver,
  // so the end-to-end runs are not spent on rule sets that do nothing.
  const today = dateStamps(new Date(), process.env.EGRESS_TIME_ZONE || process.env.TZ || 'UTC');
  const yesterday = dateStamps(
    new Date(Date.now() - 86_400_000),
    process.env.EGRESS_TIME_ZONE || process.env.TZ || 'UTC',
  );
  const scored = fc.sample(scenarioArbitrary, { seed: 20_261_204, numRuns: 300 }).map((scenario) => {
    const prepared = prepareScenario(scenario, 'score', today, yesterday);
    const records = recordsFromItems(prepared.items, 'score');
    const outcomes = prepared.flags.map((flag) =>
      expectedDeliveries(records, flag.key, prepared.objects, today, sftContextFor(undefined)),
    );
    const deliveries = outcomes.flatMap((outcome) => outcome.deliveries);
    const data = new Set(
      deliveries.filter((d) => d.kind === 'data').map((d) => describeDestination(d.written)),
    );
    const kinds = new Set(
      deliveries.flatMap((d) =>
        d.arrivals.map((a) => (a.kind === 's3' ? `s3 ${a.via.slice(0, 3)}` : a.kind)),
      ),
    );
    const refused = outcomes.flatMap((outcome) => outcome.failingRules).length;
    return { scenario, score: 3 * data.size + 12 * kinds.size + 2 * refused };
  });
  const scenarios = scored
    .sort((a, b) => b.score - a.score)
    .slice(0, 3)
    .map((entry) => entry.scenario);
  it.each(scenarios.map((scenario, index) => ({ scenario, tag: `e2e${index + 1}` })))(
    'scenario $tag: what arrives where, what fails, and the verdicts, as explain says',
    async ({ scenario, tag }) => {
      const target = sandboxTarget(world.sandbox.state);
      const timeZone = world.sandbox.components.egress.config.timeZone;
      const stampsNow = dateStamps(new Date(), timeZone);
      const dayBefore = dateStamps(new Date(Date.now() - 86_400_000), timeZone);
      const { items, objects, flags, destinations } = prepareScenario(scenario, tag, stampsNow, dayBefore);
      for (const bucket of Object.values(destinations)) await createBucket(world.s3, bucket);
      const documents = createDocumentClient(target);
      for (const item of items) {
        await documents.send(new PutCommand({ TableName: world.sandbox.state.table, Item: item }));
      }
      documents.destroy();
      for (const object of objects) await world.put(object.bucket, object.key, object.body);

      // The explanation over the whole table and what the source buckets hold now.
      const table: RoutingItemRecord[] = [...RULES, ...recordsFromItems(items, tag)];
      const listed = (
        await Promise.all(
          ['source', 'published-bucket', 'htme-s3-bucket'].map(async (bucket) =>
            (await world.keys(bucket)).map((key) => ({ bucket, key })),
          ),
        )
      ).flat();
      const outcomes = flags.map((flag) => expectedDeliveries(table, flag.key, listed, stampsNow, sft));

      const processedBefore = world.events.message_processed.length;
      for (const flag of flags) await world.put(flag.bucket, flag.key, Buffer.alloc(0));
      const firstVerdicts = await waitFor(
        () => {
          const seen = new Map<string, (typeof world.events.message_processed)[number]>();
          for (const event of world.events.message_processed.slice(processedBefore)) {
            const key = event.flagKeys.join(',');
            if (!seen.has(key)) seen.set(key, event);
          }
          return flags.every((flag) => seen.has(flag.key)) && seen;
        },
        { timeoutMs: 20_000, description: `${flags.length} flags processed` },
      );
      flags.forEach((flag, index) => {
        const outcome = outcomes[index]!;
        const expected =
          outcome.explanation.matches.length === 0
            ? { action: 'deleted', reason: 'no-match' }
            : outcome.failingRules.length > 0
              ? { action: 'retained', reason: 'failed' }
              : { action: 'deleted', reason: 'completed' };
        expect(firstVerdicts.get(flag.key), flag.key).toMatchObject(expected);
      });

      // Written by the service = planned by explain (retries write the same again).
      const ours = (rule: { pipelineName: string }) => rule.pipelineName.startsWith(`${tag}-`);
      const expected = outcomes.flatMap((outcome) => outcome.deliveries);
      const planned = new Set(plannedWrites(expected));
      const written = () => new Set(reportedWrites(world.events, ours));
      await waitFor(() => written().size >= planned.size, {
        timeoutMs: 10_000,
        description: 'every planned file written',
      }).catch(() => undefined);
      expect([...written()].sort()).toEqual([...planned].sort());
      expect(reportedFailures(world.events, ours).sort()).toEqual(plannedRefusals(outcomes).sort());

      // Where it rests: destination buckets, stub-hdfs, SFT files no route takes, error folders.
      const arrivals = expected.flatMap((delivery) => delivery.arrivals);
      const s3Arrivals = new Set(
        arrivals.flatMap((arrival) => (arrival.kind === 's3' ? [`${arrival.bucket}/${arrival.key}`] : [])),
      );
      const files = arrivals.flatMap((arrival) => (arrival.kind === 's3' ? [] : [arrival.path]));
      const nifiBucket = world.sandbox.state.nifi!.bucket;
      const present = async () => {
        const keys = await Promise.all(
          [...Object.values(destinations), nifiBucket].map(async (bucket) =>
            (await world.keys(bucket))
              .filter((key) => bucket !== nifiBucket || path.posix.basename(key).includes(`${tag}-`))
              .map((key) => `${bucket}/${key}`),
          ),
        );
        return new Set(keys.flat());
      };
      const sftRoot = world.sandbox.state.sftRoot;
      await waitFor(
        async () => {
          const keys = await present();
          const allFiles = await Promise.all(files.map((file) => exists(path.join(sftRoot, file))));
          return [...s3Arrivals].every((key) => keys.has(key)) && allFiles.every(Boolean);
        },
        { timeoutMs: 20_000, intervalMs: 200, description: 'every predicted arrival' },
      );
      expect([...(await present())].sort()).toEqual([...s3Arrivals].sort());
    },
    60_000,
  );
});
