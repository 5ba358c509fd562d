#!/usr/bin/env node
// Entry point for `npx egress`: the project runs its TypeScript sources through tsx,
// so there is no build step between a checkout and a working command.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
