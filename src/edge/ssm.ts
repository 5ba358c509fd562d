import { AwsServiceError } from './aws-error.ts';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

/** A parameter as a snapshot keeps it (`--persist`). */
export interface PersistedParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  /** ISO time. */
  readonly lastModified: string;
  readonly description?: string | undefined;
}

interface StoredParameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: Date;
  description?: string | undefined;
}

const NAME_PATTERN = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const MAX_VALUE_BYTES = 8192;

/**
 * SSM Parameter Store, the part the egress service needs (the re-wrap public keys live
 * there): Get/GetParameters/Put/Delete with String, StringList and SecureString. A SecureString
 * read without `WithDecryption` returns an opaque blob, as AWS does, so a client that forgets
 * the flag fails here exactly as it would in production.
 */
export class ParameterStore {
  private readonly parameters = new Map<string, StoredParameter>();

  constructor(
    private readonly region: string,
    private readonly accountId = '000000000000',
  ) {}

  /** Every parameter, for a snapshot. SecureString values are kept as given, like the rest of the state directory. */
  snapshot(): PersistedParameter[] {
    return [...this.parameters.values()].map((p) => ({ ...p, lastModified: p.lastModified.toISOString() }));
  }

  /** Restores a snapshot's parameters (versions and dates as they were). */
  restore(parameters: readonly PersistedParameter[]): void {
    for (const p of parameters) {
      const lastModified = new Date(p.lastModified);
      this.parameters.set(p.name, {
        ...p,
        lastModified: Number.isNaN(lastModified.getTime()) ? new Date() : lastModified,
      });
    }
  }

  /** How many parameters are stored. */
  get size(): number {
    return this.parameters.size;
  }

  /** Handles one JSON-protocol call; `operation` is the part after `AmazonSSM.`. */
  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'GetParameter':
        return { Parameter: this.render(this.get(input.Name), input.WithDecryption === true) };
      case 'GetParameters':
        return this.getMany(input.Names, input.WithDecryption === true);
      case 'PutParameter':
        return this.put(input);
      case 'DeleteParameter':
        this.delete(input.Name);
        return {};
      case 'DeleteParameters':
        return this.deleteMany(input.Names);
      default:
        throw new AwsServiceError(
          'InvalidAction',
          `SSM operation ${operation} is not supported by the embedded edge (supported: GetParameter, GetParameters, PutParameter, DeleteParameter, DeleteParameters)`,
        );
    }
  }

  private name(value: unknown): string {
    if (typeof value !== 'string' || !NAME_PATTERN.test(value.replace(/^\//, ''))) {
      throw new AwsServiceError('ValidationException', `Parameter name '${String(value)}' is not valid`);
    }
    return value;
  }

  private get(nameValue: unknown): StoredParameter {
    const name = this.name(nameValue);
    const parameter = this.parameters.get(name);
    if (!parameter) throw new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }

  private getMany(names: unknown, decrypt: boolean) {
    if (!Array.isArray(names) || names.length === 0 || names.length > 10) {
      throw new AwsServiceError('ValidationException', 'Names must list between 1 and 10 parameter names');
    }
    const found = names.flatMap((n) => {
      const p = this.parameters.get(this.name(n));
      return p ? [this.render(p, decrypt)] : [];
    });
    const invalid = names.filter((n) => !this.parameters.has(n as string));
    return { Parameters: found, InvalidParameters: invalid };
  }

  private put(input: Record<string, unknown>) {
    const name = this.name(input.Name);
    const value = input.Value;
    if (typeof value !== 'string' || value.length === 0) {
      throw new AwsServiceError('ValidationException', `Parameter ${name}: Value must be a non-empty string`);
    }
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      throw new AwsServiceError(
        'ValidationException',
        `Parameter ${name}: Value is ${Buffer.byteLength(value)} bytes; the limit is ${MAX_VALUE_BYTES}`,
      );
    }
    const existing = this.parameters.get(name);
    if (existing && input.Overwrite !== true) {
      throw new AwsServiceError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
    }
    const type = (input.Type ?? existing?.type ?? 'String') as ParameterType;
    if (!['String', 'StringList', 'SecureString'].includes(type)) {
      throw new AwsServiceError(
        'ValidationException',
        `Parameter ${name}: Type must be String, StringList or SecureString`,
      );
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, {
      name,
      type,
      value,
      version,
      lastModified: new Date(),
      description: typeof input.Description === 'string' ? input.Description : existing?.description,
    });
    return { Version: version, Tier: 'Standard' };
  }

  private delete(nameValue: unknown): void {
    const name = this.name(nameValue);
    if (!this.parameters.delete(name))
      throw new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
  }

  private deleteMany(names: unknown) {
    if (!Array.isArray(names)) throw new AwsServiceError('ValidationException', 'Names must be a list');
    const deleted = names.filter((n) => this.parameters.delete(String(n)));
    return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
  }

  private render(parameter: StoredParameter, decrypt: boolean) {
    const hidden = parameter.type === 'SecureString' && !decrypt;
    return {
      Name: parameter.name,
      Type: parameter.type,
      Value: hidden
        ? Buffer.from(`edge-kms-encrypted:${parameter.value}`).toString('base64')
        : parameter.value,
      Version: parameter.version,
      LastModifiedDate: parameter.lastModified.getTime() / 1000,
      ARN: `arn:aws:ssm:${this.region}:${this.accountId}:parameter/${parameter.name.replace(/^\//, '')}`,
      DataType: 'text',
    };
  }
}
