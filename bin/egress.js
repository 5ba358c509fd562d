#!/usr/bin/env node
// Entry point for `npx egress`: the project runs its TypeScript sources through tsx,
// so there is no build step between a checkout and a working command.
import { register } from 'tsx/esm/api';

// The AWS SDK warns that its releases after January 2027 need Node 22; the pinned ones do not.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../src/cli/main.ts');
