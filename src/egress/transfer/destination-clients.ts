import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { recordAwsCalls } from '../../aws/call-recorder.ts';
import { createS3Client, createSsmClient, createStsClient } from '../../aws/clients.ts';
import type { AwsTarget } from '../../aws/target.ts';
import type { Logger } from '../../logging/logger.ts';
import { assumedRole, OWN_CREDENTIALS } from '../aws-identity.ts';

/** Session name of every role assumption, as in the original (behaviour §7.4). */
export const ROLE_SESSION_NAME = 'data-egress';

/** Refresh assumed-role credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** Options for {@link DestinationClients}. */
export interface DestinationClientsOptions {
  target: AwsTarget;
  logger: Logger;
  /**
   * Credentials for a role. Default: STS `AssumeRole` (session `data-egress`) through the target,
   * refreshed shortly before expiry. Tests may inject their own.
   */
  assumeRole?: (roleArn: string) => AwsCredentialIdentityProvider;
}

/**
 * S3 and SSM clients for destinations. A rule with `role_arn` writes (data, control, manifest) and
 * reads re-wrap keys through that role; everything else uses the service's own credentials.
 *
 * One client per role ARN for the life of the service, with credentials cached until shortly before
 * they expire: the original built a new STS-backed client — one AssumeRole — per object and never
 * closed it (behaviour §10.20).
 */
export class DestinationClients {
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly ssmClients = new Map<string, SSMClient>();
  private readonly credentialProviders = new Map<string, AwsCredentialIdentityProvider>();
  private sts: STSClient | undefined;

  constructor(private readonly options: DestinationClientsOptions) {}

  /** The S3 client for writes of a rule with this `role_arn` (or none). */
  s3(roleArn: string | undefined): S3Client {
    const id = roleArn ?? '';
    let client = this.s3Clients.get(id);
    if (!client) {
      client = recordAwsCalls(
        createS3Client(this.options.target, roleArn ? this.credentialsFor(roleArn) : undefined),
        roleArn ? assumedRole(roleArn) : OWN_CREDENTIALS,
      );
      this.s3Clients.set(id, client);
    }
    return client;
  }

  /** The SSM client for re-wrap keys of a rule with this `role_arn` (or none). */
  ssm(roleArn: string | undefined): SSMClient {
    const id = roleArn ?? '';
    let client = this.ssmClients.get(id);
    if (!client) {
      client = recordAwsCalls(
        createSsmClient(this.options.target, roleArn ? this.credentialsFor(roleArn) : undefined),
        roleArn ? assumedRole(roleArn) : OWN_CREDENTIALS,
      );
      this.ssmClients.set(id, client);
    }
    return client;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of this.s3Clients.values()) client.destroy();
    for (const client of this.ssmClients.values()) client.destroy();
    this.sts?.destroy();
    this.s3Clients.clear();
    this.ssmClients.clear();
    this.credentialProviders.clear();
  }

  private credentialsFor(roleArn: string): AwsCredentialIdentityProvider {
    let provider = this.credentialProviders.get(roleArn);
    if (!provider) {
      provider = this.options.assumeRole?.(roleArn) ?? this.assumeRoleWithSts(roleArn);
      this.credentialProviders.set(roleArn, provider);
    }
    return provider;
  }

  private assumeRoleWithSts(roleArn: string): AwsCredentialIdentityProvider {
    let cached: AwsCredentialIdentity | undefined;
    let pending: Promise<AwsCredentialIdentity> | undefined;
    const fresh = () => cached?.expiration && cached.expiration.getTime() - REFRESH_MARGIN_MS > Date.now();
    return async () => {
      if (fresh()) return cached!;
      // Concurrent uploads share one AssumeRole call.
      pending ??= this.assume(roleArn).finally(() => {
        pending = undefined;
      });
      cached = await pending;
      return cached;
    };
  }

  private async assume(roleArn: string): Promise<AwsCredentialIdentity> {
    this.sts ??= recordAwsCalls(createStsClient(this.options.target), OWN_CREDENTIALS);
    const response = await this.sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME }),
    );
    const credentials = response.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new Error(`STS AssumeRole for ${roleArn} returned no credentials`);
    }
    this.options.logger.info({ roleArn, expiration: credentials.Expiration }, 'assumed destination role');
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  }
}
