import { readFile } from 'node:fs/promises';
import { type Logger, silentLogger } from '../../logging/logger.ts';
import { EgressConfigError, type ResolvedEgressServiceConfig, SETTINGS } from '../config/service-config.ts';
import type { EgressCrypto } from '../transfer/content-seam.ts';
import { DataKeyServiceClient, type DataKeyServiceClientOptions } from './dks-client.ts';
import { createEgressCrypto } from './egress-crypto.ts';

/** The service's `dks` settings (URL and PEM file paths). */
export type DksSettings = ResolvedEgressServiceConfig['dks'];

/** A crypto built by the service itself, with the DKS client it owns. */
export interface OwnedEgressCrypto {
  readonly crypto: EgressCrypto;
  readonly dks: DataKeyServiceClient;
  /** Closes the DKS client: pooled connections, requests in flight, cached keys. */
  close(): Promise<void>;
}

const PEM_FIELDS = {
  caPath: 'dksCaPath',
  certPath: 'dksCertPath',
  keyPath: 'dksKeyPath',
} as const;

/** `dks.caPath (EGRESS_DKS_CA / --dks-ca)`: the field as the config and the operator know it. */
function fieldName(field: keyof typeof PEM_FIELDS): string {
  const setting = SETTINGS.find((candidate) => candidate.field === PEM_FIELDS[field]);
  return setting ? `dks.${field} (${setting.env[0]} / ${setting.flag})` : `dks.${field}`;
}

async function readPem(field: keyof typeof PEM_FIELDS, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EgressConfigError([`${fieldName(field)}: cannot read ${JSON.stringify(file)} (${code})`]);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new EgressConfigError([`${fieldName(field)}: ${JSON.stringify(file)} is not a PEM file`]);
  }
  return text;
}

/**
 * Reads the DKS TLS material named by the settings, once. `undefined` when no CA is configured
 * (then the system trust store applies and no client certificate is sent).
 *
 * @throws EgressConfigError naming the field of a missing, unreadable or non-PEM file
 */
export async function loadDksTls(settings: DksSettings): Promise<DataKeyServiceClientOptions['tls']> {
  const [ca, cert, key] = await Promise.all([
    settings.caPath === undefined ? undefined : readPem('caPath', settings.caPath),
    settings.certPath === undefined ? undefined : readPem('certPath', settings.certPath),
    settings.keyPath === undefined ? undefined : readPem('keyPath', settings.keyPath),
  ]);
  if (ca === undefined) {
    if (cert !== undefined || key !== undefined) {
      throw new EgressConfigError([
        `${fieldName('caPath')}: required with a client certificate (dks.certPath / dks.keyPath)`,
      ]);
    }
    return undefined;
  }
  return { ca, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
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
