import { spawn, spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

/** True when `command` runs here (e.g. the AWS CLI or curl). */
export function commandAvailable(command: string, versionArgs: string[] = ['--version']): boolean {
  const probe = spawnSync(command, versionArgs, { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** The installed AWS CLI's version line, or undefined when there is none. */
export function awsCliVersion(): string | undefined {
  const probe = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return undefined;
  return `${probe.stdout}${probe.stderr}`.trim();
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, capturing its output; never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) {
      // The command may exit without reading its input; that is its business, not an error here.
      child.stdin!.on('error', () => {});
      child.stdin!.end(options.input);
    }
  });
}

/**
 * An environment for the AWS CLI that sees nothing of the user's own AWS configuration: no
 * config or credentials file, no profile, no endpoint — only what the caller adds.
 */
export function isolatedAwsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** The AWS CLI against one endpoint, with the sandbox's credentials and region. */
export function awsCli(endpoint: string, region = 'eu-west-2') {
  const env = isolatedAwsEnv({
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: region,
    // CLI v2 pages output through `less` on a terminal; v1 ignores this.
    AWS_PAGER: '',
  });
  return (args: string[], options: { cwd?: string } = {}) =>
    run('aws', ['--endpoint-url', endpoint, ...args], { env, ...options });
}

/** A logger whose JSON lines are kept in memory, to assert what the edge logged. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ component: 'edge', level: 'debug', destination }), lines: () => lines };
}
