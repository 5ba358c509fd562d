/**
 * Modes of what the egress service and the SFT agent create on the SFT volume: decrypted data must
 * be readable by their own user only. Both run as the same user (the agent reads, moves and deletes
 * what the service writes). Requested at creation, so the umask can only narrow them further.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;
