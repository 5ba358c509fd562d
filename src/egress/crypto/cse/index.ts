// Client-side encryption (AWS S3 Encryption Client formats, behaviour §4.4): one import site for the
// envelope reader, the streaming decipher and the test-side encryptors.
export {
  createCseDecipher,
  resolveMasterKey,
  type UnwrapMasterKey,
  unwrapContentKey,
} from './cse-decipher.ts';
export { type CseObject, encryptCseAesWrap, encryptCseV1, encryptCseV2 } from './cse-encrypt.ts';
export {
  CSE_METADATA,
  type CseContentAlgorithm,
  type CseEnvelope,
  type CseMaterialDescription,
  type CseWrapAlgorithm,
  isCseObject,
  readCseEnvelope,
} from './cse-envelope.ts';
export { GcmDecipherStream } from './gcm-decipher-stream.ts';
