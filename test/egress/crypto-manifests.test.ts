import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.ts';
import { CryptoHarness, recipient, recipientDecrypts } from './crypto/support/crypto-harness.ts';

let harness: CryptoHarness;
beforeAll(async () => {
  harness = await CryptoHarness.start();
});
afterAll(async () => {
  await harness?.close();
});

const SPEC_DAY = new Date('2021-09-01T12:34:56Z');
const PREFIX = 'manifests/full/db.core.claimant-';

describe('manifests in each encryption mode (behaviour §6.2)', () => {
  it('writes plaintext, DKS-encrypted and re-wrapped manifests to S3 and SFT, each readable by its recipient', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    const who = recipient('manifest-recipient');
    const parameter = `/${world.table}/manifest-recipient`;
    await harness.putParameter(parameter, who.parameterValue);
    const common = {
      source_prefix: PREFIX,
      source_bucket: source,
      decrypt: true,
      manifest_file_name: 'claimant-manifest-$TODAYS_YYYYMMDD_FORMATTED_DATE.csv',
      encrypting_key_ssm_parm_name: parameter,
    };
    const modes = { PLAIN: undefined, ENCRYPTED: 'encrypted', REWRAPPED: 'Re-Wrapped' } as const;
    for (const [pipeline, mode] of Object.entries(modes)) {
      await base.putRule(world, {
        ...common,
        pipeline_name: pipeline,
        transfer_type: 'S3',
        destination_bucket: destination,
        destination_prefix: `${pipeline.toLowerCase()}/`,
        ...(mode ? { manifest_file_encryption: mode } : {}),
      });
      await base.putRule(world, {
        ...common,
        pipeline_name: `${pipeline}#sft`,
        transfer_type: 'SFT',
        destination_prefix: `/manifests/${pipeline.toLowerCase()}/`,
        ...(mode ? { manifest_file_encryption: mode } : {}),
      });
    }
    for (const part of ['0001', '0002']) {
      const object = await harness.htme(`claimant ${part}\n`);
      await base.putObject(source, `${PREFIX}${part}.csv.enc`, object.body, object.metadata);
    }
    const { events } = await base.startService(world, { dks: harness.dksConfig }, { clock: () => SPEC_DAY });
    await base.sendFlag(world, `${PREFIX}pipeline_success.flag`, source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    expect(processed, JSON.stringify(processed?.rules)).toMatchObject({
      action: 'deleted',
      reason: 'completed',
    });
    const expectedLines = (prefix: string, suffix = '') => [
      `${prefix}db.core.claimant-0001.csv${suffix}  14 2021-09-01`,
      `${prefix}db.core.claimant-0002.csv${suffix}  14 2021-09-01`,
    ];
    const lines = (gzipped: Buffer) => gunzipSync(gzipped).toString().trim().split('\n');
    const products = { data_product: 'db.core.claimant', data_product_type: 'full' };

    // none: gzip, data-product metadata only.
    const plainKey = 'plain/claimant-manifest-20210901.csv.gz';
    expect(lines(await base.getBytes(destination, plainKey))).toEqual(expectedLines('plain/'));
    expect((await base.head(destination, plainKey)).Metadata).toEqual(products);

    // encrypted: AES-CTR under the DKS batch data key; the recipient asks the DKS for the key.
    const encryptedKey = 'encrypted/claimant-manifest-20210901.csv.gz.enc';
    const encrypted = await base.getBytes(destination, encryptedKey);
    const { Metadata: encryptedMetadata = {} } = await base.head(destination, encryptedKey);
    expect(encryptedMetadata).toMatchObject({
      ...products,
      datakeyencryptionkeyid: harness.dksStub.keyIds[0],
    });
    expect(encrypted.subarray(0, 2).toString('hex')).not.toBe('1f8b'); // not the bare gzip stream
    expect(lines(await harness.decryptHtme(encrypted, encryptedMetadata))).toEqual(
      expectedLines('encrypted/'),
    );

    // re-wrapped: the same, with the batch key RSA-wrapped for the recipient named by SSM.
    const rewrappedKey = 'rewrapped/claimant-manifest-20210901.csv.gz.enc';
    const rewrapped = await base.getBytes(destination, rewrappedKey);
    const { Metadata: rewrappedMetadata = {} } = await base.head(destination, rewrappedKey);
    expect(rewrappedMetadata).toMatchObject({ ...products, datakeyencryptionkeyid: who.keyId });
    expect(rewrappedMetadata.iv).not.toBe(encryptedMetadata.iv); // a fresh IV per manifest
    expect(lines(recipientDecrypts(who.privateKey, rewrapped, rewrappedMetadata))).toEqual(
      expectedLines('rewrapped/'),
    );

    // SFT: the same names and bodies, but no metadata — an encrypted SFT manifest travels without its key (parity).
    const sft = (mode: string) => path.join(world.sftRoot, 'manifests', mode);
    expect(lines(await readFile(path.join(sft('plain'), 'claimant-manifest-20210901.csv.gz')))).toEqual(
      expectedLines('manifests/plain/', '.enc'), // SFT data files keep `.enc` (parity)
    );
    for (const mode of ['encrypted', 'rewrapped']) {
      const files = (await readdir(sft(mode))).sort();
      expect(files).toEqual([
        'claimant-manifest-20210901.csv.gz.enc',
        'db.core.claimant-0001.csv.enc',
        'db.core.claimant-0002.csv.enc',
      ]);
      const body = await readFile(path.join(sft(mode), files[0]!));
      expect(body.subarray(0, 2).toString('hex')).not.toBe('1f8b');
    }
  });

  it('fails the rule when a re-wrapped manifest has no parameter to read, naming the column', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(world, {
      source_prefix: 'nokey/',
      pipeline_name: 'NOKEY',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      manifest_file_name: 'nokey-manifest.csv',
      manifest_file_encryption: 'rewrapped',
    });
    await base.putObject(source, 'nokey/data.csv', 'plain data');
    const { service, events } = await base.startService(world, { dks: harness.dksConfig });
    await base.sendFlag(world, 'nokey/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    await service.stop();
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    expect(processed.rules[0]?.failure).toContain(
      'manifest file failed: manifest_file_encryption is re-wrapped but encrypting_key_ssm_parm_name is not set',
    );
    expect(await base.keys(destination)).toEqual(['data.csv']);
  });
});
