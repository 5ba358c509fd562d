import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { awsTargetFromEnv, EMULATOR_CREDENTIALS } from '../../aws/target.ts';
import { describeStack, StackResourceMissingError } from '../../sandbox/describe-stack.ts';
import { writeStateFile } from '../../sandbox/state-file.ts';
import { UserError } from '../errors.ts';

interface DescribeStackFlags {
  stateDir: string;
  endpoint?: string;
  region?: string;
  queue: string;
  deadLetterQueue: string;
  table: string;
  dksUrl?: string;
  nifiUrl?: string;
  nifiBucket: string;
  tlsDir: string;
  sftRoot: string;
  metricsUrl?: string;
  logs: string;
}

/**
 * `egress describe-stack`: writes the sandbox.json of a stack that runs elsewhere (the
 * docker-compose stack), so that `egress env`, `egress routes --sandbox` and the BDD suite's
 * external target can use it like a sandbox's.
 */
export function registerDescribeStackCommand(program: Command): void {
  program
    .command('describe-stack')
    .description(
      'write <state-dir>/sandbox.json for a running stack (e.g. docker-compose), after checking its queues and table exist',
    )
    .requiredOption('--state-dir <dir>', 'where to write sandbox.json')
    .option(
      '--endpoint <url>',
      'the AWS endpoint as readers of the file reach it (default: AWS_ENDPOINT_URL)',
    )
    .option('--region <region>', 'region (default: AWS_REGION or eu-west-2)')
    .option('--queue <name>', 'the egress queue', 'data-egress')
    .option('--dead-letter-queue <name>', 'its dead-letter queue', 'data-egress-dlq')
    .option('--table <name>', 'the routing table', 'data-egress')
    .option('--dks-url <url>', 'the Data Key Service')
    .option('--nifi-url <url>', 'the stub NiFi')
    .option('--nifi-bucket <name>', "the stub NiFi's bucket", 'stub-hdfs-local')
    .requiredOption('--tls-dir <dir>', 'directory with ca.pem, client.pem and client-key.pem')
    .requiredOption('--sft-root <dir>', 'the SFT root the egress service writes to')
    .option('--metrics-url <url>', "the egress service's /metrics")
    .requiredOption('--logs <file>', "the egress service's JSON log file")
    .action(async (flags: DescribeStackFlags) => {
      const target = awsTargetFromEnv({
        ...process.env,
        ...(flags.endpoint ? { AWS_ENDPOINT_URL: flags.endpoint } : {}),
        ...(flags.region ? { AWS_REGION: flags.region } : {}),
      });
      if (!target.endpoint)
        throw new UserError('describe-stack needs an endpoint: --endpoint or AWS_ENDPOINT_URL');
      const credentials = target.credentials ?? {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? EMULATOR_CREDENTIALS.accessKeyId,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? EMULATOR_CREDENTIALS.secretAccessKey,
      };
      try {
        const state = await describeStack({
          target: { ...target, endpoint: target.endpoint, credentials },
          queue: flags.queue,
          deadLetterQueue: flags.deadLetterQueue,
          table: flags.table,
          dksUrl: flags.dksUrl,
          nifi: flags.nifiUrl ? { url: flags.nifiUrl, bucket: flags.nifiBucket } : undefined,
          tlsDir: flags.tlsDir,
          sftRoot: flags.sftRoot,
          metricsUrl: flags.metricsUrl,
          logs: flags.logs,
        });
        await mkdir(flags.stateDir, { recursive: true });
        const file = await writeStateFile(flags.stateDir, state);
        console.log(`stack described in ${file}: endpoint ${state.aws.endpoint}, queue ${state.queue.url}`);
      } catch (error) {
        if (error instanceof StackResourceMissingError) throw new UserError(error.message, { cause: error });
        throw error;
      }
    });
}
