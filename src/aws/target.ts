import { z } from 'zod';

/**
 * Where the AWS APIs live. With an `endpoint` every client talks to that one URL
 * (the embedded edge, LocalStack, or any emulator) with path-style S3 addressing;
 * without one the SDK's default endpoint, region and credential chains apply (real AWS).
 */
export interface AwsTarget {
  /** AWS region, e.g. `eu-west-2`. */
  region: string;
  /** One endpoint for every service (`http://127.0.0.1:4566`); absent for real AWS. */
  endpoint?: string | undefined;
  /** Static credentials; absent means the SDK's default provider chain. */
  credentials?:
    | { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined }
    | undefined;
}

export const DEFAULT_REGION = 'eu-west-2';
export const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Validates an {@link AwsTarget} (used by every configuration that carries one). */
export const awsTargetSchema = z.object({
  region: z.string().min(1),
  endpoint: z.url().optional(),
  credentials: z
    .object({
      accessKeyId: z.string().min(1),
      secretAccessKey: z.string().min(1),
      sessionToken: z.string().optional(),
    })
    .optional(),
});

/**
 * Builds a target from the environment: `AWS_ENDPOINT_URL` (the SDK's own variable) selects an
 * emulator endpoint; `AWS_REGION` / `AWS_DEFAULT_REGION` the region. Credentials for an emulator
 * default to `test`/`test` unless `AWS_ACCESS_KEY_ID` is set, in which case the SDK chain reads it.
 */
export function awsTargetFromEnv(env: NodeJS.ProcessEnv = process.env): AwsTarget {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION;
  const credentials = endpoint && !env.AWS_ACCESS_KEY_ID ? { ...EMULATOR_CREDENTIALS } : undefined;
  return awsTargetSchema.parse({ region, endpoint, credentials });
}

/** True when the target is an emulator (an explicit endpoint), false for real AWS. */
export function isEmulated(target: AwsTarget): boolean {
  return target.endpoint !== undefined;
}
