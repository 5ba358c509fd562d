import { pipeline, Readable, type Transform } from 'node:stream';
import { describeFailure } from '../../util/describe-failure.ts';
import { ObjectTransferError } from '../errors.ts';
import type {
  ContentContext,
  EgressCrypto,
  ManifestToSeal,
  ObjectContent,
  SourceObject,
} from '../transfer/content-seam.ts';
import { createCseDecipher } from './cse/cse-decipher.ts';
import { readCseEnvelope } from './cse/cse-envelope.ts';
import type { DataKeyServiceClient } from './dks/dks-client.ts';
import { createCtrDecipher, type HtmeEnvelope, passThroughMetadata, readHtmeEnvelope } from './htme/htme.ts';
import { shortKeyHash } from './key-hash.ts';
import { encryptManifest } from './manifest-encryption.ts';
import { planObjectHandling } from './object-handling.ts';
import { rewrapDataKey, rewrappedMetadata } from './rewrap/rewrap.ts';
import { RewrapKeySource } from './rewrap/rewrap-key-source.ts';

/** What the egress crypto needs from the Data Key Service (a {@link DataKeyServiceClient}). */
export type DataKeySource = Pick<DataKeyServiceClient, 'decryptDataKey' | 'batchDataKey'>;

/**
 * An encrypted object (or manifest) could not be handled: bad envelope, DKS refusal or outage,
 * unusable re-wrap key, a rule that cannot be honoured truthfully. The object fails and the message
 * is retried (then dead-lettered by the queue's redrive policy); the rule's other objects go on.
 */
export class EncryptedObjectError extends ObjectTransferError {
  override readonly name = 'EncryptedObjectError';
}

/** Options of {@link createEgressCrypto}. */
export interface EgressCryptoOptions {
  /** Unwraps data keys (HTME, CSE master keys) and supplies the batch data key (manifests). */
  dks: DataKeySource;
  /** Where re-wrap keys come from; one SSM read per rule execution. @defaultValue a new source */
  rewrapKeys?: RewrapKeySource;
}

const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/** `source → transform`, where the result fails when the source fails (and vice versa). */
function through(source: Readable, transform: Transform): Readable {
  pipeline(source, transform, () => {});
  return transform;
}

/** Fails the object with `what` and the reason (the cause chain is flattened into the message once). */
function fail(what: string, error: unknown): never {
  const failure = new EncryptedObjectError(`${what}: ${describeFailure(error)}`);
  // Kept for debugging, but not as `cause`: describeFailure would repeat its text in every reason.
  Object.defineProperty(failure, 'underlying', { value: error, enumerable: false });
  throw failure;
}

/**
 * The crypto of the egress pipeline (behaviour §4, §6.2), plugged into the transfer seam:
 *
 * | source | rule | body written | S3 metadata written |
 * |---|---|---|---|
 * | HTME | `decrypt` | plaintext (streaming AES-CTR) | none |
 * | HTME | neither | ciphertext as is | `iv`, `ciphertext`, `datakeyencryptionkeyid`, `data_product*` |
 * | HTME | `rewrap_datakey` (S3) | ciphertext as is | `iv`, recipient `KeyId`, RSA-wrapped key, `data_product*` |
 * | HTME | both (S3) | — refused, nothing written | — |
 * | CSE | any | plaintext (streaming GCM/CBC) | none |
 * | plain | any | as is | none |
 *
 * SFT files never carry metadata. Key material never reaches logs or errors: wrapped keys appear as
 * `sha256:<12 hex>`, plaintext keys nowhere, and unwrapped keys are zeroed once the cipher holds them.
 */
