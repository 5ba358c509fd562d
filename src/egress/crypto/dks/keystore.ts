import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';

/**
 * PKCS#12 keystores and truststores, as the original took its DKS client identity
 * (`SECURITY_KEYSTORE`, `SECURITY_TRUSTSTORE`, … behaviour §4.2, §7.3), turned into the PEM the DKS
 * client uses. Parsing is node-forge's; what this module adds is choosing the entry (alias),
 * pairing the key with its certificate, and errors that name the setting at fault.
 *
 * The original read JKS files. JKS is a Java-only format, so it is refused with the `keytool`
 * command that converts it to PKCS#12 (which Java reads as well).
 */

/** A keystore or truststore that cannot be used; `setting` names the variable to fix. */
export class KeystoreError extends Error {
  override readonly name = 'KeystoreError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** Names of the settings, for messages (the original's variables, or whatever the caller shows). */
export interface KeystoreSettingNames {
  readonly file: string;
  readonly password: string;
  readonly keyPassword?: string;
  readonly alias?: string;
}

export interface KeystoreInput {
  readonly file: string;
  readonly bytes: Buffer;
  /** `undefined` or empty: an unprotected store. */
  readonly password?: string | undefined;
  readonly names: KeystoreSettingNames;
}

/** The client identity of a keystore: the certificate chain (leaf first) and the private key, PEM. */
export interface KeystoreIdentity {
  readonly cert: string;
  readonly key: string;
  /** The alias of the entry used. */
  readonly alias: string;
}

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

function conversionHint(file: string, type: 'JKS' | 'JCEKS'): string {
  const { dir, name } = path.parse(file);
  const target = path.join(dir, `${name}.p12`);
  return (
    `${JSON.stringify(file)} is a ${type} keystore, which only Java reads; convert it to PKCS#12 ` +
    `(Java reads that too) and point the variable at the result: keytool -importkeystore -srcstoretype ${type} ` +
    `-srckeystore ${file} -deststoretype PKCS12 -destkeystore ${target}`
  );
}

interface ParsedStore {
  readonly bags: forge.pkcs12.Bag[];
}

/** Opens a PKCS#12 file: format checks first (JKS, PEM, not DER), then the password. */
function openStore(input: KeystoreInput, keyPassword: string | undefined): ParsedStore {
  const { file, bytes, names } = input;
  if (bytes.length >= 4) {
    const magic = bytes.readUInt32BE(0);
    if (magic === JKS_MAGIC) throw new KeystoreError(names.file, conversionHint(file, 'JKS'));
    if (magic === JCEKS_MAGIC) throw new KeystoreError(names.file, conversionHint(file, 'JCEKS'));
  }
  if (bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN ')) {
    throw new KeystoreError(
      names.file,
      `${JSON.stringify(file)} is a PEM file, not a PKCS#12 store; give PEM files through EGRESS_DKS_CA, EGRESS_DKS_CERT and EGRESS_DKS_KEY instead`,
    );
  }
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')), false);
  } catch {
    throw new KeystoreError(names.file, `${JSON.stringify(file)} is not a PKCS#12 file (not DER)`);
  }
  const password = input.password ?? '';
  try {
    return { bags: bagsOf(forge.pkcs12.pkcs12FromAsn1(asn1, false, password)) };
  } catch (error) {
    const message = (error as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw new KeystoreError(
        names.password,
        `does not open ${JSON.stringify(file)} (its integrity check fails: wrong password)`,
      );
    }
    if (/ShroudedKeyBag/.test(message)) {
      // forge (like keytool and openssl for PKCS#12) protects the key with the store password.
      throw new KeystoreError(
        names.keyPassword ?? names.password,
        `the private key in ${JSON.stringify(file)} does not decrypt with the keystore password` +
          (keyPassword !== undefined && keyPassword !== password
            ? ` (a PKCS#12 key protected by a password other than ${names.password} is not supported: re-export the store with one password, as keytool -importkeystore does)`
            : ''),
      );
    }
    if (/Invalid PKCS#12|PFX|PKCS#12|Cannot read/i.test(message)) {
      throw new KeystoreError(names.file, `${JSON.stringify(file)} is not a usable PKCS#12 file: ${message}`);
    }
    throw new KeystoreError(names.file, `${JSON.stringify(file)} cannot be read: ${message}`);
  }
}

