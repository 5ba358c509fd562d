import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EgressConfigError,
  loadEgressServiceConfig,
  type ResolvedEgressServiceConfig,
} from '../../../src/egress/config/service-config.ts';
import { createDksEgressCrypto, loadDksTls } from '../../../src/egress/crypto/dks/dks-settings.ts';
import {
  type CertificateMaterial,
  ensureCertificates,
  loadCertificates,
} from '../../../src/tls/certificates.ts';
import { type DksStub, startDksStub } from '../../../stubs/dks/index.ts';

/*
 * The original's DKS client identity through SECURITY_KEYSTORE & co (behaviour §4.2, §7.3), as PKCS#12
 * files made here with node-forge, driving the service's DKS client against the stub DKS over mTLS.
 */

let dir: string;
let material: CertificateMaterial;
let dks: DksStub;
const STORE_PASSWORD = 'store-secret';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keystores-'));
  material = await loadCertificates(await ensureCertificates(path.join(dir, 'certs')));
  dks = await startDksStub({ port: 0, tls: material });
});
afterAll(async () => {
  await dks?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface StoreEntry {
  key?: string; // PEM
  certs: string[]; // PEM, leaf first
  alias?: string;
  /** Key protection: 3DES (keytool before Java 12), AES-256 PBES2 (keytool 12+, openssl 3). */
  algorithm?: '3des' | 'aes256';
}

/** A PKCS#12 file as keytool or openssl writes it (SHA-1 MAC). */
async function pkcs12(name: string, entry: StoreEntry, password: string | null = STORE_PASSWORD) {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    entry.key ? forge.pki.privateKeyFromPem(entry.key) : null,
    // forge's types want a certificate; a key-only store is what null gives.
    (entry.certs.length
      ? entry.certs.map((pem) => forge.pki.certificateFromPem(pem))
      : null) as unknown as forge.pki.Certificate[],
    password,
    { algorithm: entry.algorithm ?? '3des', ...(entry.alias ? { friendlyName: entry.alias } : {}) },
  );
  const file = path.join(dir, name);
  await writeFile(file, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  return file;
}

const clientKeystore = (name: string, alias = 'dataworks-egress', password: string | null = STORE_PASSWORD) =>
  pkcs12(name, { key: material.clientKey, certs: [material.clientCert, material.ca], alias }, password);
const truststore = (name: string, password: string | null = STORE_PASSWORD) =>
  pkcs12(name, { certs: [material.ca], alias: 'dataworks_root_ca' }, password);

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { EGRESS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q', DKS_URL: dks.url, ...extra };
}

function configFrom(extra: Record<string, string>): ResolvedEgressServiceConfig {
  return loadEgressServiceConfig({ env: env(extra) });
}

describe('SECURITY_KEYSTORE / SECURITY_TRUSTSTORE (PKCS#12) for the DKS client', () => {
  it('reads the original’s six variables and talks to the stub DKS over mTLS', async () => {
    const config = configFrom({
      SECURITY_KEYSTORE: await clientKeystore('client.p12'),
      SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
      SECURITY_KEY_PASSWORD: STORE_PASSWORD,
      SECURITY_KEYSTORE_ALIAS: 'DataWorks-Egress', // Java's PKCS#12 aliases are case-insensitive
      SECURITY_TRUSTSTORE: await truststore('trust.p12'),
      SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
    });
    const owned = await createDksEgressCrypto(config.dks);
    try {
      const dataKey = await owned.dks.batchDataKey();
      const plaintext = await owned.dks.decryptDataKey(dataKey.keyEncryptionKeyId, dataKey.encryptedDataKey);
      expect(plaintext.equals(dataKey.plaintextDataKey)).toBe(true);
    } finally {
      await owned.close();
    }
  });

  it('gives the client certificate with its issuer chain and the key as PEM; no alias is needed for a single key', async () => {
    const tls = await loadDksTls({
      keystorePath: await clientKeystore('single.p12'),
      keystorePassword: STORE_PASSWORD,
      truststorePath: await truststore('trust-single.p12'),
      truststorePassword: STORE_PASSWORD,
    });
    expect(tls?.cert?.match(/BEGIN CERTIFICATE/g)).toHaveLength(2); // leaf, then the CA
    expect(tls?.key).toContain('BEGIN PRIVATE KEY');
    expect(tls?.ca).toContain('BEGIN CERTIFICATE');
  });

  it('reads a key protected with AES-256 (PBES2), as keytool since Java 12 and openssl 3 write it', async () => {
    const tls = await loadDksTls({
      keystorePath: await pkcs12('aes.p12', {
        key: material.clientKey,
        certs: [material.clientCert],
        alias: 'aes',
        algorithm: 'aes256',
      }),
      keystorePassword: STORE_PASSWORD,
      caPath: path.join(dir, 'certs', 'ca.pem'),
    });
    expect(tls?.key).toContain('BEGIN PRIVATE KEY');
  });

  it('mixes trust and identity sources freely: a PKCS#12 keystore with a PEM CA', async () => {
    const config = configFrom({
      SECURITY_KEYSTORE: await clientKeystore('mixed.p12'),
      SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
      EGRESS_DKS_CA: path.join(dir, 'certs', 'ca.pem'),
    });
    const owned = await createDksEgressCrypto(config.dks);
    try {
      expect((await owned.dks.batchDataKey()).plaintextDataKey).toHaveLength(32);
    } finally {
      await owned.close();
    }
  });

  it('a client without any client certificate is refused by the stub DKS (the keystore is really used)', async () => {
    const config = configFrom({
      SECURITY_TRUSTSTORE: await truststore('trust-only.p12'),
      SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
    });
    const owned = await createDksEgressCrypto(config.dks, { client: { retry: { attempts: 1 } } });
    try {
      await expect(owned.dks.batchDataKey()).rejects.toThrow();
    } finally {
      await owned.close();
    }
  });
});

/** Found on PATH? Real tools check interoperability where the machine has them (CI does). */
function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((entry) => existsSync(path.join(entry, tool)));
}
const haveTools = onPath('openssl') && onPath('keytool');
if (!haveTools)
  console.warn('keystores.test.ts: openssl or keytool not on PATH, real-tool interop cases skipped');

describe.skipIf(!haveTools)('stores written by the real tools (openssl 3, keytool)', () => {
  const run = (command: string, args: string[]) => promisify(execFile)(command, args, { cwd: dir });

  it('openssl pkcs12 -export (AES-256 PBES2, SHA-256 MAC) and a keytool JKS → PKCS12 conversion, with a keytool truststore', async () => {
    const certs = path.join(dir, 'certs');
    await run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      path.join(certs, 'client.pem'),
      '-inkey',
      path.join(certs, 'client-key.pem'),
      '-certfile',
      path.join(certs, 'ca.pem'),
      '-name',
      'egress',
      '-passout',
      'pass:secret',
      '-out',
      'openssl.p12',
    ]);
    // The original's shape: a JKS with distinct store and key passwords, converted as the error says.
    await run('keytool', [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      'openssl.p12',
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass',
      'secret',
      '-destkeystore',
      'original.jks',
      '-deststoretype',
      'JKS',
      '-deststorepass',
      'jks-store',
      '-destkeypass',
      'jks-key',
    ]);
    await run('keytool', [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      'original.jks',
      '-srcstoretype',
      'JKS',
      '-srcstorepass',
      'jks-store',
      '-srckeypass',
      'jks-key',
      '-srcalias',
      'egress',
      '-deststoretype',
      'PKCS12',
      '-destkeystore',
      'converted.p12',
      '-deststorepass',
      'p12-store',
    ]);
    await run('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'dataworks_root_ca',
      '-file',
      path.join(certs, 'ca.pem'),
      '-keystore',
      'keytool-trust.p12',
      '-storetype',
      'PKCS12',
      '-storepass',
      'trust-pass',
    ]);
    const trust = {
      SECURITY_TRUSTSTORE: path.join(dir, 'keytool-trust.p12'),
      SECURITY_TRUSTSTORE_PASSWORD: 'trust-pass',
    };
    const identities: Record<string, string>[] = [
      { SECURITY_KEYSTORE: path.join(dir, 'openssl.p12'), SECURITY_KEYSTORE_PASSWORD: 'secret' },
      // The JKS key password stays set, as the original's environment had it; PKCS#12 uses the store's.
      {
        SECURITY_KEYSTORE: path.join(dir, 'converted.p12'),
        SECURITY_KEYSTORE_PASSWORD: 'p12-store',
        SECURITY_KEY_PASSWORD: 'jks-key',
        SECURITY_KEYSTORE_ALIAS: 'egress',
      },
    ];
    for (const identity of identities) {
      const owned = await createDksEgressCrypto(configFrom({ ...identity, ...trust }).dks);
      try {
        expect((await owned.dks.batchDataKey()).plaintextDataKey).toHaveLength(32);
      } finally {
        await owned.close();
      }
    }
    await expect(
      loadDksTls({
        keystorePath: path.join(dir, 'original.jks'),
        keystorePassword: 'jks-store',
        caPath: path.join(certs, 'ca.pem'),
      }),
    ).rejects.toThrow(/is a JKS keystore.*keytool -importkeystore -srcstoretype JKS/);
  });
});

