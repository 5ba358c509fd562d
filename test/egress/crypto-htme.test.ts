import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressConfigError } from '../../src/egress/config/service-config.ts';
import { startEgressService } from '../../src/egress/service.ts';
import { waitFor } from '../../src/util/wait.ts';
import { captureLogger, keyForms } from './crypto/helpers.ts';
import { CryptoHarness } from './crypto/support/crypto-harness.ts';
import { specContent } from './support/spec-content.ts';

let harness: CryptoHarness;
beforeAll(async () => {
  harness = await CryptoHarness.start();
});
afterAll(async () => {
  await harness?.close();
});

function s3Rule(source: string, destination: string, overrides: Record<string, unknown>) {
  return {
    pipeline_name: 'INTEGRATION_TESTS',
    recipient_name: 'recipient',
    transfer_type: 'S3',
    source_bucket: source,
    destination_bucket: destination,
    ...overrides,
  };
}

describe.concurrent('HTME objects through the egress service (config.dks → DKS over mTLS)', () => {
  it('decrypts with the DKS-unwrapped key, streaming, with no destination metadata (S3 and SFT); no key in the logs', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(
      world,
      s3Rule(source, destination, { source_prefix: 'htme/', destination_prefix: 'htme/', decrypt: true }),
    );
    await base.putRule(world, {
      ...s3Rule(source, destination, { source_prefix: 'htme/', destination_prefix: 'gz/', decrypt: true }),
      pipeline_name: 'GZ',
      compress: true,
      compress_fmt: 'gz',
    });
    await base.putRule(world, {
      ...s3Rule(source, destination, { source_prefix: 'htme/', decrypt: true }),
      pipeline_name: 'INTEGRATION_TESTS#sft',
      transfer_type: 'SFT',
      destination_bucket: undefined,
      destination_prefix: '/htme-sft/',
    });
    const dataKey = await harness.dataKey();
    const small = Buffer.from(specContent('htme'));
    const large = randomBytes(9 * 1024 * 1024 + 7); // crosses multipart parts and odd chunk boundaries
    const smallObject = await harness.htme(small, {}, dataKey);
    const largeObject = await harness.htme(large, {}, dataKey);
    await base.putObject(source, 'htme/htme.csv.enc', smallObject.body, smallObject.metadata);
    await base.putObject(source, 'htme/large.bin.enc', largeObject.body, largeObject.metadata);
    const { logger, lines } = captureLogger('egress');
    const { events } = await base.startService(world, { dks: harness.dksConfig }, { logger });
    await base.sendFlag(world, 'htme/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    expect(processed, JSON.stringify(processed?.rules)).toMatchObject({
      action: 'deleted',
      reason: 'completed',
    });
    expect(await base.keys(destination)).toEqual([
      'gz/htme.csv.gz',
      'gz/large.bin.gz',
      'htme/htme.csv',
      'htme/large.bin',
    ]);
    // Decrypted, then compressed (behaviour §3.2 order).
    expect(gunzipSync(await base.getBytes(destination, 'gz/htme.csv.gz'))).toEqual(small);
    expect(await base.getBytes(destination, 'htme/htme.csv')).toEqual(small);
    expect((await base.getBytes(destination, 'htme/large.bin')).equals(large)).toBe(true);
    expect((await base.head(destination, 'htme/htme.csv')).Metadata).toEqual({});
    // SFT keeps the source name (`.enc` included, as the SFT agent's routes expect) but holds plaintext.
    expect(await readFile(path.join(world.sftRoot, 'htme-sft', 'htme.csv.enc'))).toEqual(small);

    const logText = lines.join('\n');
    expect(logText).toContain('decrypting HTME object');
    for (const form of keyForms(dataKey.plaintextDataKey)) expect(logText).not.toContain(form);
    expect(logText).not.toContain(dataKey.encryptedDataKey);
  });

  it('passes an HTME object through untouched when decrypt is false: metadata intact and decryptable', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    await base.putRule(
      world,
      s3Rule(source, destination, {
        source_prefix: 'htme_put_encrypted/',
        destination_prefix: 'htme_put_encrypted/',
        decrypt: false,
      }),
    );
    await base.putRule(world, {
      ...s3Rule(source, destination, { source_prefix: 'htme_put_encrypted/' }),
      pipeline_name: 'INTEGRATION_TESTS#sft',
      transfer_type: 'SFT',
      destination_bucket: undefined,
      destination_prefix: '/pass-sft/',
    });
    const plaintext = Buffer.from(specContent('htme_put_encrypted'));
    const object = await harness.htme(plaintext, { data_product: 'db.core.contract' });
    await base.putObject(
      source,
      'htme_put_encrypted/htme_put_encrypted.csv.enc',
      object.body,
      object.metadata,
    );
    const { events } = await base.startService(world, { dks: harness.dksConfig });
    await base.sendFlag(world, 'htme_put_encrypted/pipeline_success.flag', source);

    await waitFor(() => events.of('message_processed')[0]?.reason === 'completed', { timeoutMs: 20_000 });
    const key = 'htme_put_encrypted/htme_put_encrypted.csv.enc';
    const body = await base.getBytes(destination, key);
    const { Metadata } = await base.head(destination, key);
    expect(body).toEqual(object.body);
    // The embedded S3 (fauxqs) drops empty user-metadata values, which real S3 keeps: the service
    // sends data_product_type "" (behaviour §4.6), the edge may not store it.
    expect({ data_product_type: '', ...Metadata }).toEqual({
      iv: object.metadata.iv,
      ciphertext: object.metadata.ciphertext,
      datakeyencryptionkeyid: object.metadata.datakeyencryptionkeyid,
      data_product: 'db.core.contract',
      data_product_type: '',
    });
    expect(await harness.decryptHtme(body, Metadata!)).toEqual(plaintext);
    // SFT carries no metadata: the file is the ciphertext, its key material stays in the source.
    expect(await readFile(path.join(world.sftRoot, 'pass-sft', 'htme_put_encrypted.csv.enc'))).toEqual(
      object.body,
    );
  });

  it.each([
    ['not strict Base64', 'not base64!'],
    ['15 bytes', randomBytes(15).toString('base64')],
    ['unpadded', randomBytes(16).toString('base64').replace(/=+$/, '')],
  ])(
    'fails an object whose IV is %s with a logged reason; the rule’s other object is delivered',
    async (_what, iv) => {
      const base = harness.base;
      const world = await base.world();
      const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
      await base.putRule(world, s3Rule(source, destination, { source_prefix: 'iv/', decrypt: true }));
      const good = await harness.htme('good');
      const bad = await harness.htme('bad');
      await base.putObject(source, 'iv/good.csv.enc', good.body, good.metadata);
      await base.putObject(source, 'iv/bad.csv.enc', bad.body, { ...bad.metadata, iv });
      const { logger, lines } = captureLogger('egress');
      const { service, events } = await base.startService(world, { dks: harness.dksConfig }, { logger });
      await base.sendFlag(world, 'iv/pipeline_success.flag', source);

      const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
      await service.stop();
      expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
      expect(events.of('object_failed').map((event) => [event.sourceKey, event.reason])).toEqual([
        ['iv/bad.csv.enc', expect.stringMatching(/HTME object refused: invalid encryption metadata 'iv'/)],
      ]);
      expect(await base.getText(destination, 'good.csv')).toBe('good');
      expect(await base.keys(destination)).toEqual(['good.csv']);
      const failureLine = lines.find((line) => line.includes('"msg":"failed to egress object"'));
      expect(failureLine).toMatch(
        /"key":"iv\/bad.csv.enc".*"reason":"HTME object refused: invalid encryption metadata 'iv'/,
      );
      // The bad object never reached the DKS: no key is unwrapped for an object that cannot be decrypted.
      expect(harness.decryptStatusesFor(bad.metadata.ciphertext!)).toEqual([]);
      expect(harness.decryptStatusesFor(good.metadata.ciphertext!)).toEqual([200]);
    },
  );
});