function bagsOf(p12: forge.pkcs12.Pkcs12Pfx): forge.pkcs12.Bag[] {
  return p12.safeContents.flatMap((contents) => contents.safeBags);
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function certificateOf(bag: forge.pkcs12.Bag): X509Certificate | undefined {
  const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
  return asn1 ? new X509Certificate(derOf(asn1)) : undefined;
}

function privateKeyOf(bag: forge.pkcs12.Bag): KeyObject | undefined {
  // forge parses RSA keys; anything else (EC) stays as its PrivateKeyInfo ASN.1 for Node to read.
  const asn1 = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  return asn1 ? createPrivateKey({ key: derOf(asn1), format: 'der', type: 'pkcs8' }) : undefined;
}

function attribute(bag: forge.pkcs12.Bag, name: 'friendlyName' | 'localKeyId'): string | undefined {
  const value = bag.attributes?.[name]?.[0];
  return typeof value === 'string' ? value : undefined;
}

const KEY_BAGS = [forge.pki.oids.pkcs8ShroudedKeyBag, forge.pki.oids.keyBag];

/**
 * The client identity of a PKCS#12 keystore: the private key of the entry `alias` (Java's PKCS#12
 * aliases are case-insensitive; without an alias, the store's only key), its certificate and the
 * issuers the store holds for it.
 *
 * @throws KeystoreError naming the variable: file format (JKS → the keytool conversion), password,
 *   alias not found (with the aliases present), no key or no matching certificate
 */
export function readKeystoreIdentity(
  input: KeystoreInput & { keyPassword?: string | undefined; alias?: string | undefined },
): KeystoreIdentity {
  const { bags } = openStore(input, input.keyPassword);
  const certificates = bags
    .filter((bag) => bag.type === forge.pki.oids.certBag)
    .map((bag) => ({ bag, x509: certificateOf(bag) }));
  // An entry's alias is on its key bag, or on the certificate bag sharing its localKeyId.
  const keys = bags
    .filter((bag) => KEY_BAGS.includes(bag.type))
    .map((bag) => {
      const id = attribute(bag, 'localKeyId');
      const alias =
        attribute(bag, 'friendlyName') ??
        certificates.map((c) => c.bag).find((c) => id !== undefined && attribute(c, 'localKeyId') === id)
          ?.attributes?.friendlyName?.[0] ??
        '';
      return { bag, alias: String(alias) };
    });
  const file = JSON.stringify(input.file);
  if (keys.length === 0) throw new KeystoreError(input.names.file, `${file} holds no private key`);
  const aliases = keys.map((key) => key.alias || '(no alias)').join(', ');
  const wanted = input.alias?.trim();
  let entry: (typeof keys)[number] | undefined;
  if (wanted) {
    entry = keys.find((key) => key.alias.toLowerCase() === wanted.toLowerCase());
    if (!entry) {
      throw new KeystoreError(
        input.names.alias ?? input.names.file,
        `no key entry ${JSON.stringify(wanted)} in ${file} (its key entries: ${aliases})`,
      );
    }
  } else if (keys.length === 1) {
    entry = keys[0];
  } else {
    throw new KeystoreError(
      input.names.alias ?? input.names.file,
      `${file} holds ${keys.length} keys (${aliases}): name the one to use`,
    );
  }
  const key = privateKeyOf(entry!.bag);
  if (!key)
    throw new KeystoreError(input.names.file, `the key ${JSON.stringify(entry!.alias)} cannot be read`);
  const leaf = certificates.find((candidate) => candidate.x509?.checkPrivateKey(key))?.x509;
  if (!leaf) {
    throw new KeystoreError(
      input.names.file,
      `${file} holds no certificate for the key ${JSON.stringify(entry!.alias)}`,
    );
  }
  // The leaf, then each issuer the store holds, up to a self-signed one.
  const chain = [leaf];
  for (let current = leaf; current.issuer !== current.subject; ) {
    const issuer = certificates.find(
      (candidate) => candidate.x509 && !chain.includes(candidate.x509) && current.checkIssued(candidate.x509),
    )?.x509;
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return {
    cert: chain.map((certificate) => certificate.toString()).join(''),
    key: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    alias: entry!.alias,
  };
}

/**
 * The trusted certificates of a PKCS#12 truststore (every certificate it holds), PEM.
 *
 * @throws KeystoreError naming the variable: file format, password, or no certificate at all
 */
export function readTruststore(input: KeystoreInput): string {
  const { bags } = openStore(input, undefined);
  const pems = bags
    .filter((bag) => bag.type === forge.pki.oids.certBag)
    .map((bag) => certificateOf(bag)?.toString())
    .filter((pem): pem is string => pem !== undefined);
  if (pems.length === 0) {
    throw new KeystoreError(input.names.file, `${JSON.stringify(input.file)} holds no certificate to trust`);
  }
  return pems.join('');
}
