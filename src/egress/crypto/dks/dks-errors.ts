/**
 * The DKS refused to unwrap a data key (HTTP 400): wrong key id, tampered or foreign ciphertext.
 * Never retried — the same request gets the same answer. Carries a short hash of the wrapped key,
 * never the key itself (the original logged and threw the wrapped key verbatim, behaviour §4.2).
 */
export class DataKeyDecryptionError extends Error {
  override readonly name = 'DataKeyDecryptionError';
  readonly keyEncryptionKeyId: string;
  readonly correlationId: string;
  /** `sha256:<12 hex>` of the wrapped key. */
  readonly encryptedKeyHash: string;
  readonly status: number;

  constructor(details: {
    keyEncryptionKeyId: string;
    correlationId: string;
    encryptedKeyHash: string;
    status: number;
    reason?: string | undefined;
  }) {
    super(
      `Decrypting encryptedKey: '${details.encryptedKeyHash}' with keyEncryptionKeyId: '${details.keyEncryptionKeyId}' ` +
        `data key service returned status code '${details.status}' for dks_correlation_id: '${details.correlationId}'` +
        (details.reason ? ` (${details.reason})` : ''),
    );
    this.keyEncryptionKeyId = details.keyEncryptionKeyId;
    this.correlationId = details.correlationId;
    this.encryptedKeyHash = details.encryptedKeyHash;
    this.status = details.status;
  }
}

/**
 * The DKS could not be reached or kept failing (5xx, 429, network, timeout) after every attempt,
 * or answered with something unusable. Transient by nature: the message is retried later.
 */
export class DataKeyServiceUnavailableError extends Error {
  override readonly name = 'DataKeyServiceUnavailableError';
  readonly operation: 'generate' | 'decrypt';
  readonly correlationId: string;
  readonly attempts: number;
  /** Last HTTP status, when there was a response. */
  readonly status: number | undefined;
  readonly keyEncryptionKeyId: string | undefined;
  readonly encryptedKeyHash: string | undefined;

  constructor(
    message: string,
    details: {
      operation: 'generate' | 'decrypt';
      correlationId: string;
      attempts: number;
      status?: number | undefined;
      keyEncryptionKeyId?: string | undefined;
      encryptedKeyHash?: string | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.operation = details.operation;
    this.correlationId = details.correlationId;
    this.attempts = details.attempts;
    this.status = details.status;
    this.keyEncryptionKeyId = details.keyEncryptionKeyId;
    this.encryptedKeyHash = details.encryptedKeyHash;
  }
}
