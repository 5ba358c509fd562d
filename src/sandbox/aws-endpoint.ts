import { EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { SandboxSettingError } from './settings.ts';

/** Where the AWS endpoint of a sandbox came from, strongest first. */
export type EndpointSource = '--aws-endpoint' | 'EGRESS_AWS_ENDPOINT_URL' | 'aws.endpoint';

/** An AWS endpoint the sandbox runs against instead of its embedded edge. */
export interface EndpointChoice {
  endpoint: string;
  source: EndpointSource;
}

/** Static credentials for an endpoint, as sandbox.json records them. */
export interface EndpointCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function checkedUrl(value: string, source: EndpointSource): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SandboxSettingError(`${source} ${value} is not a URL (e.g. http://127.0.0.1:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SandboxSettingError(`${source} ${value} must be an http:// or https:// URL`);
  }
  // Clients join paths to it: one form, without a trailing slash.
  return value.replace(/\/+$/, '');
}

/**
 * Which AWS endpoint a sandbox uses: the `--aws-endpoint` flag, else `EGRESS_AWS_ENDPOINT_URL`, else
 * the environment file's `aws.endpoint`; `undefined` means the embedded edge. A value that is not an
 * http(s) URL is refused, naming where it came from.
 */
export function chooseAwsEndpoint(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  fileEndpoint: string | undefined,
): EndpointChoice | undefined {
  if (flag) return { endpoint: checkedUrl(flag, '--aws-endpoint'), source: '--aws-endpoint' };
  if (env.EGRESS_AWS_ENDPOINT_URL) {
    return {
      endpoint: checkedUrl(env.EGRESS_AWS_ENDPOINT_URL, 'EGRESS_AWS_ENDPOINT_URL'),
      source: 'EGRESS_AWS_ENDPOINT_URL',
    };
  }
  if (fileEndpoint) return { endpoint: checkedUrl(fileEndpoint, 'aws.endpoint'), source: 'aws.endpoint' };
  return undefined;
}

/**
 * The credentials used against an endpoint: the standard `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`) when both are set, else the emulators' `test`/`test`.
 * One of the pair without the other is refused rather than half-used.
 */
export function endpointCredentials(env: NodeJS.ProcessEnv): EndpointCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId && !secretAccessKey) return { ...EMULATOR_CREDENTIALS };
  if (!accessKeyId || !secretAccessKey) {
    throw new SandboxSettingError(
      `${accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set without ${accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}: set both, or neither for test/test`,
    );
  }
  return env.AWS_SESSION_TOKEN
    ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN }
    : { accessKeyId, secretAccessKey };
}

/** The longest `EGRESS_AWS_ENDPOINT_WAIT_SECONDS` accepted. */
export const MAX_ENDPOINT_WAIT_SECONDS = 600;

/**
 * How long to wait for the endpoint to answer: `EGRESS_AWS_ENDPOINT_WAIT_SECONDS` (1–600), default 15 s,
 * long enough for an emulator started at the same moment, short enough to report a wrong URL soon.
 */
export function endpointWaitMs(env: NodeJS.ProcessEnv): number {
  const raw = env.EGRESS_AWS_ENDPOINT_WAIT_SECONDS;
  if (raw === undefined || raw === '') return 15_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_ENDPOINT_WAIT_SECONDS) {
    throw new SandboxSettingError(
      `EGRESS_AWS_ENDPOINT_WAIT_SECONDS=${raw} must be a number of seconds from 1 to ${MAX_ENDPOINT_WAIT_SECONDS}`,
    );
  }
  return seconds * 1000;
}
