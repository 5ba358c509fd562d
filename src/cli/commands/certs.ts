import path from 'node:path';
import type { Command } from 'commander';
import { ensureCertificates } from '../../tls/certificates.ts';
import { UserError } from '../errors.ts';

interface CertsFlags {
  dir: string;
  dns: string[];
  validityDays: string;
}

/** A DNS name a certificate can carry: labels of letters, digits and inner dashes. */
const DNS_NAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `egress certs`: creates (or reuses) the sandbox's certificate set in a directory — a throwaway CA,
 * a server certificate for the DKS stub and the stub NiFi, and a client certificate both accept.
 * docker-compose runs it once so every container shares one set, with the services' host names.
 */
export function registerCertsCommand(program: Command): Command {
  return program
    .command('certs')
    .description(
      'create or reuse the sandbox certificates (CA, server and client, PEM) in a directory; the server certificate covers localhost, 127.0.0.1 and every --dns name',
    )
    .option('--dir <dir>', 'directory for ca.pem, server.pem, client.pem and their keys', '.sandbox/certs')
    .option(
      '--dns <name>',
      'extra DNS name for the server certificate (repeatable), e.g. dks, stub-nifi',
      collect,
      [],
    )
    .option('--validity-days <days>', 'validity of newly generated certificates', '30')
    .action(async (flags: CertsFlags) => {
      for (const name of flags.dns) {
        if (!DNS_NAME.test(name))
          throw new UserError(`--dns ${JSON.stringify(name)} is not a valid DNS name`);
      }
      const validityDays = Number(flags.validityDays);
      if (!Number.isInteger(validityDays) || validityDays < 2 || validityDays > 3650) {
        throw new UserError(`--validity-days must be an integer from 2 to 3650, got "${flags.validityDays}"`);
      }
      const dir = path.resolve(flags.dir);
      let paths: Awaited<ReturnType<typeof ensureCertificates>>;
      try {
        paths = await ensureCertificates(dir, { extraDnsNames: flags.dns, validityDays });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR') {
          throw new UserError(`cannot write certificates to ${dir}: ${(error as Error).message}`);
        }
        throw error;
      }
      const names = ['localhost', '127.0.0.1', ...flags.dns].join(', ');
      console.log(`certificates in ${dir} (server certificate for ${names})`);
      console.log(`  CA          ${paths.ca}`);
      console.log(`  server      ${paths.serverCert}  ${paths.serverKey}`);
      console.log(`  client      ${paths.clientCert}  ${paths.clientKey}`);
    });
}
