/**
 * What-if entry point for the memory benchmark: the egress service exactly as `egress service`
 * starts it (same configuration from EGRESS_* variables, same JSON logger, same SIGTERM drain) but
 * loading only the service's modules. `bin/egress.js` imports every command of the CLI up front —
 * the edge (fauxqs, dynalite), the stubs (express), the SFT agent, the demo — so the service process
 * carries all of them; this shows what lazy command loading would save.
 */
import { loadEgressServiceConfig } from '../../src/egress/config/service-config.ts';
import { startEgressService } from '../../src/egress/service.ts';
import { createLogger } from '../../src/logging/logger.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const config = loadEgressServiceConfig({ env: process.env });
const service = await startEgressService(config, { logger: createLogger({ component: 'egress' }) });
console.log(
  `egress service running: queue ${config.queueUrl}, table ${config.table}, metrics ${service.metricsUrl}`,
);
process.once('SIGTERM', () => {
  void service.stop().then(() => process.exit(0));
});