export function createEgressCrypto(options: EgressCryptoOptions): EgressCrypto {
  const { dks } = options;
  const rewrapKeys = options.rewrapKeys ?? new RewrapKeySource();

  const unwrap = async (envelope: HtmeEnvelope, signal: AbortSignal): Promise<Buffer> => {
    try {
      return await dks.decryptDataKey(envelope.keyEncryptionKeyId, envelope.encryptedDataKey, signal);
    } catch (error) {
      signal.throwIfAborted();
      return fail('the data key of this HTME object could not be unwrapped by the DKS', error);
    }
  };

  const rewrapKey = (
    execution: object,
    parameterName: string,
    ssm: ContentContext['ssm'],
    signal: AbortSignal,
  ) =>
    rewrapKeys.get(execution, parameterName, ssm, signal).catch((error: unknown) => {
      signal.throwIfAborted();
      return fail('no re-wrap key', error);
    });

  const readEnvelope = (source: SourceObject): HtmeEnvelope => {
    try {
      // Present by classification; strict: an IV that is not Base64 of 16 bytes fails the object.
      return readHtmeEnvelope(source.metadata)!;
    } catch (error) {
      return fail('HTME object refused', error);
    }
  };

  return {
    async transformObject(source: SourceObject, context: ContentContext): Promise<ObjectContent> {
      const { rule } = context.rule;
      const handling = planObjectHandling(source.metadata, rule);
      const logger = context.logger;
      switch (handling.kind) {
        case 'plain':
          if (handling.warning) logger.warn({ reason: handling.warning }, 'object not treated as encrypted');
          return { body: source.body, metadata: NO_METADATA };
        case 'refused':
          throw new EncryptedObjectError(`encrypted object refused: ${handling.reason}`);
        case 'cse': {
          let decipher: Transform;
          const masterKeys: Buffer[] = []; // copies handed out by the DKS client, zeroed once used
          const keep = (key: Buffer): Buffer => {
            masterKeys.push(key);
            return key;
          };
          try {
            const envelope = readCseEnvelope(source.metadata);
            decipher = await createCseDecipher(
              envelope,
              async (keyId, encryptedKey) =>
                keep(await dks.decryptDataKey(keyId, encryptedKey, context.signal)),
              async () => keep((await dks.batchDataKey(context.signal)).plaintextDataKey),
            );
            logger.debug(
              {
                encryption: 'cse',
                format: envelope.format,
                wrap: envelope.wrapAlgorithm,
                content: envelope.contentAlgorithm,
                keyEncryptionKeyId: envelope.matdesc.keyid,
                encryptedKeyHash:
                  envelope.matdesc.encryptedkey && shortKeyHash(envelope.matdesc.encryptedkey),
              },
              'decrypting client-side-encrypted object',
            );
          } catch (error) {
            context.signal.throwIfAborted();
            return fail('client-side-encrypted object cannot be decrypted', error);
          } finally {
            for (const key of masterKeys) key.fill(0);
          }
          // GCM emits plaintext before its tag is checked: a bad tag errors this stream at its end,
          // which fails the sink — the multipart upload is aborted, the SFT temp file removed.
          return { body: through(source.body, decipher), metadata: NO_METADATA };
        }
        case 'htme': {
          const envelope = readEnvelope(source);
          const keyLog = {
            encryption: 'htme',
            action: handling.action,
            keyEncryptionKeyId: envelope.keyEncryptionKeyId,
            encryptedKeyHash: shortKeyHash(envelope.encryptedDataKey),
          };
          if (handling.action === 'pass-through') {
            logger.debug(
              { ...keyLog, carriesMetadata: rule.transferType === 'S3' },
              'passing HTME object through encrypted',
            );
            return { body: source.body, metadata: passThroughMetadata(envelope, source.metadata) };
          }
          if (handling.action === 'decrypt') {
            const key = await unwrap(envelope, context.signal);
            let decipher: Transform;
            try {
              decipher = createCtrDecipher(key, envelope.iv);
            } catch (error) {
              return fail('HTME object cannot be decrypted', error);
            } finally {
              key.fill(0); // the cipher holds its own copy
            }
            logger.debug(keyLog, 'decrypting HTME object');
            return { body: through(source.body, decipher), metadata: NO_METADATA };
          }
          // Re-wrap: the recipient's key first (one SSM read per rule), then the data key.
          const parameterName = rule.encryptingKeySsmParameterName!;
          const recipient = await rewrapKey(context.rule, parameterName, context.ssm, context.signal);
          const key = await unwrap(envelope, context.signal);
          let wrapped: string;
          try {
            wrapped = rewrapDataKey(key, recipient.publicKey);
          } catch (error) {
            return fail(`re-wrapping with the key of parameter '${parameterName}' failed`, error);
          } finally {
            key.fill(0);
          }
          logger.debug(
            { ...keyLog, recipientKeyId: recipient.keyId, rewrappedKeyHash: shortKeyHash(wrapped) },
            're-wrapped HTME data key',
          );
          return {
            body: source.body,
            metadata: rewrappedMetadata(envelope, recipient, wrapped, source.metadata),
          };
        }
      }
    },

    async sealManifest(manifest: ManifestToSeal): Promise<ObjectContent> {
      const { rule } = manifest.rule;
      const mode = rule.manifestEncryption;
      if (mode === 'plaintext') {
        return { body: Readable.from([manifest.gzipped]), metadata: manifest.dataProductMetadata };
      }
      let recipient: Awaited<ReturnType<typeof rewrapKey>> | undefined;
      if (mode === 'rewrapped') {
        const parameterName = rule.encryptingKeySsmParameterName;
        if (parameterName === undefined) {
          throw new EncryptedObjectError(
            'manifest_file_encryption is re-wrapped but encrypting_key_ssm_parm_name is not set',
          );
        }
        recipient = await rewrapKey(manifest.rule, parameterName, manifest.ssm, manifest.signal);
      }
      let dataKey: Awaited<ReturnType<DataKeySource['batchDataKey']>>;
      try {
        dataKey = await dks.batchDataKey(manifest.signal);
      } catch (error) {
        manifest.signal.throwIfAborted();
        return fail('no batch data key from the DKS to encrypt the manifest', error);
      }
      try {
        const sealed = encryptManifest(manifest.gzipped, {
          mode,
          dataKey,
          ...(recipient ? { rewrapKey: recipient } : {}),
          dataProduct: manifest.dataProductMetadata.data_product ?? '',
          dataProductType: manifest.dataProductMetadata.data_product_type ?? '',
        });
        return { body: Readable.from([sealed.body]), metadata: sealed.metadata };
      } catch (error) {
        return fail(`manifest encryption (${mode}) failed`, error);
      } finally {
        dataKey.plaintextDataKey.fill(0); // batchDataKey hands out copies
      }
    },
  };
}

/** Key requests of a service started without a DKS: each fails, naming the missing setting. */
const NO_DKS: DataKeySource = {
  async decryptDataKey() {
    throw new EncryptedObjectError('no Data Key Service is configured (EGRESS_DKS_URL / --dks-url)');
  },
  async batchDataKey() {
    throw new EncryptedObjectError('no Data Key Service is configured (EGRESS_DKS_URL / --dks-url)');
  },
};

/**
 * The crypto of a service started without a DKS URL: plain objects and HTME pass-through (which
 * needs no key) work as usual; anything that needs a key — decrypting, re-wrapping, CSE, encrypted
 * manifests — fails that object with a reason naming the missing setting. Never ciphertext
 * delivered under a decrypted name, never an envelope silently dropped.
 */
export const cryptoWithoutDks: EgressCrypto = createEgressCrypto({ dks: NO_DKS });
