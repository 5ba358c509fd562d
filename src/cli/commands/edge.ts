import type { Command } from 'commander';
import { EdgePortInUseError, OriginPolicyError, startEdge } from '../../edge/index.ts';
import { createLogger } from '../../logging/logger.ts';
import { PORTS } from '../../sandbox/settings.ts';
import { UserError } from '../errors.ts';
import { onShutdownSignal } from '../signals.ts';

export function registerEdgeCommand(program: Command): void {
  program
    .command('edge')
    .description('run only the embedded AWS endpoint (S3, SQS, DynamoDB, SSM, STS on one port)')
    .option(
      '--port <port>',
      `port to listen on (env ${PORTS.edge.variable})`,
      process.env[PORTS.edge.variable] ?? '4566',
    )
    .option('--host <host>', 'interface to bind', process.env.EGRESS_HOST ?? '127.0.0.1')
    .option('--region <region>', 'region the emulators report', process.env.AWS_REGION ?? 'eu-west-2')
    .option('--dynamodb-path <dir>', 'keep DynamoDB tables on disk in this directory')
    .action(async (flags: { port: string; host: string; region: string; dynamodbPath?: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new UserError(`--port ${flags.port} is not a port number (0–65535)`);
      }
      const edge = await startEdge({
        port,
        host: flags.host,
        region: flags.region,
        dynamoDbPath: flags.dynamodbPath,
        logger: createLogger({ component: 'edge' }),
      }).catch((error: unknown) => {
        if (error instanceof OriginPolicyError) throw new UserError(error.message, { cause: error });
        if (error instanceof EdgePortInUseError) {
          throw new UserError(
            `${error.message}; use --port or ${PORTS.edge.variable} to pick another (0 = any free port)`,
          );
        }
        throw error;
      });
      // The handler first, then the line a supervisor waits for (see untilShutdownSignal).
      onShutdownSignal(() => edge.stop());
      console.error(`edge ready on ${edge.endpoint} — export AWS_ENDPOINT_URL=${edge.endpoint}`);
    });
}
