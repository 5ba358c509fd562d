/**
 * A minimal EgressCrypto for the benchmarks: HTME decrypt (DKS unwrap of the data key, cached by the
 * client, then a streaming AES-CTR decipher between the GET stream and compression), pass-through
 * for everything else. The service ships without an EgressCrypto implementation (crypto seam
 * `src/egress/transfer/content-seam.ts`; docs/encryption.md: "the wiring comes later"), so the
 * decrypt + gzip benchmark plugs this in through `startEgressService(config, { crypto })` — the
 * pipeline measured is the service's own, only the seam's body is the bench's.
 */
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import {
  createCtrDecipher,
  DataKeyServiceClient,
  passThroughMetadata,
  readHtmeEnvelope,
} from '../../src/egress/crypto/index.ts';
import type { EgressCrypto } from '../../src/egress/transfer/content-seam.ts';

export interface DksSettings {
  url: string;
  caPath: string;
  certPath: string;
  keyPath: string;
}

export async function createDksClient(settings: DksSettings): Promise<DataKeyServiceClient> {
  const [ca, cert, key] = await Promise.all(
    [settings.caPath, settings.certPath, settings.keyPath].map((file) => readFile(file, 'utf8')),
  );
  return new DataKeyServiceClient({ url: settings.url, tls: { ca: ca!, cert: cert!, key: key! } });
}

export function htmeDecryptCrypto(dks: DataKeyServiceClient): EgressCrypto {
  return {
    async transformObject(source, context) {
      const envelope = readHtmeEnvelope(source.metadata);
      if (!envelope) return { body: source.body, metadata: {} };
      if (!context.rule.rule.decrypt) {
        return { body: source.body, metadata: passThroughMetadata(envelope, source.metadata) };
      }
      const key = await dks.decryptDataKey(
        envelope.keyEncryptionKeyId,
        envelope.encryptedDataKey,
        context.signal,
      );
      const decipher = createCtrDecipher(key, envelope.iv);
      pipeline(source.body, decipher, () => {});
      return { body: decipher, metadata: {} };
    },
    async sealManifest() {
      throw new Error('encrypted manifests are not part of the benchmarks');
    },
  };
}
