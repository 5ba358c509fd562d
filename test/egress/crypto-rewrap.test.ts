import { gunzipSync } from 'node:zlib';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDksEgressCrypto,
  createEgressCrypto,
  type OwnedEgressCrypto,
  RewrapKeySource,
  readRewrapKey,
} from '../../src/egress/crypto/index.ts';
import type { EgressCrypto } from '../../src/egress/transfer/content-seam.ts';
import { waitFor } from '../../src/util/wait.ts';
import { CryptoHarness, recipient, recipientDecrypts } from './crypto/support/crypto-harness.ts';

let harness: CryptoHarness;
let owned: OwnedEgressCrypto;
beforeAll(async () => {
  harness = await CryptoHarness.start();
  owned = await createDksEgressCrypto(harness.dksConfig);
});
afterAll(async () => {
  await owned?.close();
  await harness?.close();
});

/** The service's crypto, with every SSM read recorded: parameter name and the credentials used. */
function countingCrypto(): { crypto: EgressCrypto; reads: { name: string; accessKeyId: string }[] } {
  const reads: { name: string; accessKeyId: string }[] = [];
  const rewrapKeys = new RewrapKeySource(async (ssm: SSMClient, name: string, signal?: AbortSignal) => {
    const credentials = await ssm.config.credentials();
    reads.push({ name, accessKeyId: credentials.accessKeyId });
    return readRewrapKey(ssm, name, signal);
  });
  return { crypto: createEgressCrypto({ dks: owned.dks, rewrapKeys }), reads };
}

const ROLE = 'arn:aws:iam::123456789012:role/recipient-egress';

