/**
 * Encryption steps: producers writing HTME-encrypted and client-side-encrypted files with keys from
 * the Data Key Service (DKS), recipients with RSA keys in SSM, and what each recipient can read.
 *
 * Published plaintexts are recorded as the scenario's uploads, so the shared step
 * `recipient "…" receives in "…"` with `same as <file>` checks that a delivery is the DECRYPTED file.
 * S3 keys are feature-relative (placed under `bdd-<id>/`), as in the other step files.
 */
import assert from 'node:assert/strict';
import {
  constants,
  createDecipheriv,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { type DataTable, Given, Then, When } from '@cucumber/cucumber';
import {
  type DataKey,
  DataKeyServiceClient,
  encryptCseAesWrap,
  encryptCseV1,
  encryptCseV2,
  encryptHtme,
  htmeMetadata,
} from '../src/egress/crypto/index.ts';
import { waitFor } from '../src/util/wait.ts';
import type { EgressWorld } from './support/world.ts';

// ---------------------------------------------------------------------------------------------
// The producer's side: data keys from the DKS, encrypted files

/** The scenario's own DKS client (mTLS with the sandbox's client certificate), closed after it. */
async function dks(world: EgressWorld): Promise<DataKeyServiceClient> {
  const existing = world.notes.get('crypto:dks') as DataKeyServiceClient | undefined;
  if (existing) return existing;
  const url = world.target.state.dks?.url;
  assert.ok(url, 'sandbox.json has no dks.url');
  const { tls } = world.target.state;
  const [ca, cert, key] = await Promise.all(
    [tls.ca, tls.cert, tls.key].map((file) => readFile(file, 'utf8')),
  );
  const client = new DataKeyServiceClient({
    url,
    tls: { ca: ca!, cert: cert!, key: key! },
    retry: { attempts: 1 },
  });
  world.notes.set('crypto:dks', client);
  world.onCleanup(() => client.close());
  return client;
}

/** The scenario's data key: fresh (never seen by the service's key cache), one per scenario as in the original's tests. */
async function dataKey(world: EgressWorld): Promise<DataKey> {
  const existing = world.notes.get('crypto:data-key') as DataKey | undefined;
  if (existing) return existing;
  const key = await (await dks(world)).generateDataKey();
  world.notes.set('crypto:data-key', key);
  return key;
}

interface Published {
  body: Buffer;
  metadata: Record<string, string>;
}

function encryptedFile(world: EgressWorld, relative: string): Published {
  const file = world.notes.get(`crypto:file:${world.expand(relative)}`) as Published | undefined;
  assert.ok(file, `no encrypted file "${relative}" was published in this scenario`);
  return file;
}

/** Uploads an encrypted object and records its plaintext as the scenario's upload. */
async function publishEncrypted(
  world: EgressWorld,
  bucket: string,
  relative: string,
  plaintext: Buffer,
  encrypted: Published,
): Promise<void> {
  await world.putObject(world.expand(bucket), world.key(relative), encrypted.body, encrypted.metadata);
  world.uploads.set(relative, plaintext);
  world.notes.set(`crypto:file:${relative}`, encrypted);
}

async function publishFlag(world: EgressWorld, bucket: string, relativeFlag: string): Promise<void> {
  const key = world.key(relativeFlag);
  world.notes.set('publishedAt', new Date());
  await world.putFlag(world.expand(bucket), key);
  world.flags.push(key);
}

function folderOf(files: string[]): string {
  const folders = new Set(files.map((file) => path.posix.dirname(file)));
  assert.equal(folders.size, 1, `the files are in several folders: ${[...folders].join(', ')}`);
  const folder = [...folders][0]!;
  return folder === '.' ? '' : `${folder}/`;
}

/**
 * Rows: `file`, optional `lines` (default 100), `data_product`, `data_product_type`, and `data key`:
 * `valid` (default) or `not unwrappable` (a wrapped key the DKS answers with 400).
 */
async function publishHtmeFiles(
  world: EgressWorld,
  bucket: string,
  rows: Record<string, string>[],
): Promise<string[]> {
  const key = await dataKey(world);
  const files: string[] = [];
  for (const row of rows) {
    const relative = world.expand(row.file!);
    const plaintext = world.sampleContent(relative, Number(row.lines || 100));
    const { body, envelope } = encryptHtme(plaintext, key);
    const metadata: Record<string, string> = htmeMetadata(envelope);
    if (row.data_product) metadata.data_product = world.expand(row.data_product);
    if (row.data_product_type) metadata.data_product_type = row.data_product_type;
    const which = row['data key'] || 'valid';
    assert.ok(
      ['valid', 'not unwrappable'].includes(which),
      `data key must be "valid" or "not unwrappable", got "${which}"`,
    );
    // Valid Base64 that was never wrapped by the DKS: it answers 400, on every attempt.
    if (which === 'not unwrappable') metadata.ciphertext = randomBytes(60).toString('base64');
    await publishEncrypted(world, bucket, relative, plaintext, { body, metadata });
    files.push(relative);
  }
  return files;
}

When(
  'the pipeline publishes these HTME-encrypted files to {string} and its pipeline_success.flag:',
  async function (this: EgressWorld, bucket: string, table: DataTable) {
    const files = await publishHtmeFiles(this, bucket, table.hashes());
    await publishFlag(this, bucket, `${folderOf(files)}pipeline_success.flag`);
  },
);

When(
  'the pipeline publishes these HTME-encrypted files to {string}, then the flag {string}:',
  async function (this: EgressWorld, bucket: string, flag: string, table: DataTable) {
    await publishHtmeFiles(this, bucket, table.hashes());
    await publishFlag(this, bucket, this.expand(flag));
  },
);

When(
  'the pipeline publishes these HTME-encrypted files to {string}, without the flag yet:',
  async function (this: EgressWorld, bucket: string, table: DataTable) {
    await publishHtmeFiles(this, bucket, table.hashes());
  },
);

When(
  'the pipeline publishes {int} collections of {int} HTME-encrypted files named {string} to {string}, then the flag {string}',
  async function (
    this: EgressWorld,
    collections: number,
    filesPerCollection: number,
    template: string,
    bucket: string,
    flag: string,
  ) {
    const rows: Record<string, string>[] = [];
    for (let c = 0; c < collections; c += 1) {
      for (let f = 0; f < filesPerCollection; f += 1) {
        rows.push({ file: template.replaceAll('<c>', String(c)).replaceAll('<f>', String(f)) });
      }
    }
    // All encrypted with the scenario's one data key, as the original's test did (its key was cached).
    const key = await dataKey(this);
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = worker; i < rows.length; i += 8) {
          const relative = this.expand(rows[i]!.file!);
          const plaintext = this.sampleContent(relative);
          const { body, envelope } = encryptHtme(plaintext, key);
          await publishEncrypted(this, bucket, relative, plaintext, {
            body,
            metadata: htmeMetadata(envelope),
          });
        }
      }),
    );
    await publishFlag(this, bucket, this.expand(flag));
  },
);

