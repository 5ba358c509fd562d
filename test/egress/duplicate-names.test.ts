import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Issue 12, item 4: two objects of one rule whose names flatten to the same destination
 * (`north/totals.csv`, `south/totals.csv`) overwrote each other — the winner was whichever upload
 * finished last — and the control file listed the name twice. The rule must fail before anything is
 * transferred, with a reason naming both keys, and the message end in the DLQ after its retries.
 */

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

describe('duplicate destination names within one rule', () => {
  it.each([
    ['S3', { transfer_type: 'S3' }],
    ['SFT', { transfer_type: 'SFT', destination_prefix: '/data-egress/dup/' }],
  ])(
    '%s: nothing is transferred, the rule fails naming both keys, the message ends in the DLQ',
    async (kind, rule) => {
      const world = await kit.world({ maxReceiveCount: 2 });
      const source = await kit.bucket('source');
      const destination = await kit.bucket('destination');
      await kit.putRule(world, {
        source_prefix: 'dup/',
        pipeline_name: `DUP_${kind}`,
        source_bucket: source,
        destination_bucket: destination,
        destination_prefix: 'out/',
        control_file_prefix: 'dup.ctl',
        ...rule,
      });
      await kit.putObject(source, 'dup/north/totals.csv', 'north');
      await kit.putObject(source, 'dup/south/totals.csv', 'south');
      await kit.putObject(source, 'dup/other.csv', 'other');
      const { events } = await kit.startService(world, {
        visibilityTimeoutSeconds: 2,
        heartbeatIntervalSeconds: 1,
      });
      const messageId = await kit.sendFlag(world, 'dup/pipeline_success.flag');

      const processed = await waitFor(() => events.of('message_processed')[0]);
      expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
      const summary = processed.rules[0]!;
      expect(summary).toMatchObject({ succeeded: false, objectsSent: 0 });
      expect(summary.failure).toMatch(
        /totals\.csv from "dup\/north\/totals\.csv" and "dup\/south\/totals\.csv"/,
      );
      // Nothing of the rule was transferred, not even the objects that do not collide.
      expect(events.of('object_transferred')).toEqual([]);
      expect(await kit.keys(destination)).toEqual([]);
      expect(await readdir(world.sftRoot)).toEqual([]);

      const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
        timeoutMs: 15_000,
        description: 'the message to be redriven to the DLQ',
      });
      expect(inDlq.MessageId).toBe(messageId);
    },
  );
});
