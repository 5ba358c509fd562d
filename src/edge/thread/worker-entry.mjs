// The edge's worker thread starts here. On Node 20 a worker does not inherit the tsx loader that
// bin/egress.js (or `node --import tsx`) registered in the main thread, and `new Worker('….ts')`
// fails with "Unknown file extension .ts": the worker registers tsx itself, then loads its module.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
