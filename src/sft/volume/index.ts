export { type EnsureDirectoryOptions, ensureDirectoryBelowRoot, realRoot } from './directories.ts';
export { type SftPathRefusal, SftPathRefusedError } from './errors.ts';
export {
  assertInPlace,
  createPrivateFile,
  type FileIdentity,
  type OpenedFile,
  openRegularFile,
  readRange,
  renameInPlace,
  unlinkInPlace,
} from './files.ts';
export { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './modes.ts';
export {
  fitName,
  ignoredNameReason,
  isIgnoredName,
  MAX_NAME_BYTES,
  temporaryName,
  truncateUtf8,
  utf8Length,
} from './names.ts';
