import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { Limiter } from '../../src/util/concurrency.ts';
import { waitFor } from '../../src/util/wait.ts';

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

describe('listing every page of a rule prefix', () => {
  it('delivers all 1,500 objects under one prefix (the original stopped at 1,000)', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'many/',
      pipeline_name: 'MANY',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'out/',
      control_file_prefix: 'many.control',
    });
    const keys = Array.from(
      { length: 1_500 },
      (_, index) => `many/part-${String(index).padStart(4, '0')}.csv`,
    );
    const limiter = new Limiter(32);
    await Promise.all(keys.map((key) => limiter.run(() => kit.putObject(source, key, key))));
    // A folder marker and a second flag under the prefix are not data.
    await kit.putObject(source, 'many/folder/', Buffer.alloc(0));
    await kit.putObject(source, 'many/pipeline_success.flag', Buffer.alloc(0));
    const { events } = await kit.startService(world, { objectConcurrency: 32 });
    await kit.sendFlag(world, 'many/pipeline_success.flag');

    // A deadline, not a speed goal (bench/ measures speed): 1,500 copies take ~5 s on a quiet
    // machine and several times that when the two cores are shared.
    const processed = await waitFor(() => events.of('message_processed')[0], {
      timeoutMs: 100_000,
      description: 'the flag of 1,500 objects to be processed',
    });
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(processed.rules[0]).toMatchObject({ objectsSent: 1_500, objectsFailed: 0 });
    const delivered = await kit.keys(destination, 'out/');
    expect(delivered).toHaveLength(1_501);
    expect(delivered).toContain('out/part-1499.csv');
    expect(delivered).toContain('out/many.control');
    const control = (await kit.getText(destination, 'out/many.control')).split('\n');
    expect(control).toHaveLength(1_501); // 1,500 names and the final newline
    expect(control[0]).toBe('part-0000.csv'); // listing order, whatever the completion order
    expect(control[1_499]).toBe('part-1499.csv');
  }, 150_000);
});
