export type { DksRequestRecord } from './app.ts';
export type { DksFaultState, DksFaults } from './faults.ts';
export { DEFAULT_DKS_KEY_ID, type DksStub, type DksStubOptions, startDksStub } from './server.ts';