describe('a service started without a DKS', () => {
  it('passes plain and pass-through objects, and fails what needs a key with a reason naming the setting', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    const rule = { transfer_type: 'S3', source_bucket: source, destination_bucket: destination };
    await base.putRule(world, {
      ...rule,
      source_prefix: 'nodks/',
      pipeline_name: 'PASS',
      destination_prefix: 'pass/',
    });
    await base.putRule(world, {
      ...rule,
      source_prefix: 'nodks/',
      pipeline_name: 'DECRYPT',
      destination_prefix: 'decrypt/',
      decrypt: true,
    });
    const object = await harness.htme('secret');
    await base.putObject(source, 'nodks/secret.csv.enc', object.body, object.metadata);
    await base.putObject(source, 'nodks/plain.csv', 'plain');
    const { service, events } = await base.startService(world);
    await base.sendFlag(world, 'nodks/pipeline_success.flag', source);

    const processed = await waitFor(() => events.of('message_processed')[0], { timeoutMs: 20_000 });
    await service.stop();
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    expect(
      events.of('object_failed').map((event) => [event.rule.pipelineName, event.sourceKey, event.reason]),
    ).toEqual([
      [
        'DECRYPT',
        'nodks/secret.csv.enc',
        expect.stringContaining('no Data Key Service is configured (EGRESS_DKS_URL / --dks-url)'),
      ],
    ]);
    // Never ciphertext under a decrypted name; the pass-through copy keeps its envelope.
    expect(await base.keys(destination)).toEqual([
      'decrypt/plain.csv',
      'pass/plain.csv',
      'pass/secret.csv.enc',
    ]);
    expect((await base.head(destination, 'pass/secret.csv.enc')).Metadata).toMatchObject({
      iv: object.metadata.iv,
      ciphertext: object.metadata.ciphertext,
    });
  });
});

