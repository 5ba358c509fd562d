/**
 * `egress service` as bin/egress.js runs it — configuration from the same EGRESS_* variables through
 * `loadEgressServiceConfig`, JSON logs on stdout, SIGTERM drains — plus the bench's HTME decrypt
 * adapter on the crypto seam (see htme-crypto.ts). Used only where a benchmark needs decryption.
 */
import { loadEgressServiceConfig } from '../../src/egress/config/service-config.ts';
import { startEgressService } from '../../src/egress/service.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createDksClient, htmeDecryptCrypto } from './htme-crypto.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const config = loadEgressServiceConfig({ env: process.env });
const { url, caPath, certPath, keyPath } = config.dks;
if (!url || !caPath || !certPath || !keyPath) {
  throw new Error(
    'service-process.ts needs EGRESS_DKS_URL, EGRESS_DKS_CA, EGRESS_DKS_CERT and EGRESS_DKS_KEY',
  );
}
const dks = await createDksClient({ url, caPath, certPath, keyPath });
const service = await startEgressService(config, {
  logger: createLogger({ component: 'egress' }),
  crypto: htmeDecryptCrypto(dks),
});
console.log(`egress service running: queue ${config.queueUrl}, metrics ${service.metricsUrl}`);
process.once('SIGTERM', () => {
  void service
    .stop()
    .then(() => dks.close())
    .then(() => process.exit(0));
});