const CSE_FORMATS = {
  V2: (plaintext: Buffer, master: Buffer, matdesc: Record<string, string>) =>
    encryptCseV2(plaintext, master, matdesc),
  'AESWrap-GCM': (plaintext: Buffer, master: Buffer, matdesc: Record<string, string>) =>
    encryptCseAesWrap(plaintext, master, matdesc, 'AES/GCM/NoPadding'),
  'AESWrap-CBC': (plaintext: Buffer, master: Buffer, matdesc: Record<string, string>) =>
    encryptCseAesWrap(plaintext, master, matdesc, 'AES/CBC/PKCS5Padding'),
  V1: (plaintext: Buffer, master: Buffer, matdesc: Record<string, string>) =>
    encryptCseV1(plaintext, master, matdesc),
} as const;

When(
  'the pipeline publishes these client-side-encrypted files to {string} and its pipeline_success.flag:',
  async function (this: EgressWorld, bucket: string, table: DataTable) {
    // The EMR materials provider's way: a DKS data key is the master key, named in x-amz-matdesc.
    const master = await dataKey(this);
    const matdesc = { keyid: master.keyEncryptionKeyId, encryptedkey: master.encryptedDataKey };
    const files: string[] = [];
    for (const row of table.hashes()) {
      const relative = this.expand(row.file!);
      const format = (row.format ?? 'V2') as keyof typeof CSE_FORMATS;
      assert.ok(format in CSE_FORMATS, `format must be one of ${Object.keys(CSE_FORMATS).join(', ')}`);
      const plaintext = this.sampleContent(relative, Number(row.lines || 100));
      await publishEncrypted(
        this,
        bucket,
        relative,
        plaintext,
        CSE_FORMATS[format](plaintext, master.plaintextDataKey, matdesc),
      );
      files.push(relative);
    }
    await publishFlag(this, bucket, `${folderOf(files)}pipeline_success.flag`);
  },
);

