import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_DKS_KEY_ID, startDksStub } from '../../../stubs/dks/index.ts';
import { createLogger } from '../../logging/logger.ts';
import { ensureCertificates, loadCertificates } from '../../tls/certificates.ts';
import { UserError } from '../errors.ts';
import { untilShutdownSignal } from '../signals.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface StubDksOptions {
  port: string;
  host: string;
  plainHttp: boolean;
  certsDir: string;
  keyId?: string[];
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) throw new UserError(`--port must be an integer 0–65535, got '${text}'`);
  return port;
}

/** `egress stub-dks`: the stub Data Key Service on its own, until SIGINT/SIGTERM. */
export function registerStubDksCommand(program: Command): Command {
  return program
    .command('stub-dks')
    .description('run the stub Data Key Service (HTTPS with client certificates unless --plain-http)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8443')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--plain-http', 'serve plain HTTP instead of mutual TLS', false)
    .option(
      '--certs-dir <dir>',
      'sandbox certificate directory, created or reused',
      path.join(PROJECT_ROOT, '.sandbox', 'certs'),
    )
    .option('--key-id <id...>', `master key ids, the first wraps new keys (default ${DEFAULT_DKS_KEY_ID})`)
    .action(async (options: StubDksOptions) => {
      const port = parsePort(options.port);
      const tls = options.plainHttp
        ? false
        : await loadCertificates(await ensureCertificates(options.certsDir));
      const stub = await startDksStub({
        port,
        host: options.host,
        tls,
        logger: createLogger({ component: 'dks-stub' }),
        ...(options.keyId ? { keyIds: options.keyId } : {}),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE')
          throw new UserError(`port ${port} on ${options.host} is already in use`);
        if (error.code === 'EADDRNOTAVAIL') throw new UserError(`cannot bind to host '${options.host}'`);
        if (error instanceof RangeError) throw new UserError(error.message);
        throw error;
      });
      const certs = tls ? ` (client certificates signed by ${path.resolve(options.certsDir, 'ca.pem')})` : '';
      await untilShutdownSignal(
        () => stub.stop(),
        () => console.log(`dks stub listening on ${stub.url}${certs}`),
      );
    });
}
