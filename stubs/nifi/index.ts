export type { StubNifiFaults } from './faults.ts';
export { metadataFromHeaders } from './metadata.ts';
export type { ReceivedFile } from './received-log.ts';
export { type StubNifi, type StubNifiEvents, type StubNifiOptions, startStubNifi } from './server.ts';
export { checkFilename, checkTargetPath, objectKey, type Refusal } from './validation.ts';
