import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../logging/logger.ts';
import { startSftAgent } from '../../sft/agent.ts';
import { loadSftAgentConfig } from '../../sft/config/load.ts';
import { SftConfigError } from '../../sft/config/parse.ts';
import type { SftAgentConfig } from '../../sft/config/types.ts';
import { sandboxSftAgentConfig } from '../../sft/sandbox-config.ts';
import { UserError } from '../errors.ts';
import { untilShutdownSignal } from '../signals.ts';

interface SftAgentFlags {
  config?: string;
  applicationConfig?: string;
  nifiUrl?: string;
  sftRoot: string;
  var: string[];
  ca?: string;
  cert?: string;
  key?: string;
  drainTimeout: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `k=v` pairs; the value may itself contain `=`. */
function parseVars(pairs: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UserError(`--var expects name=value, got "${pair}"`);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return vars;
}

async function readPem(file: string | undefined, flag: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`${flag} ${file}: ${(error as Error).message}`);
  }
}

function loadConfig(flags: SftAgentFlags): SftAgentConfig {
  if (flags.nifiUrl && !flags.config) return sandboxSftAgentConfig({ nifiUrl: flags.nifiUrl });
  if (!flags.config)
    throw new UserError('give --config <agent-config.yml> (or --nifi-url for the built-in sandbox routes)');
  try {
    return loadSftAgentConfig(
      { agentConfig: flags.config, applicationConfig: flags.applicationConfig },
      { ...process.env, ...parseVars(flags.var) },
    );
  } catch (error) {
    if (error instanceof SftConfigError) throw new UserError(error.message);
    throw error;
  }
}

/** `egress sft-agent`: the SFT agent, standalone. */
export function registerSftAgentCommand(program: Command): void {
  program
    .command('sft-agent')
    .description(
      'watch SFT directories and deliver files by the original agent configuration (routes, writeFile, renameFile, httpRequest over mutual TLS)',
    )
    .option(
      '--config <file>',
      'the original\'s agent-config.yml (with <#include "agent-application-config.yml">)',
    )
    .option('--application-config <file>', 'the routes file, when not included by --config')
    .option('--nifi-url <url>', 'without --config: the built-in sandbox routes, sending to this stub NiFi')
    .option(
      '--sft-root <dir>',
      'directory that route paths (/data-egress/…) are joined under',
      '.sandbox/sft-root',
    )
    .option(
      '--var <name=value>',
      'template variable such as aws_destination_url (repeatable; environment too)',
      collect,
      [],
    )
    .option('--ca <pem>', 'CA certificate that signs the server (overrides httpClient.tls.caPath)')
    .option('--cert <pem>', 'client certificate (overrides httpClient.tls.certPath)')
    .option('--key <pem>', 'client private key (overrides httpClient.tls.keyPath)')
    .option('--drain-timeout <ms>', 'on shutdown, how long deliveries in progress may finish', '10000')
    .action(async (flags: SftAgentFlags) => {
      const config = loadConfig(flags);
      const drainTimeoutMs = Number(flags.drainTimeout);
      if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) {
        throw new UserError(
          `--drain-timeout must be a non-negative number of ms, got "${flags.drainTimeout}"`,
        );
      }
      for (const warning of config.warnings) console.warn(`sft-agent: warning: ${warning}`);
      const logger = createLogger({ component: 'sft-agent' });
      const sftRoot = path.resolve(flags.sftRoot);
      let agent: Awaited<ReturnType<typeof startSftAgent>>;
      try {
        agent = await startSftAgent({
          config: { ...config, warnings: [] },
          sftRoot,
          logger,
          drainTimeoutMs,
          tls: {
            ca: await readPem(flags.ca, '--ca'),
            cert: await readPem(flags.cert, '--cert'),
            key: await readPem(flags.key, '--key'),
          },
        });
      } catch (error) {
        throw new UserError(`cannot start the SFT agent: ${(error as Error).message}`);
      }
      await untilShutdownSignal(
        async () => {
          await agent.stop();
          logger.flush();
        },
        () =>
          console.log(
            `sft agent running: ${config.routes.length} routes, ${agent.watchedDirectories.length} directories under ${sftRoot} (Ctrl-C stops)`,
          ),
      );
    });
}
