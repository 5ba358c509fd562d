import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { describeDestination } from '../../src/egress/plan/locations.ts';
import { describeRuleKey } from '../../src/egress/rules/rule.ts';
import { type ExpectedDelivery, expectedDeliveries, recordsFromItems } from '../../src/rule-tools/index.ts';
import { plannedRefusals, plannedWrites, reportedFailures, reportedWrites } from './support/compare.ts';
import { concreteScenario, scenarioArbitrary } from './support/generated-rules.ts';
import { type MemoryObject, processInMemory } from './support/in-memory-service.ts';

/*
 * Property: for any rules, objects and flags, `egress routes explain` plans exactly what the egress
 * service writes. The service side is the service's own message processing over in-memory S3
 * (support/in-memory-service.ts) with the real SFT sink; the explanation side is
 * `expectedDeliveries`, which reads `explainKey`. Compared: the message's verdict, every file
 * written (data, control, manifest) with its source, the objects that fail, and contents.
 */

let sftRoot: string;
beforeAll(async () => {
  sftRoot = await mkdtemp(path.join(os.tmpdir(), 'explain-property-'));
});
afterAll(async () => {
  await rm(sftRoot, { recursive: true, force: true });
});

describe('routes explain plans what the egress service writes (property)', () => {
  it('for generated rules, objects and flags: same files, same failures, same verdict, same contents', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        run += 1;
        const stamps = dateStamps(scenario.now, 'UTC');
        const dayBefore = dateStamps(new Date(scenario.now.getTime() - 86_400_000), 'UTC');
        const items = scenario.items;
        const concrete = concreteScenario(scenario, items, {
          stamps,
          dayBefore,
          otherBucket: (bucket) => (bucket === 'src-a' ? 'src-b' : 'src-a'),
        });
        const objects: MemoryObject[] = concrete.objects;
        const flagKeys = concrete.flags.map((flag) => flag.key);
        const root = path.join(sftRoot, String(run));
        await mkdir(root);
        const service = await processInMemory({ items, objects, flagKeys, now: scenario.now, sftRoot: root });

        // The explanation, flag by flag (the service runs a rule once however many flags fire it).
        const records = recordsFromItems(items, 'generated');
        const outcomes = flagKeys.map((flag) =>
          expectedDeliveries(records, flag, objects, stamps, undefined),
        );
        const seenRules = new Set<string>();
        const expected: ExpectedDelivery[] = [];
        for (const outcome of outcomes) {
          const rules = new Set(outcome.deliveries.map((d) => describeRuleKey(d.rule)));
          for (const delivery of outcome.deliveries) {
            if (!seenRules.has(describeRuleKey(delivery.rule))) expected.push(delivery);
          }
          for (const rule of rules) seenRules.add(rule);
        }

        // Files written, and objects that fail.
        expect(reportedWrites(service.events).sort()).toEqual(plannedWrites(expected).sort());
        expect(reportedFailures(service.events).sort()).toEqual(plannedRefusals(outcomes).sort());

        // The message's verdict.
        const fired = outcomes.some((outcome) => outcome.explanation.matches.length > 0);
        const failing = outcomes.some((outcome) => outcome.failingRules.length > 0);
        expect(service.verdict).toMatchObject(
          !fired
            ? { action: 'delete', reason: 'no-match' }
            : failing
              ? { action: 'retain', reason: 'failed' }
              : { action: 'delete', reason: 'completed' },
        );

        // Contents: data is the source (decompressed when compressed); control files list the sent names.
        for (const delivery of expected) {
          const where = describeDestination(delivery.written);
          const file = service.written.findLast((entry) => describeDestination(entry.destination) === where);
          expect(file, where).toBeDefined();
          // Two rules may write one place: the last write wins, so any of them may be what is there.
          const rivals = expected.filter(
            (other) => other.kind === delivery.kind && describeDestination(other.written) === where,
          );
          if (delivery.kind === 'data') {
            const content =
              delivery.compression === 'gz'
                ? gunzipSync(file!.content)
                : delivery.compression === 'z'
                  ? inflateSync(file!.content)
                  : file!.content;
            expect(rivals.map((other) => other.sourceKey)).toContain(content.toString());
          } else if (delivery.kind === 'control') {
            expect(
              rivals.map((other) => (other.controlEntries ?? []).map((entry) => `${entry}\n`).join('')),
            ).toContain(file!.content.toString());
          }
        }
      }),
      { numRuns: 150, seed: Number(process.env.PROPERTY_SEED ?? 20_261_124) },
    );
  }, 120_000);
});
