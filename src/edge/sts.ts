import { randomBytes, randomUUID } from 'node:crypto';
import { AwsServiceError, escapeXml } from './aws-error.ts';

/** A role assumption the edge granted, kept so tests and the dashboard can see who assumed what. */
export interface AssumedRole {
  roleArn: string;
  sessionName: string;
  accessKeyId: string;
  expiration: Date;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/([\w+=,.@\-/]{1,512})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/**
 * STS `AssumeRole`, minimal: it validates the request as AWS does and returns fresh
 * session credentials (the emulators accept any credentials, so nothing is enforced).
 */
export class RoleIssuer {
  private readonly issued: AssumedRole[] = [];

  /** Handles one query-protocol call, returning the XML response body. */
  handle(params: URLSearchParams): string {
    const action = params.get('Action');
    if (action !== 'AssumeRole') {
      throw new AwsServiceError(
        'InvalidAction',
        `STS action ${action} is not supported by the embedded edge`,
      );
    }
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const match = ROLE_ARN.exec(roleArn);
    if (!match) {
      throw new AwsServiceError('ValidationError', `RoleArn '${roleArn}' is not a valid IAM role ARN`);
    }
    if (!SESSION_NAME.test(sessionName)) {
      throw new AwsServiceError(
        'ValidationError',
        `RoleSessionName '${sessionName}' must be 2–64 characters of [\\w+=,.@-]`,
      );
    }
    const duration = Number(params.get('DurationSeconds') ?? 3600);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw new AwsServiceError(
        'ValidationError',
        `DurationSeconds ${duration} must be between 900 and 43200`,
      );
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const expiration = new Date(Date.now() + duration * 1000);
    this.issued.push({ roleArn, sessionName, accessKeyId, expiration });
    if (this.issued.length > 1000) this.issued.shift();
    const roleName = match[2]!.split('/').pop()!;
    const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
    return (
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
      '<Credentials>' +
      `<AccessKeyId>${accessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey>` +
      `<SessionToken>${randomBytes(48).toString('base64')}</SessionToken>` +
      `<Expiration>${expiration.toISOString()}</Expiration>` +
      '</Credentials>' +
      '<AssumedRoleUser>' +
      `<AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId>` +
      `<Arn>arn:aws:sts::${match[1]}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn>` +
      '</AssumedRoleUser>' +
      '</AssumeRoleResult>' +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
      '</AssumeRoleResponse>'
    );
  }

  /** Roles assumed so far, oldest first (at most the last 1,000). */
  assumedRoles(): readonly AssumedRole[] {
    return this.issued;
  }

  /** The role behind a session access key, if the edge issued it. */
  roleForAccessKey(accessKeyId: string): AssumedRole | undefined {
    return this.issued.find((r) => r.accessKeyId === accessKeyId);
  }
}