describe('SECURITY_* errors name the variable and what is wrong', () => {
  const problems = async (extra: () => Promise<Record<string, string>>): Promise<string> => {
    try {
      const config = configFrom(await extra());
      await loadDksTls(config.dks);
    } catch (error) {
      if (error instanceof EgressConfigError) return error.problems.join('\n');
      throw error;
    }
    return 'no error';
  };
  const jks = async (magic: number, name: string) => {
    const file = path.join(dir, name);
    const bytes = Buffer.alloc(64);
    bytes.writeUInt32BE(magic, 0);
    await writeFile(file, bytes);
    return file;
  };

  it.each<[string, () => Promise<Record<string, string>>, RegExp]>([
    [
      'a JKS keystore: the keytool conversion',
      async () => ({
        SECURITY_KEYSTORE: await jks(0xfeedfeed, 'keystore.jks'),
        SECURITY_KEYSTORE_PASSWORD: 'x',
      }),
      /^dks\.keystorePath \(SECURITY_KEYSTORE \/ --dks-keystore\): ".*keystore\.jks" is a JKS keystore.*keytool -importkeystore -srcstoretype JKS -srckeystore .*keystore\.jks -deststoretype PKCS12 -destkeystore .*keystore\.p12/,
    ],
    [
      'a JKS truststore',
      async () => ({ SECURITY_TRUSTSTORE: await jks(0xfeedfeed, 'truststore.jks') }),
      /^dks\.truststorePath \(SECURITY_TRUSTSTORE \/ --dks-truststore\): .* is a JKS keystore.*keytool -importkeystore -srcstoretype JKS/,
    ],
    [
      'a JCEKS keystore',
      async () => ({ SECURITY_KEYSTORE: await jks(0xcececece, 'keystore.jceks') }),
      /SECURITY_KEYSTORE.*is a JCEKS keystore.*-srcstoretype JCEKS/,
    ],
    [
      'a PEM file as keystore',
      async () => ({ SECURITY_KEYSTORE: path.join(dir, 'certs', 'client.pem') }),
      /SECURITY_KEYSTORE.*is a PEM file.*EGRESS_DKS_CERT/,
    ],
    [
      'a file that is not DER',
      async () => {
        await writeFile(path.join(dir, 'junk.p12'), 'not a keystore at all');
        return { SECURITY_KEYSTORE: path.join(dir, 'junk.p12') };
      },
      /SECURITY_KEYSTORE.*junk\.p12" is not a PKCS#12 file/,
    ],
    [
      'a missing keystore file',
      async () => ({ SECURITY_KEYSTORE: path.join(dir, 'absent.p12') }),
      /SECURITY_KEYSTORE.*cannot read ".*absent\.p12" \(ENOENT\)/,
    ],
    [
      'a wrong keystore password',
      async () => ({
        SECURITY_KEYSTORE: await clientKeystore('wrong-pass.p12'),
        SECURITY_KEYSTORE_PASSWORD: 'not-the-password',
        SECURITY_TRUSTSTORE: await truststore('t1.p12'),
        SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
      }),
      /^dks\.keystorePassword \(SECURITY_KEYSTORE_PASSWORD\): does not open .*wrong-pass\.p12.*wrong password/,
    ],
    [
      'a wrong truststore password',
      async () => ({ SECURITY_TRUSTSTORE: await truststore('t2.p12'), SECURITY_TRUSTSTORE_PASSWORD: 'nope' }),
      /^dks\.truststorePassword \(SECURITY_TRUSTSTORE_PASSWORD\): does not open .*t2\.p12/,
    ],
    [
      'a missing alias',
      async () => ({
        SECURITY_KEYSTORE: await clientKeystore('alias.p12', 'egress-client'),
        SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
        SECURITY_KEYSTORE_ALIAS: 'other-alias',
        SECURITY_TRUSTSTORE: await truststore('t3.p12'),
        SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
      }),
      /^dks\.keystoreAlias \(SECURITY_KEYSTORE_ALIAS \/ --dks-keystore-alias\): no key entry "other-alias" .*\(its key entries: egress-client\)/,
    ],
    [
      'a keystore without a private key',
      async () => ({
        SECURITY_KEYSTORE: await truststore('no-key.p12'),
        SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
        SECURITY_TRUSTSTORE: await truststore('t4.p12'),
        SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
      }),
      /SECURITY_KEYSTORE.*no-key\.p12" holds no private key/,
    ],
    [
      'a key without its certificate',
      async () => {
        const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          format: 'pem',
          type: 'pkcs8',
        }) as string;
        return {
          SECURITY_KEYSTORE: await pkcs12('stranger.p12', {
            key: stranger,
            certs: [material.clientCert],
            alias: 'x',
          }),
          SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
          SECURITY_TRUSTSTORE: await truststore('t5.p12'),
          SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
        };
      },
      /SECURITY_KEYSTORE.*holds no certificate for the key "x"/,
    ],
    [
      'a truststore without certificates',
      async () => ({
        SECURITY_TRUSTSTORE: await pkcs12('empty-trust.p12', { key: material.clientKey, certs: [] }),
        SECURITY_TRUSTSTORE_PASSWORD: STORE_PASSWORD,
      }),
      /SECURITY_TRUSTSTORE.*holds no certificate to trust/,
    ],
    [
      'a keystore with no trust at all',
      async () => ({
        SECURITY_KEYSTORE: await clientKeystore('no-trust.p12'),
        SECURITY_KEYSTORE_PASSWORD: STORE_PASSWORD,
      }),
      /EGRESS_DKS_CA.*or.*SECURITY_TRUSTSTORE.*required with a client certificate/,
    ],
    [
      'PEM and keystore identities together',
      async () => ({
        SECURITY_KEYSTORE: path.join(dir, 'whatever.p12'),
        EGRESS_DKS_CERT: path.join(dir, 'certs', 'client.pem'),
        EGRESS_DKS_KEY: path.join(dir, 'certs', 'client-key.pem'),
      }),
      /^SECURITY_KEYSTORE: give the client identity: a PKCS#12 keystore or a PEM certificate and key, not both/,
    ],
    [
      'PEM CA and truststore together',
      async () => ({
        SECURITY_TRUSTSTORE: path.join(dir, 'x.p12'),
        EGRESS_DKS_CA: path.join(dir, 'certs', 'ca.pem'),
      }),
      /^SECURITY_TRUSTSTORE: give the trusted CA: a PKCS#12 truststore or a PEM CA file, not both/,
    ],
    [
      'a password without its store',
      async () => ({ SECURITY_KEYSTORE_PASSWORD: 'x' }),
      /^SECURITY_KEYSTORE_PASSWORD: is set but dks\.keystorePath is not/,
    ],
  ])('%s', async (_name, extra, expected) => {
    expect(await problems(extra)).toMatch(expected);
  });

  it('a keystore needs a DKS URL to talk to', () => {
    expect(() =>
      loadEgressServiceConfig({
        env: { EGRESS_QUEUE_URL: 'http://127.0.0.1:1/0/q', SECURITY_KEYSTORE: '/k.p12' },
      }),
    ).toThrow(/SECURITY_KEYSTORE: is set but dks\.url is not/);
  });

  it('the generated files are real PKCS#12 (openssl-compatible DER, not JKS)', async () => {
    const bytes = await readFile(await clientKeystore('check.p12'));
    expect(bytes[0]).toBe(0x30); // a DER SEQUENCE
  });
});
