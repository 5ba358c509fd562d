import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most test files wait on sockets and child processes (sandboxes, moto, the AWS CLI) rather than
    // compute, so one more worker than cores keeps both cores busy: vitest's default (cores − 1) runs
    // a single worker on a two-core machine, 436 s for the suite against 231 s with three workers.
    maxWorkers: Math.max(3, availableParallelism()),
    reporters: ['default'],
    // A known notice from the AWS SDK about its future Node 22 floor; it says nothing about a test.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
