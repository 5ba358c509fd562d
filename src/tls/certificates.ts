import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

/** PEM file paths of a sandbox certificate set. */
export interface CertificatePaths {
  /** The throwaway CA that signed everything below. */
  ca: string;
  /** Server certificate (SANs `127.0.0.1`, `localhost` and any extra names) and its key. */
  serverCert: string;
  serverKey: string;
  /** Client certificate accepted by every sandbox server (DKS stub, stub NiFi), and its key. */
  clientCert: string;
  clientKey: string;
}

/** The same set, loaded into memory for `https.createServer` / `https.Agent`. */
export interface CertificateMaterial {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface EnsureCertificatesOptions {
  /** Extra DNS names for the server certificate (e.g. `dks`, `stub-nifi` in docker-compose). */
  extraDnsNames?: string[];
  /** Validity in days. @defaultValue 30 */
  validityDays?: number;
}

const FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
  clientCert: 'client.pem',
  clientKey: 'client-key.pem',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A random positive 16-byte serial in minimal DER form: the first byte is 0x40–0x7F, so the integer
 * is positive without a leading 0x00 and never has one to strip. (A leading `0` nibble, used before,
 * sometimes gave a non-minimal encoding that OpenSSL refuses to load.)
 */
export function serialNumber(): string {
  const bytes = forge.random.getBytesSync(16);
  const first = 0x40 | (bytes.charCodeAt(0) & 0x3f);
  return forge.util.bytesToHex(String.fromCharCode(first) + bytes.slice(1));
}

function validity(cert: forge.pki.Certificate, days: number): void {
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
}

function issue(
  subjectCn: string,
  keys: forge.pki.rsa.KeyPair,
  issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | undefined,
  extensions: object[],
  days: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, days);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: subjectCn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return cert;
}

function generateKeys(): Promise<forge.pki.rsa.KeyPair> {
  // forge delegates to Node's native RSA key generation when it is available.
  return new Promise((resolve, reject) =>
    forge.pki.rsa.generateKeyPair({ bits: 2048, workers: -1 }, (error, keys) =>
      error ? reject(error) : resolve(keys),
    ),
  );
}

/** Generates a CA, a server certificate and a client certificate (all RSA-2048, SHA-256). */
export async function generateCertificates(
  options: EnsureCertificatesOptions = {},
): Promise<CertificateMaterial & { caKey: string }> {
  const days = options.validityDays ?? 30;
  const [caKeys, serverKeys, clientKeys] = await Promise.all([
    generateKeys(),
    generateKeys(),
    generateKeys(),
  ]);
  const caCert = issue(
    'egress-sandbox throwaway CA',
    caKeys,
    undefined,
    [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
    days,
  );
  const issuer = { cert: caCert, key: caKeys.privateKey };
  const dnsNames = ['localhost', ...(options.extraDnsNames ?? [])];
  const serverCert = issue(
    'localhost',
    serverKeys,
    issuer,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dnsNames.map((value) => ({ type: 2, value })),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
    days,
  );
  const clientCert = issue(
    'egress-sandbox client',
    clientKeys,
    issuer,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
    days,
  );
  const pem = forge.pki.certificateToPem;
  const keyPem = forge.pki.privateKeyToPem;
  return {
    ca: pem(caCert),
    caKey: keyPem(caKeys.privateKey),
    serverCert: pem(serverCert),
    serverKey: keyPem(serverKeys.privateKey),
    clientCert: pem(clientCert),
    clientKey: keyPem(clientKeys.privateKey),
  };
}

function stillUsable(serverPem: string, dnsNames: string[]): boolean {
  try {
    const cert = forge.pki.certificateFromPem(serverPem);
    if (cert.validity.notAfter.getTime() < Date.now() + DAY_MS) return false;
    const san = cert.getExtension('subjectAltName') as { altNames?: { value?: string }[] } | null;
    const names = new Set((san?.altNames ?? []).map((n) => n.value));
    return dnsNames.every((name) => names.has(name));
  } catch {
    return false;
  }
}

/**
 * Makes sure `dir` holds a usable certificate set and returns the file paths. An existing set
 * is reused while it is valid for at least another day and covers the requested names, so
 * repeated sandbox starts stay fast; otherwise a new set is generated and written atomically.
 */
export async function ensureCertificates(
  dir: string,
  options: EnsureCertificatesOptions = {},
): Promise<CertificatePaths> {
  const absolute = path.resolve(dir);
  const paths: CertificatePaths = {
    ca: path.join(absolute, FILES.ca),
    serverCert: path.join(absolute, FILES.serverCert),
    serverKey: path.join(absolute, FILES.serverKey),
    clientCert: path.join(absolute, FILES.clientCert),
    clientKey: path.join(absolute, FILES.clientKey),
  };
  const complete = Object.values(FILES).every((file) => existsSync(path.join(absolute, file)));
  if (complete) {
    const server = await readFile(paths.serverCert, 'utf8');
    if (stillUsable(server, ['localhost', ...(options.extraDnsNames ?? [])])) return paths;
  }
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  const material = await generateCertificates(options);
  for (const [name, file] of Object.entries(FILES)) {
    const target = path.join(absolute, file);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, material[name as keyof typeof material], {
      mode: file.endsWith('-key.pem') ? 0o600 : 0o644,
    });
    await rename(temporary, target);
  }
  return paths;
}

/** Reads a certificate set into memory. */
export async function loadCertificates(paths: CertificatePaths): Promise<CertificateMaterial> {
  const [ca, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
    [paths.ca, paths.serverCert, paths.serverKey, paths.clientCert, paths.clientKey].map((file) =>
      readFile(file, 'utf8'),
    ),
  );
  return {
    ca: ca!,
    serverCert: serverCert!,
    serverKey: serverKey!,
    clientCert: clientCert!,
    clientKey: clientKey!,
  };
}
