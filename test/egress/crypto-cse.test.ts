import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDksEgressCrypto,
  encryptCseAesWrap,
  encryptCseV1,
  encryptCseV2,
} from '../../src/egress/crypto/index.ts';
import type { EgressCrypto } from '../../src/egress/transfer/content-seam.ts';
import { waitFor } from '../../src/util/wait.ts';
import { CryptoHarness } from './crypto/support/crypto-harness.ts';
import { startEdgeProxy } from './support/edge-proxy.ts';
import { specContent } from './support/spec-content.ts';

let harness: CryptoHarness;
beforeAll(async () => {
  harness = await CryptoHarness.start();
});
afterAll(async () => {
  await harness?.close();
});

/** A DKS data key as the CSE master key, named in the matdesc as the EMR materials provider does. */
async function masterKey() {
  const key = await harness.dataKey();
  return {
    key: key.plaintextDataKey,
    matdesc: { keyid: key.keyEncryptionKeyId, encryptedkey: key.encryptedDataKey },
  };
}

describe.concurrent('client-side-encrypted (CSE) objects', () => {
  it('decrypts every supported envelope format through the DKS-unwrapped master key, even with decrypt false', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(world, {
      source_prefix: 'cse/',
      pipeline_name: 'INTEGRATION_TESTS',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'cse/',
      decrypt: false,
    });
    const master = await masterKey();
    const plaintext = (name: string) => Buffer.from(specContent(name));
    const objects = {
      'cse.csv': encryptCseV2(plaintext('cse.csv'), master.key, master.matdesc),
      'aeswrap-gcm.csv': encryptCseAesWrap(
        plaintext('aeswrap-gcm.csv'),
        master.key,
        master.matdesc,
        'AES/GCM/NoPadding',
      ),
      'aeswrap-cbc.csv': encryptCseAesWrap(
        plaintext('aeswrap-cbc.csv'),
        master.key,
        master.matdesc,
        'AES/CBC/PKCS5Padding',
      ),
      'v1.csv.enc': encryptCseV1(plaintext('v1.csv.enc'), master.key, master.matdesc),
    };
    for (const [name, object] of Object.entries(objects)) {
      await base.putObject(source, `cse/${name}`, object.body, object.metadata);
    }
    const { events } = await base.startService(world, { dks: harness.dksConfig });
    await base.sendFlag(world, 'cse/pipeline_success.flag', source);

    await waitFor(() => events.of('message_processed')[0]?.reason === 'completed', { timeoutMs: 20_000 });
    // `.enc` stays with decrypt false (parity), although the content is plaintext.
    expect(await base.keys(destination)).toEqual(
      Object.keys(objects)
        .map((name) => `cse/${name}`)
        .sort(),
    );
    for (const name of Object.keys(objects)) {
      expect(await base.getBytes(destination, `cse/${name}`)).toEqual(plaintext(name));
      expect((await base.head(destination, `cse/${name}`)).Metadata).toEqual({});
    }
    // One master key: unwrapped once by the DKS, however many objects use it.
    expect(harness.decryptStatusesFor(master.matdesc.encryptedkey)).toEqual([200]);
  });

  it('writes nothing for a tampered GCM object: the multipart upload already under way is aborted (S3)', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(world, {
      source_prefix: 'tampered/',
      pipeline_name: 'INTEGRATION_TESTS',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'tampered/',
    });
    const master = await masterKey();
    // Larger than a part (8 MiB): plaintext goes up before the tag at the very end is checked.
    const tampered = encryptCseV2(randomBytes(12 * 1024 * 1024), master.key, master.matdesc);
    tampered.body[tampered.body.length - 1]! ^= 0x01;
    const intact = encryptCseV2(Buffer.from('intact'), master.key, master.matdesc);
    await base.putObject(source, 'tampered/big.csv', tampered.body, tampered.metadata);
    await base.putObject(source, 'tampered/intact.csv', intact.body, intact.metadata);
    // Through a recording proxy: the edge reports finished objects only, not parts and aborts.
    const proxy = await startEdgeProxy(base.edge.endpoint);
    const partUploaded = () =>
      proxy.requests.some((request) => request.method === 'PUT' && request.url.includes('partNumber=1'));
    // The service's crypto, with the END of the tampered source held back until a plaintext part
    // has been uploaded: the tag failure then provably hits an upload under way (no timing luck).
    const owned = await createDksEgressCrypto(harness.dksConfig);
    const crypto: EgressCrypto = {
      sealManifest: (manifest) => owned.crypto.sealManifest(manifest),
      transformObject: (object, context) => {
        if (!object.key.endsWith('big.csv')) return owned.crypto.transformObject(object, context);
        const held = new Transform({
          transform: (chunk, _encoding, callback) => callback(null, chunk),
          flush: (callback) => {
            waitFor(partUploaded, { timeoutMs: 10_000, description: 'part 1 uploaded' }).then(
              () => callback(),
              callback,
            );
          },
        });
        pipeline(object.body, held, () => {});
        return owned.crypto.transformObject({ ...object, body: held }, context);
      },
    };
    const { service, events } = await base.startService(
      world,
      { aws: { ...base.edge.target, endpoint: proxy.url } },
      { crypto },
    );
    await base.sendFlag(world, 'tampered/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    // lib-storage sends the abort in the background once the failed part uploads have settled.
    await waitFor(() => proxy.requests.some((request) => request.method === 'DELETE'), {
      timeoutMs: 10_000,
      description: 'AbortMultipartUpload',
    });
    await service.stop();
    await proxy.stop();
    await owned.close();
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    expect(events.of('object_failed')).toEqual([
      expect.objectContaining({
        sourceKey: 'tampered/big.csv',
        reason: expect.stringContaining('AES-GCM authentication failed'),
      }),
    ]);
    expect(await base.keys(destination)).toEqual(['tampered/intact.csv']);
    const big = proxy.requests.filter((request) =>
      request.url.startsWith(`/${destination}/tampered/big.csv?`),
    );
    const [created, ...rest] = big.map(
      (request) => `${request.method} ${request.url.split('?')[1]?.replace(/=[^&]*/g, '')} ${request.status}`,
    );
    // A plaintext part went up before the tag was checked; the upload was aborted, never completed.
    expect(created).toBe('POST uploads 200');
    expect(rest).toContain('PUT partNumber&uploadId&x-id 200');
    expect(rest.at(-1)).toMatch(/^DELETE uploadId&x-id 20\d$/);
    expect(rest.filter((request) => request.startsWith('POST'))).toEqual([]);
  });

  it('leaves no file, not even a temporary one, for a tampered object sent by SFT', async () => {
    const base = harness.base;
    const world = await base.world();
    const source = await base.bucket('source');
    await base.putRule(world, {
      source_prefix: 'tampered-sft/',
      pipeline_name: 'INTEGRATION_TESTS#sft',
      transfer_type: 'SFT',
      source_bucket: source,
      destination_prefix: '/cse-sft/',
    });
    const master = await masterKey();
    const tampered = encryptCseV2(randomBytes(256 * 1024), master.key, master.matdesc);
    tampered.body[100]! ^= 0x80; // a flipped ciphertext byte: decrypts to wrong bytes, then fails the tag
    const intact = encryptCseV2(Buffer.from('intact'), master.key, master.matdesc);
    await base.putObject(source, 'tampered-sft/bad.csv', tampered.body, tampered.metadata);
    await base.putObject(source, 'tampered-sft/good.csv', intact.body, intact.metadata);
    const { service, events } = await base.startService(world, { dks: harness.dksConfig });
    await base.sendFlag(world, 'tampered-sft/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    await service.stop();
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    const directory = path.join(world.sftRoot, 'cse-sft');
    expect(await readdir(directory)).toEqual(['good.csv']);
    expect(await readFile(path.join(directory, 'good.csv'), 'utf8')).toBe('intact');
  });
});
