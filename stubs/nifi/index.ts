export { metadataFromHeaders } from './metadata.ts';
export {
  type ReceivedFile,
  type StubNifi,
  type StubNifiEvents,
  type StubNifiFaults,
  type StubNifiOptions,
  startStubNifi,
} from './server.ts';
export { checkFilename, checkTargetPath, objectKey, type Refusal } from './validation.ts';