// ---------------------------------------------------------------------------------------------
// Recipients with RSA keys in SSM

let rsaPair: { publicKey: KeyObject; privateKey: KeyObject } | undefined;

interface Recipient {
  keyId: string;
  privateKey: KeyObject;
}

function recipientOf(world: EgressWorld, name: string): Recipient {
  const recipient = world.notes.get(`crypto:recipient:${name}`) as Recipient | undefined;
  assert.ok(recipient, `recipient "${name}" has no key pair in this scenario`);
  return recipient;
}

Given(
  'the recipient {string} publishes its RSA public key in the SSM parameter {string}',
  async function (this: EgressWorld, name: string, parameterName: string) {
    rsaPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 }); // one pair per run keeps scenarios fast
    const keyId = `${name}-${this.id}`;
    const parameter = this.expand(parameterName);
    // The shape of KMS GetPublicKey output, as the original's recipients stored it; a SecureString.
    const value = JSON.stringify({
      KeyId: keyId,
      PublicKey: rsaPair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      CustomerMasterKeySpec: 'RSA_2048',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_256'],
    });
    await this.ssm.send(
      new PutParameterCommand({ Name: parameter, Value: value, Type: 'SecureString', Overwrite: true }),
    );
    this.onCleanup(() => this.ssm.send(new DeleteParameterCommand({ Name: parameter })));
    this.notes.set(`crypto:recipient:${name}`, { keyId, privateKey: rsaPair.privateKey });
  },
);

// ---------------------------------------------------------------------------------------------
// The Data Key Service misbehaving (in-process sandbox only)

function dksStub(world: EgressWorld) {
  const stub = world.target.sandbox?.components.dks;
  assert.ok(stub, 'this step needs the in-process sandbox (an @embedded-only scenario)');
  return stub;
}

Given(
  'the Data Key Service answers the next {int} requests with {int}',
  function (this: EgressWorld, count: number, status: number) {
    const stub = dksStub(this);
    this.notes.set('crypto:dks-mark', stub.requests.length);
    stub.faults.failNext(count, status);
    this.onCleanup(async () => stub.faults.reset());
  },
);

Then(
  "the Data Key Service answered the egress service's decrypt requests with {string}",
  function (this: EgressWorld, expected: string) {
    const mark = this.notes.get('crypto:dks-mark') as number;
    const statuses = dksStub(this)
      .requests.slice(mark)
      .filter((request) => request.path === '/datakey/actions/decrypt')
      .map((request) => String(request.status));
    assert.deepEqual(statuses, expected.split(/,\s*/), `the DKS answered: ${statuses.join(', ')}`);
  },
);

// ---------------------------------------------------------------------------------------------
// What recipients get

async function head(world: EgressWorld, bucket: string, key: string): Promise<Record<string, string>> {
  const response = await world.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return response.Metadata ?? {};
}

function ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

/** What a recipient of pass-through data does: ask the DKS for the data key, then AES-CTR. */
async function decryptWithDks(
  world: EgressWorld,
  body: Buffer,
  metadata: Record<string, string>,
): Promise<Buffer> {
  for (const field of ['datakeyencryptionkeyid', 'ciphertext', 'iv']) {
    assert.ok(
      metadata[field],
      `the object has no "${field}" metadata (it has: ${Object.keys(metadata).join(', ')})`,
    );
  }
  const key = await (await dks(world)).decryptDataKey(metadata.datakeyencryptionkeyid!, metadata.ciphertext!);
  return ctr(key, Buffer.from(metadata.iv!, 'base64'), body);
}

