import type { Command } from 'commander';
import {
  EnvironmentFileError,
  loadEnvironmentFile,
  provisionEnvironment,
  RealAwsNotConfirmedError,
} from '../../aws/provisioning/index.ts';
import { awsTargetFromEnv } from '../../aws/target.ts';
import { UserError } from '../errors.ts';

export function registerProvisionCommand(program: Command): void {
  program
    .command('provision')
    .description(
      'create the buckets, queues, notifications, table, items and parameters an environment file declares (idempotent)',
    )
    .requiredOption('--env <file>', 'environment file (YAML), e.g. config/sandbox/environment.yml')
    .option(
      '--endpoint <url>',
      "AWS endpoint (default: AWS_ENDPOINT_URL, else the file's aws.endpoint; none = real AWS)",
    )
    .option('--region <region>', 'region (default: AWS_REGION or eu-west-2)')
    .option('--confirm-real-aws', 'allow provisioning real AWS when no endpoint is set', false)
    .action(async (flags: { env: string; endpoint?: string; region?: string; confirmRealAws: boolean }) => {
      try {
        const loaded = await loadEnvironmentFile(flags.env);
        // --endpoint, else AWS_ENDPOINT_URL, else the file's own aws.endpoint, else real AWS.
        const fileEndpoint = loaded.environment.aws?.endpoint;
        const target = awsTargetFromEnv({
          ...process.env,
          ...(fileEndpoint && !process.env.AWS_ENDPOINT_URL ? { AWS_ENDPOINT_URL: fileEndpoint } : {}),
          ...(flags.endpoint ? { AWS_ENDPOINT_URL: flags.endpoint } : {}),
          ...(flags.region ? { AWS_REGION: flags.region } : {}),
        });
        const report = await provisionEnvironment(target, loaded, {
          confirmRealAws: flags.confirmRealAws,
          onStep: (step) =>
            console.log(
              `${step.action.padEnd(8)} ${step.kind.padEnd(12)} ${step.name}${step.detail ? `  (${step.detail})` : ''}`,
            ),
        });
        const changed = report.steps.filter((s) => s.action !== 'found').length;
        console.log(`${report.steps.length} resources checked, ${changed} created or updated`);
      } catch (error) {
        if (error instanceof EnvironmentFileError || error instanceof RealAwsNotConfirmedError) {
          throw new UserError(error.message, { cause: error });
        }
        throw error;
      }
    });
}
