import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDksEgressCrypto } from '../../src/egress/crypto/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { CryptoHarness } from './crypto/support/crypto-harness.ts';
import { specContent } from './support/spec-content.ts';

let harness: CryptoHarness;
beforeAll(async () => {
  harness = await CryptoHarness.start();
});
afterAll(async () => {
  await harness?.close();
});

const rule = (source: string, destination: string, prefix: string) => ({
  source_prefix: prefix,
  pipeline_name: 'INTEGRATION_TESTS',
  transfer_type: 'S3',
  source_bucket: source,
  destination_bucket: destination,
  destination_prefix: prefix,
  decrypt: true,
});

// Sequential: the stub's fault knob is shared by everything that talks to it.
describe('the Data Key Service failing', () => {
  it('retries 5xx with back-off inside the message: two 503s, then the key, and the object is delivered', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(world, rule(source, destination, 'flaky/'));
    const plaintext = Buffer.from(specContent('flaky'));
    const object = await harness.htme(plaintext);
    await base.putObject(source, 'flaky/flaky.csv.enc', object.body, object.metadata);
    // The service's own construction path, with a shorter back-off than the 1 s default.
    const owned = await createDksEgressCrypto(harness.dksConfig, {
      client: { retry: { initialDelayMs: 50, multiplier: 2 } },
    });
    try {
      const { events } = await base.startService(world, {}, { crypto: owned.crypto });
      const mark = harness.requestMark();
      harness.dksStub.faults.failNext(2, 503);
      await base.sendFlag(world, 'flaky/pipeline_success.flag', source);

      const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
      expect(processed, JSON.stringify(processed?.rules)).toMatchObject({
        action: 'deleted',
        reason: 'completed',
      });
      expect(await base.getBytes(destination, 'flaky/flaky.csv')).toEqual(plaintext);
      expect(harness.decryptStatusesSince(mark)).toEqual([503, 503, 200]);
      expect(events.of('message_received')).toHaveLength(1); // recovered within the message
    } finally {
      harness.dksStub.faults.reset();
      await owned.close();
    }
  });

  it('does not retry a 400: the object fails at once, the message is retained, and redrive moves it to the DLQ', async () => {
    const base = harness.base;
    const world = await base.world({ maxReceiveCount: 2 });
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(world, rule(source, destination, 'refused/'));
    const good = await harness.htme('good');
    const refused = await harness.htme('refused');
    // Valid Base64 that does not unwrap under the key id: the stub answers 400 every time.
    const wrongKey = randomBytes(60).toString('base64');
    await base.putObject(source, 'refused/good.csv.enc', good.body, good.metadata);
    await base.putObject(source, 'refused/refused.csv.enc', refused.body, {
      ...refused.metadata,
      ciphertext: wrongKey,
    });
    const { events } = await base.startService(world, {
      dks: harness.dksConfig,
      visibilityTimeoutSeconds: 2,
      heartbeatIntervalSeconds: 1,
    });
    const messageId = await base.sendFlag(world, 'refused/pipeline_success.flag', source);

    const dead = await waitFor(() => base.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 20_000,
      description: 'the message in the DLQ',
    });
    expect(dead.MessageId).toBe(messageId);
    const receives = events.of('message_received').filter((event) => event.messageId === messageId);
    expect(receives.length).toBe(2);
    // One DKS request per processing: a 400 is final within the message.
    expect(harness.decryptStatusesFor(wrongKey)).toEqual([400, 400]);
    expect(events.of('message_processed').map((event) => [event.action, event.reason])).toEqual([
      ['retained', 'failed'],
      ['retained', 'failed'],
    ]);
    const failures = events.of('object_failed');
    expect(failures.map((event) => event.sourceKey)).toEqual([
      'refused/refused.csv.enc',
      'refused/refused.csv.enc',
    ]);
    expect(failures[0]?.reason).toMatch(
      /could not be unwrapped by the DKS: Decrypting encryptedKey: 'sha256:[0-9a-f]{12}' .* returned status code '400'/,
    );
    expect(failures[0]?.reason).not.toContain(wrongKey);
    // The other object of the rule was delivered (twice, idempotently); no control file announced it.
    expect(await base.keys(destination)).toEqual(['refused/good.csv']);
  });
});
