/**
 * What-if entry for the latency diagnostic: the sandbox exactly as `egress sandbox --no-demo` starts
 * it, but against an edge running in another process (`BENCH_AWS_ENDPOINT`), so that the egress
 * service no longer shares its event loop with the emulators. Usage:
 * `node --import tsx bench/support/sandbox-apart-entry.ts <state-dir>`.
 */
import { createLogger } from '../../src/logging/logger.ts';
import { startSandbox } from '../../src/sandbox/sandbox.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoint = process.env.BENCH_AWS_ENDPOINT;
if (!endpoint) throw new Error('BENCH_AWS_ENDPOINT is not set');
const logger = createLogger({ component: 'bench' });
const sandbox = await startSandbox({ stateDir: process.argv[2], awsEndpoint: endpoint });
logger.info('sandbox ready');
process.once('SIGTERM', () => {
  void sandbox.stop().then(() => process.exit(0));
});
