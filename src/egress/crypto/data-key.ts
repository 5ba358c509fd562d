/** A data key from the DKS (`GET /datakey`): the plaintext AES key and its wrapped form. */
export interface DataKey {
  /** Id of the DKS master key that wrapped it (`dataKeyEncryptionKeyId`). */
  keyEncryptionKeyId: string;
  /** Raw AES key bytes. Never log, never put in an error message. */
  plaintextDataKey: Buffer;
  /** The wrapped key as the DKS returned it (`ciphertextDataKey`), opaque. */
  encryptedDataKey: string;
}