/** What a recipient of re-wrapped data does: RSA-OAEP-SHA256 → Base64 text of the key → AES-CTR. */
function decryptWithPrivateKey(recipient: Recipient, body: Buffer, metadata: Record<string, string>): Buffer {
  assert.equal(metadata.datakeyencryptionkeyid, recipient.keyId, 'the key id names the recipient’s key');
  const keyText = privateDecrypt(
    { key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(metadata.ciphertext!, 'base64'),
  ).toString('utf8');
  return ctr(Buffer.from(keyText, 'base64'), Buffer.from(metadata.iv!, 'base64'), body);
}

Then(
  '{string} in {string} carries no encryption metadata',
  async function (this: EgressWorld, key: string, bucket: string) {
    const metadata = await head(this, this.expand(bucket), this.key(key));
    assert.deepEqual(metadata, {}, 'a decrypted file must not claim to be encrypted');
  },
);

Then(
  '{string} in {string} is the encrypted {string} as published, with its key metadata, and the Data Key Service decrypts it to the original',
  async function (this: EgressWorld, key: string, bucketName: string, source: string) {
    const published = encryptedFile(this, source);
    const bucket = this.expand(bucketName);
    const object = await this.waitForObject(bucket, this.key(key));
    assert.ok(object.body.equals(published.body), 'the bytes are the producer’s ciphertext');
    for (const field of ['iv', 'ciphertext', 'datakeyencryptionkeyid', 'data_product']) {
      assert.equal(object.metadata[field], published.metadata[field], `metadata "${field}" is the source's`);
    }
    assert.ok(
      (await decryptWithDks(this, object.body, object.metadata)).equals(this.published(source)),
      'decrypting with the data key from the DKS gives the original',
    );
  },
);

Then(
  '{string} in {string} is the encrypted {string} as published, re-wrapped for {string}, who decrypts it to the original with its private key',
  async function (this: EgressWorld, key: string, bucketName: string, source: string, recipientName: string) {
    const published = encryptedFile(this, source);
    const recipient = recipientOf(this, recipientName);
    const object = await this.waitForObject(this.expand(bucketName), this.key(key));
    assert.ok(object.body.equals(published.body), 'the bytes are the producer’s ciphertext');
    assert.equal(object.metadata.iv, published.metadata.iv, 'the IV is the source’s');
    assert.notEqual(object.metadata.ciphertext, published.metadata.ciphertext, 'the data key is re-wrapped');
    assert.ok(
      decryptWithPrivateKey(recipient, object.body, object.metadata).equals(this.published(source)),
      'the recipient decrypts it to the original',
    );
  },
);

Then(
  'the pipeline reports that {string} failed because {string}',
  async function (this: EgressWorld, file: string, reason: string) {
    const key = this.key(file);
    const expected = this.expand(reason).replaceAll('<scenario>', `bdd-${this.id}`);
    const failure = await this.waitForPipeline(
      (events) => events.find((event) => event.type === 'object-failed' && event.key === key),
      `the report that ${key} failed`,
    );
    assert.ok(failure.type === 'object-failed');
    assert.ok(failure.reason.includes(expected), `the reason given was: ${failure.reason}`);
  },
);

Then(
  'no file reached {string} under {string}',
  async function (this: EgressWorld, bucket: string, prefix: string) {
    // Checked after the failures were reported, which come after every object of the rule was tried.
    assert.deepEqual(await this.listKeys(this.expand(bucket), this.key(prefix)), []);
  },
);

// ---------------------------------------------------------------------------------------------
// Manifests

/**
 * The manifest's lines must name the delivered files, each with its size as delivered and today's
 * date. `resolve` turns a feature name into the listed name; `size` reads the delivered file.
 */
async function assertManifestLines(
  world: EgressWorld,
  gzipped: Buffer,
  table: DataTable,
  resolve: (name: string) => string,
  size: (listed: string) => Promise<number>,
) {
  const lines = gunzipSync(gzipped).toString('utf8').trim().split('\n');
  const expected = await Promise.all(
    table
      .raw()
      .slice(1)
      .map(async ([name]) => {
        const listed = resolve(name!);
        return `${listed}  ${await size(listed)} ${world.today()}`;
      }),
  );
  assert.deepEqual([...lines].sort(), expected.sort());
}

async function manifestObject(world: EgressWorld, key: string, bucketName: string) {
  const bucket = world.expand(bucketName);
  const object = await world.waitForObject(bucket, world.key(key));
  const size = async (listed: string) => (await world.getObject(bucket, listed))?.body.length ?? -1;
  return { object, size };
}

function assertDataProduct(metadata: Record<string, string>, product: string, type: string) {
  assert.equal(metadata.data_product, product, 'data_product');
  // The embedded S3 (fauxqs) drops empty metadata values that real S3 keeps: absent reads as "".
  assert.equal(metadata.data_product_type ?? '', type, 'data_product_type');
}

Then(
  'the manifest {string} in {string} is plain gzip for data product {string} \\({string}) listing the delivered files:',
  async function (
    this: EgressWorld,
    key: string,
    bucket: string,
    product: string,
    type: string,
    table: DataTable,
  ) {
    const { object, size } = await manifestObject(this, key, bucket);
    assertDataProduct(object.metadata, product, type);
    for (const field of ['iv', 'ciphertext', 'datakeyencryptionkeyid'])
      assert.equal(object.metadata[field], undefined);
    await assertManifestLines(this, object.body, table, (name) => this.key(name), size);
  },
);

Then(
  'the manifest {string} in {string} is encrypted under a Data Key Service key for data product {string} \\({string}) and, decrypted, lists the delivered files:',
  async function (
    this: EgressWorld,
    key: string,
    bucket: string,
    product: string,
    type: string,
    table: DataTable,
  ) {
    const { object, size } = await manifestObject(this, key, bucket);
    assertDataProduct(object.metadata, product, type);
    const plain = await decryptWithDks(this, object.body, object.metadata);
    await assertManifestLines(this, plain, table, (name) => this.key(name), size);
  },
);

Then(
  'the manifest {string} in {string} is encrypted for {string} for data product {string} \\({string}) and, decrypted with its private key, lists the delivered files:',
  async function (
    this: EgressWorld,
    key: string,
    bucket: string,
    recipientName: string,
    product: string,
    type: string,
    table: DataTable,
  ) {
    const { object, size } = await manifestObject(this, key, bucket);
    assertDataProduct(object.metadata, product, type);
    const plain = decryptWithPrivateKey(recipientOf(this, recipientName), object.body, object.metadata);
    await assertManifestLines(this, plain, table, (name) => this.key(name), size);
  },
);

function sftFile(world: EgressWorld, directory: string, file: string): string {
  const dir = world.expand(directory);
  assert.ok(dir.startsWith('/'), `SFT directories are absolute (under the SFT root): ${dir}`);
  return path.join(world.target.state.sftRoot, dir, world.expand(file));
}

async function sftBytes(file: string): Promise<Buffer> {
  await waitFor(() => existsSync(file), { timeoutMs: 20_000, intervalMs: 50, description: file });
  return readFile(file);
}

Then(
  'the SFT directory {string} holds the plain gzip manifest {string} listing the delivered files:',
  async function (this: EgressWorld, directory: string, file: string, table: DataTable) {
    const body = await sftBytes(sftFile(this, directory, file));
    // SFT lines name the file under its directory, without the leading slash (the S3 naming).
    const size = async (listed: string) =>
      (await readFile(path.join(this.target.state.sftRoot, listed))).length;
    await assertManifestLines(this, body, table, (name) => this.expand(name), size);
  },
);

Then(
  'the SFT directory {string} holds the encrypted manifest {string}, which carries no key metadata',
  async function (this: EgressWorld, directory: string, file: string) {
    const body = await sftBytes(sftFile(this, directory, file));
    assert.notEqual(body.subarray(0, 2).toString('hex'), '1f8b', 'the bytes are not a bare gzip stream');
    assert.throws(() => gunzipSync(body), 'an encrypted manifest does not gunzip');
  },
);
