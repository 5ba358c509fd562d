import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError, UserError } from './errors.ts';

type Register = (program: Command) => unknown;

// A reader that stops early (`egress routes map … | head`) closes the pipe: that ends the output,
// it is not a failure worth a stack trace. Node ignores SIGPIPE, so writes fail with EPIPE.
// Long-running commands (sandbox, service, stubs) then stop gracefully, as on Ctrl-C.
let pipeClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (pipeClosed) return;
    pipeClosed = true;
    if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
    else process.exit(0);
  });
}

/**
 * Each command's module is loaded only when that command runs (or for `--help`): the service
 * should not carry the emulators, stubs and dashboard in memory, and start-up stays short.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  sandbox: async () => (await import('./commands/sandbox.ts')).registerSandboxCommand,
  edge: async () => (await import('./commands/edge.ts')).registerEdgeCommand,
  service: async () => (await import('./commands/service.ts')).registerServiceCommand,
  provision: async () => (await import('./commands/provision.ts')).registerProvisionCommand,
  routes: async () => (await import('./commands/routes.ts')).registerRoutesCommand,
  certs: async () => (await import('./commands/certs.ts')).registerCertsCommand,
  env: async () => (await import('./commands/env.ts')).registerEnvCommand,
  'describe-stack': async () => (await import('./commands/describe-stack.ts')).registerDescribeStackCommand,
  'stub-dks': async () => (await import('./commands/stub-dks.ts')).registerStubDksCommand,
  'stub-nifi': async () => (await import('./commands/stub-nifi.ts')).registerStubNifiCommand,
  'sft-agent': async () => (await import('./commands/sft-agent.ts')).registerSftAgentCommand,
  status: async () => (await import('./commands/status.ts')).registerStatusCommand,
  reset: async () => (await import('./commands/reset.ts')).registerResetCommand,
};

/** The version people report in issues: the project's package.json, read where it lies beside src/. */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('egress')
  .description('DataWorks data-egress pipeline, its stubs and an embedded AWS sandbox')
  .version(version, '-V, --version', 'print the version of egress-sandbox')
  .option('--debug', 'print stack traces for errors', false)
  .showHelpAfterError()
  .exitOverride();

const argv = process.argv.slice(2);
const requested = argv.find((argument) => !argument.startsWith('-'));
// `egress --version` needs none of the commands: answering without loading them keeps it quick.
const versionOnly = !requested && argv.some((argument) => argument === '--version' || argument === '-V');
const wanted = requested && requested in COMMANDS ? [requested] : versionOnly ? [] : Object.keys(COMMANDS);
for (const name of wanted) (await COMMANDS[name]!())(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const debug = program.opts<{ debug: boolean }>().debug || process.argv.includes('--debug');
  console.error(`egress: ${describeError(error, debug)}`);
  process.exit(error instanceof UserError ? error.exitCode : 1);
}
