import { Command, CommanderError } from 'commander';
import { registerCertsCommand } from './commands/certs.ts';
import { registerEdgeCommand } from './commands/edge.ts';
import { registerProvisionCommand } from './commands/provision.ts';
import { registerRoutesCommand } from './commands/routes.ts';
import { registerSandboxCommand } from './commands/sandbox.ts';
import { registerServiceCommand } from './commands/service.ts';
import { registerSftAgentCommand } from './commands/sft-agent.ts';
import { registerStubDksCommand } from './commands/stub-dks.ts';
import { registerStubNifiCommand } from './commands/stub-nifi.ts';
import { describeError, UserError } from './errors.ts';

const program = new Command('egress')
  .description('DataWorks data-egress pipeline, its stubs and an embedded AWS sandbox')
  .option('--debug', 'print stack traces for errors', false)
  .showHelpAfterError()
  .exitOverride();

registerSandboxCommand(program);
registerEdgeCommand(program);
registerServiceCommand(program);
registerProvisionCommand(program);
registerRoutesCommand(program);
registerCertsCommand(program);
registerStubDksCommand(program);
registerStubNifiCommand(program);
registerSftAgentCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const debug = program.opts<{ debug: boolean }>().debug || process.argv.includes('--debug');
  console.error(`egress: ${describeError(error, debug)}`);
  process.exit(error instanceof UserError ? error.exitCode : 1);
}