describe.concurrent('re-wrapping data keys for a recipient (rewrap_datakey, S3)', () => {
  it('re-wraps: body untouched, recipient key metadata, decryptable with the private key; SSM read once per rule per message', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    const [a, b] = [recipient('recipient-a-key'), recipient('recipient-b-key')];
    const [nameA, nameB] = [`/${world.table}/recipient-a`, `/${world.table}/recipient-b`];
    await harness.putParameter(nameA, a.parameterValue);
    await harness.putParameter(nameB, b.parameterValue);
    const common = {
      source_prefix: 'rewrap/incremental/db.core.contract-',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      rewrap_datakey: true,
    };
    await base.putRule(world, {
      ...common,
      pipeline_name: 'WITH_ROLE',
      destination_prefix: 'a/',
      encrypting_key_ssm_parm_name: nameA,
      role_arn: ROLE,
      manifest_file_name: 'contract-manifest.csv',
      manifest_file_encryption: 're-wrapped',
    });
    await base.putRule(world, {
      ...common,
      pipeline_name: 'OWN_CREDENTIALS',
      destination_prefix: 'b/',
      encrypting_key_ssm_parm_name: nameB,
    });
    const plaintexts = Array.from({ length: 6 }, (_, i) => Buffer.from(`contract ${i}\n`.repeat(50 + i)));
    const dataKey = await harness.dataKey();
    const objects = await Promise.all(
      plaintexts.map(async (plaintext, i) => {
        const extra: Record<string, string> =
          i === 0 ? {} : { data_product: 'db.core.contract', data_product_type: 'incremental' };
        const object = await harness.htme(plaintext, extra, dataKey);
        await base.putObject(
          source,
          `rewrap/incremental/db.core.contract-${i}.csv.enc`,
          object.body,
          object.metadata,
        );
        return object;
      }),
    );
    const { crypto, reads } = countingCrypto();
    const { events } = await base.startService(world, {}, { crypto });
    const completed = () =>
      events.of('message_processed').filter((event) => event.reason === 'completed').length;

    await base.sendFlag(world, 'rewrap/incremental/db.core.contract-pipeline_success.flag', source);
    await waitFor(() => completed() === 1, { timeoutMs: 20_000 });
    const roleKey = base.edge.assumedRoles().find((role) => role.roleArn === ROLE)?.accessKeyId;
    expect(roleKey).toBeDefined();
    // Once per rule (the manifest shares the read), through the rule's assumed role when it has one.
    expect(reads.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: nameA, accessKeyId: roleKey },
      { name: nameB, accessKeyId: 'test' },
    ]);

    for (const [prefix, who] of [
      ['a/', a],
      ['b/', b],
    ] as const) {
      for (const [i, plaintext] of plaintexts.entries()) {
        const key = `${prefix}db.core.contract-${i}.csv.enc`;
        const body = await base.getBytes(destination, key);
        const { Metadata = {} } = await base.head(destination, key);
        expect(body).toEqual(objects[i]!.body); // the ciphertext as the producer wrote it
        expect(Metadata.iv).toBe(objects[i]!.metadata.iv);
        expect(Metadata.datakeyencryptionkeyid).toBe(who.keyId);
        expect(Metadata.ciphertext).not.toBe(objects[i]!.metadata.ciphertext);
        if (i > 0)
          expect(Metadata).toMatchObject({
            data_product: 'db.core.contract',
            data_product_type: 'incremental',
          });
        expect(recipientDecrypts(who.privateKey, body, Metadata)).toEqual(plaintext);
      }
    }
    const manifestKey = 'a/contract-manifest.csv.gz.enc';
    const manifest = await base.getBytes(destination, manifestKey);
    const { Metadata: manifestMetadata = {} } = await base.head(destination, manifestKey);
    expect(manifestMetadata).toMatchObject({
      datakeyencryptionkeyid: a.keyId,
      data_product: 'db.core.contract',
      data_product_type: 'incremental',
    });
    const lines = gunzipSync(recipientDecrypts(a.privateKey, manifest, manifestMetadata))
      .toString()
      .trim()
      .split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^a\/db\.core\.contract-0\.csv\.enc {2}\d+ \d{4}-\d{2}-\d{2}$/);

    // The next message reads again (a rotated key is picked up), still once per rule.
    await base.sendFlag(world, 'rewrap/incremental/db.core.contract-pipeline_success.flag', source);
    await waitFor(() => completed() === 2, { timeoutMs: 20_000 });
    expect(reads).toHaveLength(4);
  });

  it('fails the objects with an error naming a missing or malformed parameter, and reports decrypt + rewrap as an invalid rule', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    const missing = `/${world.table}/missing`;
    const malformed = `/${world.table}/malformed`;
    const valid = `/${world.table}/valid`;
    await harness.putParameter(malformed, '{"KeyId": "k", "PublicKey": ');
    await harness.putParameter(valid, recipient('valid-key').parameterValue);
    const common = {
      source_prefix: 'bad-keys/',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      rewrap_datakey: true,
    };
    await base.putRule(world, {
      ...common,
      pipeline_name: 'MISSING',
      destination_prefix: 'missing/',
      encrypting_key_ssm_parm_name: missing,
    });
    await base.putRule(world, {
      ...common,
      pipeline_name: 'MALFORMED',
      destination_prefix: 'malformed/',
      encrypting_key_ssm_parm_name: malformed,
    });
    await base.putRule(world, {
      ...common,
      pipeline_name: 'BOTH',
      destination_prefix: 'both/',
      encrypting_key_ssm_parm_name: valid,
      decrypt: true,
    });
    for (const name of ['one', 'two']) {
      const object = await harness.htme(name);
      await base.putObject(source, `bad-keys/${name}.csv.enc`, object.body, object.metadata);
    }
    const { crypto, reads } = countingCrypto();
    const { service, events } = await base.startService(world, {}, { crypto });
    await base.sendFlag(world, 'bad-keys/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    await service.stop();
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    const reasons = (pipeline: string) =>
      events
        .of('object_failed')
        .filter((event) => event.rule.pipelineName === pipeline)
        .map((event) => event.reason);
    expect(reasons('MISSING')).toEqual(
      Array(2).fill(
        expect.stringContaining(
          `no re-wrap key: re-wrap key parameter '${missing}' does not exist in SSM Parameter Store`,
        ),
      ),
    );
    expect(reasons('MALFORMED')).toEqual(
      Array(2).fill(
        expect.stringContaining(`no re-wrap key: re-wrap key parameter '${malformed}' is not a JSON object`),
      ),
    );
    // decrypt + rewrap on an S3 rule is an invalid item: reported, and it takes no action.
    expect(reasons('BOTH')).toEqual([]);
    expect(events.of('rule_invalid').map((event) => [event.key.pipelineName, event.reason])).toContainEqual([
      'BOTH',
      expect.stringContaining('rewrap_datakey: cannot be true together with decrypt'),
    ]);
    // Each parameter read once for the rule, not per object; the refused rule never read its key.
    expect(reads.map((read) => read.name).sort()).toEqual([malformed, missing].sort());
    expect(await base.keys(destination)).toEqual([]);
  });
});
