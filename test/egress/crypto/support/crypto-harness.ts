import {
  constants,
  createDecipheriv,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
} from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { createSsmClient } from '../../../../src/aws/clients.ts';
import {
  type DataKey,
  DataKeyServiceClient,
  encryptHtme,
  htmeMetadata,
  readHtmeEnvelope,
  shortKeyHash,
} from '../../../../src/egress/crypto/index.ts';
import { startTestKit, type TestKit } from '../../../../src/testing/index.ts';
import {
  type CertificatePaths,
  ensureCertificates,
  loadCertificates,
} from '../../../../src/tls/certificates.ts';
import { type DksStub, startDksStub } from '../../../../stubs/dks/index.ts';

/** A recipient of re-wrapped keys: its RSA key pair and the SSM parameter value holding the public half. */
export interface Recipient {
  keyId: string;
  privateKey: KeyObject;
  /** `{KeyId, PublicKey, …}` as KMS GetPublicKey returns it. */
  parameterValue: string;
}

/** AES-CTR straight from node (the test side does not reuse the service's cipher helpers). */
export function ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

let recipientPair: { publicKey: KeyObject; privateKey: KeyObject } | undefined;

/** An RSA-2048 recipient (one key pair per test file keeps the tests fast; key ids differ). */
export function recipient(keyId: string): Recipient {
  recipientPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    keyId,
    privateKey: recipientPair.privateKey,
    parameterValue: JSON.stringify({
      KeyId: keyId,
      PublicKey: recipientPair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      CustomerMasterKeySpec: 'RSA_2048',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_256'],
    }),
  };
}

/** What the recipient does: RSA-OAEP-SHA256 → Base64 text of the AES key → AES-CTR with `iv`. */
export function recipientDecrypts(
  privateKey: KeyObject,
  body: Buffer,
  metadata: Record<string, string>,
): Buffer {
  const keyText = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(metadata.ciphertext!, 'base64'),
  ).toString('utf8');
  return ctr(Buffer.from(keyText, 'base64'), Buffer.from(metadata.iv!, 'base64'), body);
}

/**
 * The egress component-test harness plus a stub DKS with mTLS (certificates on disk, as the
 * service reads them), a DKS client for writing fixtures, and SSM.
 */
export class CryptoHarness {
  readonly ssm: SSMClient;

  private constructor(
    readonly base: TestKit,
    readonly dksStub: DksStub,
    readonly certificates: CertificatePaths,
    readonly fixtureDks: DataKeyServiceClient,
    private readonly certsDir: string,
  ) {
    this.ssm = createSsmClient(base.target);
  }

  static async start(): Promise<CryptoHarness> {
    const certsDir = await mkdtemp(path.join(os.tmpdir(), 'egress-crypto-certs-'));
    const [base, certificates] = await Promise.all([startTestKit(), ensureCertificates(certsDir)]);
    const material = await loadCertificates(certificates);
    const dksStub = await startDksStub({ port: 0, tls: material });
    const fixtureDks = new DataKeyServiceClient({
      url: dksStub.url,
      tls: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
      retry: { attempts: 1 },
    });
    return new CryptoHarness(base, dksStub, certificates, fixtureDks, certsDir);
  }

  async close(): Promise<void> {
    await this.base.stop();
    this.ssm.destroy();
    await this.fixtureDks.close();
    await this.dksStub.stop();
    await rm(this.certsDir, { recursive: true, force: true });
  }

  /** `config.dks` for the service: the stub's URL and the PEM files. */
  get dksConfig() {
    return {
      url: this.dksStub.url,
      caPath: this.certificates.ca,
      certPath: this.certificates.clientCert,
      keyPath: this.certificates.clientKey,
    };
  }

  /** A fresh DKS data key (a new wrapped key, so no cache anywhere has seen it). */
  dataKey(): Promise<DataKey> {
    return this.fixtureDks.generateDataKey();
  }

  /** An HTME object as a producer writes it: AES-CTR body and the three metadata keys. */
  async htme(
    plaintext: string | Buffer,
    extra: Record<string, string> = {},
    dataKey?: DataKey,
  ): Promise<{ body: Buffer; metadata: Record<string, string> }> {
    const { body, envelope } = encryptHtme(Buffer.from(plaintext), dataKey ?? (await this.dataKey()));
    return { body, metadata: { ...htmeMetadata(envelope), ...extra } };
  }

  /** Decrypts an HTME object the way the original's integration test did: DKS-unwrap, then AES-CTR. */
  async decryptHtme(body: Buffer, metadata: Record<string, string>): Promise<Buffer> {
    const envelope = readHtmeEnvelope(metadata);
    if (!envelope) throw new Error(`not an HTME object: ${Object.keys(metadata).join(', ')}`);
    const key = await this.fixtureDks.decryptDataKey(envelope.keyEncryptionKeyId, envelope.encryptedDataKey);
    return ctr(key, envelope.iv, body);
  }

  async putParameter(name: string, value: string): Promise<void> {
    await this.ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }),
    );
  }

  /** Statuses of the DKS decrypt calls made for one wrapped key (faulted calls carry no key, see below). */
  decryptStatusesFor(wrappedKey: string): number[] {
    const hash = shortKeyHash(wrappedKey);
    return this.dksStub.requests
      .filter((request) => request.path === '/datakey/actions/decrypt' && request.wrappedKeyHash === hash)
      .map((request) => request.status);
  }

  /** A mark in the stub's request log, for {@link decryptStatusesSince}. */
  requestMark(): number {
    return this.dksStub.requests.length;
  }

  /**
   * Statuses of the DKS decrypt calls answered since `mark`, in order (injected faults included:
   * they are answered before the body is read, so they carry no key hash).
   */
  decryptStatusesSince(mark: number): number[] {
    return this.dksStub.requests
      .slice(mark)
      .filter((request) => request.path === '/datakey/actions/decrypt')
      .map((request) => request.status);
  }
}