describe('DKS configuration', () => {
  it('refuses an unreadable PEM file at start, naming the field', async () => {
    const world = await harness.base.world();
    const missing = path.join(world.sftRoot, 'no-such-ca.pem');
    const start = startEgressService({
      aws: harness.base.edge.target,
      queueUrl: world.queueUrl,
      metricsPort: 0,
      dks: { ...harness.dksConfig, caPath: missing },
    });
    await expect(start).rejects.toThrow(EgressConfigError);
    await expect(start).rejects.toThrow(
      `dks.caPath (EGRESS_DKS_CA / --dks-ca): cannot read "${missing}" (ENOENT)`,
    );

    const notPem = path.join(world.sftRoot, 'cert.txt');
    await writeFile(notPem, 'hello');
    await expect(
      startEgressService({
        aws: harness.base.edge.target,
        queueUrl: world.queueUrl,
        metricsPort: 0,
        dks: { ...harness.dksConfig, certPath: notPem },
      }),
    ).rejects.toThrow(`dks.certPath (EGRESS_DKS_CERT / --dks-cert): "${notPem}" is not a PEM file`);
    expect(await readdir(world.sftRoot)).toEqual(['cert.txt']);
  });

  it.each([
    [{ certPath: '/c.pem' }, 'dks.keyPath: is required with dks.certPath'],
    [{ keyPath: '/k.pem' }, 'dks.certPath: is required with dks.keyPath'],
    [{ url: undefined, caPath: '/ca.pem' }, 'dks.caPath: is set but dks.url is not'],
  ])('refuses the DKS settings %j', async (dks, message) => {
    await expect(
      startEgressService({
        aws: harness.base.edge.target,
        queueUrl: 'http://127.0.0.1:1/000000000000/q',
        metricsPort: 0,
        dks: { url: 'https://127.0.0.1:1', ...dks },
      }),
    ).rejects.toThrow(message);
  });
});
