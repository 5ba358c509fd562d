import { readFile } from 'node:fs/promises';
import { type Logger, silentLogger } from '../../../logging/logger.ts';
import {
  EgressConfigError,
  type ResolvedEgressServiceConfig,
  SETTINGS,
} from '../../config/service-config.ts';
import type { EgressCrypto } from '../../transfer/content-seam.ts';
import { createEgressCrypto } from '../egress-crypto.ts';
import { DataKeyServiceClient, type DataKeyServiceClientOptions } from './dks-client.ts';
import { KeystoreError, readKeystoreIdentity, readTruststore } from './keystore.ts';

/** The service's `dks` settings (URL, PEM file paths, PKCS#12 stores). */
export type DksSettings = ResolvedEgressServiceConfig['dks'];

/** A crypto built by the service itself, with the DKS client it owns. */
export interface OwnedEgressCrypto {
  readonly crypto: EgressCrypto;
  readonly dks: DataKeyServiceClient;
  /** Closes the DKS client: pooled connections, requests in flight, cached keys. */
  close(): Promise<void>;
}

const SETTING_OF = {
  caPath: 'dksCaPath',
  certPath: 'dksCertPath',
  keyPath: 'dksKeyPath',
  keystorePath: 'dksKeystorePath',
  keystorePassword: 'dksKeystorePassword',
  keyPassword: 'dksKeyPassword',
  keystoreAlias: 'dksKeystoreAlias',
  truststorePath: 'dksTruststorePath',
  truststorePassword: 'dksTruststorePassword',
} as const;

/** `dks.caPath (EGRESS_DKS_CA / --dks-ca)`: the field as the config and the operator know it. */
function fieldName(field: keyof typeof SETTING_OF): string {
  const setting = SETTINGS.find((candidate) => candidate.field === SETTING_OF[field]);
  if (!setting) return `dks.${field}`;
  return `dks.${field} (${setting.env[0]}${setting.flag ? ` / ${setting.flag}` : ''})`;
}

async function readBytes(field: keyof typeof SETTING_OF, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EgressConfigError([`${fieldName(field)}: cannot read ${JSON.stringify(file)} (${code})`]);
  }
}

async function readPem(field: 'caPath' | 'certPath' | 'keyPath', file: string): Promise<string> {
  const text = (await readBytes(field, file)).toString('utf8');
  if (!text.includes('-----BEGIN ')) {
    throw new EgressConfigError([`${fieldName(field)}: ${JSON.stringify(file)} is not a PEM file`]);
  }
  return text;
}

/** Reads a PKCS#12 store through `read`, turning its errors into configuration errors. */
function fromStore<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof KeystoreError) throw new EgressConfigError([error.message]);
    throw error;
  }
}

/**
 * Reads the DKS TLS material named by the settings, once: PEM files (`EGRESS_DKS_CA`, `_CERT`,
 * `_KEY`) or the original's PKCS#12 stores (`SECURITY_KEYSTORE`, `SECURITY_TRUSTSTORE` and their
 * passwords and alias) — for each of trust and identity one or the other, never both (the
 * configuration refuses the mix). `undefined` when no trust is configured (then the system trust
 * store applies and no client certificate is sent).
 *
 * @throws EgressConfigError naming the variable of a missing, unreadable or unusable file, a
 *   wrong password, a missing alias, or a JKS file (with the keytool conversion)
 */
export async function loadDksTls(settings: DksSettings): Promise<DataKeyServiceClientOptions['tls']> {
  const [ca, cert, key, keystore, truststore] = await Promise.all([
    settings.caPath === undefined ? undefined : readPem('caPath', settings.caPath),
    settings.certPath === undefined ? undefined : readPem('certPath', settings.certPath),
    settings.keyPath === undefined ? undefined : readPem('keyPath', settings.keyPath),
    settings.keystorePath === undefined ? undefined : readBytes('keystorePath', settings.keystorePath),
    settings.truststorePath === undefined ? undefined : readBytes('truststorePath', settings.truststorePath),
  ]);
  const trusted =
    ca ??
    (truststore === undefined || settings.truststorePath === undefined
      ? undefined
      : fromStore(() =>
          readTruststore({
            file: settings.truststorePath!,
            bytes: truststore,
            password: settings.truststorePassword,
            names: { file: fieldName('truststorePath'), password: fieldName('truststorePassword') },
          }),
        ));
  const identity =
    keystore === undefined || settings.keystorePath === undefined
      ? cert === undefined || key === undefined
        ? undefined
        : { cert, key }
      : fromStore(() =>
          readKeystoreIdentity({
            file: settings.keystorePath!,
            bytes: keystore,
            password: settings.keystorePassword,
            keyPassword: settings.keyPassword,
            alias: settings.keystoreAlias,
            names: {
              file: fieldName('keystorePath'),
              password: fieldName('keystorePassword'),
              keyPassword: fieldName('keyPassword'),
              alias: fieldName('keystoreAlias'),
            },
          }),
        );
  if (trusted === undefined) {
    if (identity !== undefined) {
      throw new EgressConfigError([
        `${fieldName('caPath')} or ${fieldName('truststorePath')}: required with a client certificate (dks.certPath / dks.keyPath or dks.keystorePath)`,
      ]);
    }
    return undefined;
  }
  return { ca: trusted, ...(identity ? { cert: identity.cert, key: identity.key } : {}) };
}

/**
 * Builds the egress crypto from the service's `dks` settings: reads the PEM files once, creates
 * the {@link DataKeyServiceClient} (mTLS, retries with back-off, LRU of unwrapped keys) and the
 * {@link EgressCrypto} on top of it. The caller owns the result and closes it on stop.
 *
 * @throws EgressConfigError when `dks.url` is missing or a PEM file is unusable
 */
export async function createDksEgressCrypto(
  settings: DksSettings,
  options: { logger?: Logger; client?: Omit<DataKeyServiceClientOptions, 'url' | 'tls' | 'logger'> } = {},
): Promise<OwnedEgressCrypto> {
  if (settings.url === undefined) throw new EgressConfigError(['dks.url: is required for the crypto']);
  const tls = await loadDksTls(settings);
  const logger = options.logger ?? silentLogger();
  let dks: DataKeyServiceClient;
  try {
    dks = new DataKeyServiceClient({
      url: settings.url,
      ...(tls ? { tls } : {}),
      ...options.client,
      logger: logger.child({ component: 'dks-client' }),
    });
  } catch (error) {
    throw new EgressConfigError([`dks: ${(error as Error).message}`]);
  }
  return { crypto: createEgressCrypto({ dks }), dks, close: () => dks.close() };
}
