import type { Command } from 'commander';
import { AwsEndpointUnreachableError } from '../../aws/endpoint-probe.ts';
import { EnvironmentFileError } from '../../aws/provisioning/index.ts';
// Not from edge/index.ts: that would load the emulators here, and they run on the edge's thread.
import { OriginPolicyError } from '../../edge/origin-policy.ts';
import { EdgeSnapshotError } from '../../edge/persistence/edge-snapshot.ts';
import {
  givenTerraformFlags,
  RuleLoadError,
  RuleSourceError,
  type TerraformValueFlags,
} from '../../rule-tools/index.ts';
import { chooseAwsEndpoint, endpointWaitMs } from '../../sandbox/aws-endpoint.ts';
import { PortInUseError, type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { SandboxSettingError } from '../../sandbox/settings.ts';
import { StateDirectoryLockedError } from '../../sandbox/state-lock.ts';
import { describeFailure } from '../../util/describe-failure.ts';
import { UserError } from '../errors.ts';
import { onShutdownSignal } from '../signals.ts';
import { terraformValuesFrom, withTerraformValueOptions } from '../terraform-value-options.ts';

interface SandboxFlags extends TerraformValueFlags {
  demo: boolean;
  exitAfterDemo: boolean;
  stateDir?: string;
  env?: string;
  rules?: string;
  persist?: boolean;
  awsEndpoint?: string;
}

function summary(sandbox: Sandbox): string[] {
  const s = sandbox.state;
  const lines = [
    `  AWS endpoint   ${s.aws.endpoint}  (${sandbox.edge ? 'embedded edge' : 'not started here'}; region ${s.region}, access key ${s.aws.accessKeyId}, path-style S3)`,
    `  queue          ${s.queue.url}`,
    `  dead letters   ${s.deadLetterQueue.url}`,
    `  rules table    ${s.table}`,
  ];
  if (s.dks) lines.push(`  DKS stub       ${s.dks.url}`);
  if (s.nifi) lines.push(`  stub NiFi      ${s.nifi.url} → s3://${s.nifi.bucket}`);
  if (s.metrics) lines.push(`  metrics        ${s.metrics.url}`);
  if (s.dashboard) lines.push(`  dashboard      ${s.dashboard.url}`);
  lines.push(`  SFT root       ${s.sftRoot}`, `  logs           ${s.logs}`);
  return lines;
}

/** Runs the demo (printing its story); returns why it failed, or undefined. */
async function demoFailure(sandbox: Sandbox, signal: AbortSignal): Promise<string | undefined> {
  try {
    const { runDemo } = await import('../../demo/index.ts');
    await runDemo(sandbox, { out: (line) => console.log(line), signal });
    return undefined;
  } catch (error) {
    return signal.aborted ? 'stopped' : (error as Error).message;
  }
}

/** `EGRESS_PERSIST=1` (or `true`/`yes`) asks for --persist, as LocalStack's `PERSISTENCE=1`. */
function persistFromEnvironment(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes)$/i.test(env.EGRESS_PERSIST ?? '');
}

export function registerSandboxCommand(program: Command): void {
  const command = program
    .command('sandbox')
    .description(
      'start the whole pipeline on the embedded AWS edge (no Docker), or on a running AWS endpoint, and run a short demo',
    )
    .option('--no-demo', 'start the sandbox without the demo')
    .option('--exit-after-demo', 'exit 0 once the demo has finished (for CI)', false)
    .option(
      '--state-dir <dir>',
      'where sandbox.json, certificates, logs and the SFT root live (default: $EGRESS_STATE_DIR, else .sandbox/ in the project)',
    )
    .option('--env <file>', 'environment file to provision (default: config/sandbox/environment.yml)')
    .option(
      '--persist',
      'keep buckets, objects, queues with their messages, tables and parameters in <state-dir>/data across restarts (also EGRESS_PERSIST=1)',
    )
    .option(
      '--rules <file>',
      'routing rules to load at start: JSON items, `aws dynamodb scan` output, an environment file, or Terraform (.tf or a directory)',
    )
    .option(
      '--aws-endpoint <url>',
      'provision and run against this AWS endpoint (moto, LocalStack) instead of the embedded edge ' +
        "(default: EGRESS_AWS_ENDPOINT_URL, else the environment file's aws.endpoint); credentials from " +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else test/test',
    )
    .action(async (flags: SandboxFlags) => {
      const started = Date.now();
      // Read before anything starts: a bad value stops the start with exit 2, nothing started.
      const rulesTerraform = terraformValuesFrom(flags);
      const valueFlags = givenTerraformFlags(rulesTerraform);
      if (valueFlags.length && !flags.rules) {
        throw new UserError(
          `${valueFlags.join(', ')}: only with --rules DIR (Terraform rules to load at start)`,
        );
      }
      let sandbox: Sandbox;
      try {
        const endpoint = chooseAwsEndpoint(flags.awsEndpoint, process.env, undefined);
        sandbox = await startSandbox({
          stateDir: flags.stateDir,
          environmentFile: flags.env,
          rulesFile: flags.rules,
          rulesTerraform,
          persist: flags.persist ?? persistFromEnvironment(process.env),
          awsEndpoint: endpoint?.endpoint,
          endpointWaitMs: endpointWaitMs(process.env),
          onProgress: (message) => console.log(`· ${message}`),
          // The sandbox has logged the failure and stopped the rest: one line, and exit 1.
          onFailure: (error) => {
            console.error(`egress: the sandbox stopped: ${describeFailure(error)}`);
            process.exit(1);
          },
        });
      } catch (error) {
        if (
          error instanceof PortInUseError ||
          error instanceof SandboxSettingError ||
          error instanceof OriginPolicyError ||
          error instanceof EnvironmentFileError ||
          error instanceof StateDirectoryLockedError ||
          error instanceof RuleSourceError ||
          error instanceof RuleLoadError ||
          error instanceof EdgeSnapshotError ||
          error instanceof AwsEndpointUnreachableError
        ) {
          throw new UserError(error.message, { cause: error });
        }
        throw error;
      }
      // The handler is in place before "sandbox ready" is printed: a supervisor that signals as
      // soon as it reads that line must get a graceful stop, not Node's default exit.
      const demo = new AbortController();
      const stopped = new Promise<void>((resolve) => {
        onShutdownSignal(async (signal) => {
          demo.abort();
          console.log(`\n${signal}: stopping the sandbox…`);
          await sandbox.stop();
          console.log('sandbox stopped');
          resolve();
        });
      });
      console.log(`sandbox ready in ${Date.now() - started} ms — ${sandbox.stateFile}`);
      for (const line of summary(sandbox)) console.log(line);
      if (flags.demo) {
        const failure = await demoFailure(sandbox, demo.signal);
        if (demo.signal.aborted) return stopped;
        if (flags.exitAfterDemo) {
          await sandbox.stop();
          if (failure) throw new Error(`demo failed: ${failure}`);
          return;
        }
        if (failure) console.error(`demo failed: ${failure}`);
        // The story goes on: whatever anyone uploads now is traced live until Ctrl-C.
        const { tracePrinter } = await import('../../demo/index.ts');
        sandbox.trace.on(
          'entry',
          tracePrinter((line) => console.log(line), Date.now()),
        );
        console.log('\nThe sandbox keeps running; the live trace continues below.');
      }
      console.log('Press Ctrl-C to stop.');
      await stopped;
    });
  withTerraformValueOptions(command, 'with Terraform --rules');
}
