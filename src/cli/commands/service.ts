import { type Command, Option } from 'commander';
import {
  EgressConfigError,
  loadEgressServiceConfig,
  type ResolvedEgressServiceConfig,
  SETTINGS,
} from '../../egress/config/service-config.ts';
import { missingResources } from '../../egress/preflight.ts';
import { startEgressService } from '../../egress/service.ts';
import { createLogger } from '../../logging/logger.ts';
import { UserError } from '../errors.ts';
import { untilShutdownSignal } from '../signals.ts';

/**
 * `egress service`: runs the egress service standalone, configured by `EGRESS_*` variables (and the
 * original's names) or the flags below, until SIGINT/SIGTERM, which drain in-flight messages.
 */
export function registerServiceCommand(program: Command): void {
  const command = program
    .command('service')
    .description(
      'run the egress service: SQS flag events → DynamoDB rules → S3 / SFT deliveries (configuration: docs/egress-service.md)',
    );
  const attributeOf = new Map<string, string>();
  for (const setting of SETTINGS) {
    if (!setting.flag) continue;
    // The default is shown, not given to commander: a commander default would hide the env variables.
    const shownDefault = setting.default === undefined ? '' : `; default ${setting.default}`;
    const option = new Option(
      `${setting.flag} <value>`,
      `${setting.description} [env ${setting.env.join(', ')}${shownDefault}]`,
    );
    attributeOf.set(setting.field, option.attributeName());
    command.addOption(option);
  }
  command.action(async (options: Record<string, string | undefined>) => {
    const flags = Object.fromEntries(
      SETTINGS.map((setting) => [
        setting.field,
        attributeOf.has(setting.field) ? options[attributeOf.get(setting.field)!] : undefined,
      ]),
    );
    let config: ResolvedEgressServiceConfig;
    try {
      config = loadEgressServiceConfig({ env: process.env, flags });
    } catch (error) {
      if (error instanceof EgressConfigError) throw new UserError(error.message);
      throw error;
    }
    await runUntilSignalled(config);
  });
}

async function runUntilSignalled(config: ResolvedEgressServiceConfig): Promise<void> {
  const problems = await missingResources(config);
  if (problems.length) throw new UserError(`cannot start the egress service:\n  ${problems.join('\n  ')}`);
  const logger = createLogger({ component: 'egress' });
  const service = await startEgressService(config, { logger }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UserError(
        `metrics port ${config.metricsPort} on ${config.metricsHost} is already in use (set EGRESS_METRICS_PORT or --metrics-port; 0 picks a free port)`,
      );
    }
    throw error;
  });
  await untilShutdownSignal(
    async (signal) => {
      console.log(
        `egress: ${signal} received, draining in-flight messages (up to ${config.shutdownTimeoutMs} ms)…`,
      );
      await service.stop();
      console.log('egress service stopped');
    },
    () =>
      console.log(
        `egress service running: queue ${config.queueUrl}, table ${config.table}, metrics ${service.metricsUrl}`,
      ),
  );
}
