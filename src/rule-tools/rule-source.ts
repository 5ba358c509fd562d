import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../aws/clients.ts';
import { loadEnvironmentFile } from '../aws/provisioning/index.ts';
import { type AwsTarget, awsTargetFromEnv, EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { PORTS, PROJECT_ROOT } from '../sandbox/settings.ts';
import { type SandboxState, stateFilePath } from '../sandbox/state-file.ts';
import { sandboxSftAgentConfig } from '../sft/sandbox-config.ts';
import { AttributeValueError, fromAttributeValues } from '../terraform/attribute-values.ts';
import {
  type ImportOptions,
  importRoutingItems,
  isTerraformTemplate,
  TerraformInputError,
  TerraformItemError,
  TerraformSyntaxError,
} from '../terraform/index.ts';
import type { SftContext } from './explain.ts';
import { type RoutingItemRecord, recordsFromItems } from './items.ts';
import {
  givenTerraformFlags,
  importOptionsFor,
  NO_TERRAFORM_VALUES,
  type TerraformValues,
  TerraformValuesError,
} from './terraform-values.ts';

/** Rules could not be read (a missing file, a table that does not exist, no source given). */
export class RuleSourceError extends Error {
  override readonly name = 'RuleSourceError';
}

/** Where `egress routes` reads its rules from. */
export interface RuleSourceOptions {
  /**
   * A file: a JSON array of items, `aws dynamodb scan` output, an environment file (YAML), or
   * Terraform — a `.tf` file or a directory of them, read by the importer (`routes import-tf`).
   */
  rules?: string | undefined;
  /**
   * What to evaluate a Terraform `rules` source with (`--var-file`, `--var`, `--template-values`,
   * `--template-value`, `--workspace`); refused for any other source.
   */
  terraform?: TerraformValues | undefined;
  /** A sandbox state directory (its sandbox.json names the endpoint and table). */
  sandbox?: string | undefined;
  /** An AWS endpoint (default `AWS_ENDPOINT_URL`). */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** The table (default: sandbox.json's, else `data-egress`). */
  table?: string | undefined;
}

export interface LoadedRules {
  readonly records: RoutingItemRecord[];
  /** Where they came from, for humans. */
  readonly origin: string;
  /** The sandbox the rules came from, when they did. */
  readonly sandbox?: SandboxState | undefined;
  /** What a reader should know about the rules (Terraform values that stayed placeholders). */
  readonly notes?: readonly string[] | undefined;
}

/** Reads `<dir>/sandbox.json`. */
export async function readSandboxState(dir: string): Promise<SandboxState> {
  const file = stateFilePath(path.resolve(dir));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new RuleSourceError(`${file} does not exist: is a sandbox running with --state-dir ${dir}?`);
  }
  try {
    return JSON.parse(text) as SandboxState;
  } catch (error) {
    throw new RuleSourceError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** The AWS target a sandbox.json describes. */
export function sandboxTarget(state: SandboxState): AwsTarget {
  return {
    region: state.region,
    endpoint: state.aws.endpoint,
    credentials: { accessKeyId: state.aws.accessKeyId, secretAccessKey: state.aws.secretAccessKey },
  };
}

/** Every item of a table (all pages), booleans as booleans. */
export async function scanRoutingTable(target: AwsTarget, table: string): Promise<Record<string, unknown>[]> {
  const client = createDocumentClient(target);
  const items: Record<string, unknown>[] = [];
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') {
      throw new RuleSourceError(`table ${table} does not exist at ${target.endpoint ?? 'AWS'}`, {
        cause: error,
      });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') {
      throw new RuleSourceError(`cannot reach the AWS endpoint ${target.endpoint}: is the sandbox running?`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    client.destroy();
  }
  return items;
}

/**
 * Reads routing items from a file: a JSON array of plain items (`config/rules/routing-items.json`),
 * DynamoDB JSON (`aws dynamodb scan` output `{"Items": [...]}` or an array of attribute-value
 * items), or an environment file (`.yml`/`.yaml`: the items of its tables, aliases applied).
 */
export async function readItemsFile(file: string): Promise<RoutingItemRecord[]> {
  const absolute = path.resolve(file);
  const shown = path.basename(absolute);
  if (await isTerraform(absolute)) return (await readTerraform(absolute, NO_TERRAFORM_VALUES)).records;
  if (/\.ya?ml$/i.test(absolute)) {
    let loaded: Awaited<ReturnType<typeof loadEnvironmentFile>>;
    try {
      loaded = await loadEnvironmentFile(absolute);
    } catch (error) {
      throw new RuleSourceError((error as Error).message, { cause: error });
    }
    return [...loaded.items.entries()].flatMap(([table, items]) =>
      recordsFromItems(items, `${shown} ${table}`),
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(absolute, 'utf8'));
  } catch (error) {
    throw new RuleSourceError(`cannot read routing items from ${absolute}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const items =
    typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { Items?: unknown }).Items)
      ? ((parsed as { Items: unknown[] }).Items ?? [])
      : parsed;
  if (!Array.isArray(items)) {
    throw new RuleSourceError(`${absolute}: expected a JSON array of routing items (or {"Items": [...]})`);
  }
  const plain = items.map((item, index) => {
    if (!isAttributeValueItem(item)) return item;
    try {
      return fromAttributeValues(item as Record<string, unknown>);
    } catch (error) {
      if (error instanceof AttributeValueError) {
        throw new RuleSourceError(`${absolute} [${index}]: ${error.message}`);
      }
      throw error;
    }
  });
  return recordsFromItems(plain, shown);
}

async function isTerraform(absolute: string): Promise<boolean> {
  if (absolute.endsWith('.tf') || isTerraformTemplate(absolute)) return true;
  return (await stat(absolute).catch(() => undefined))?.isDirectory() ?? false;
}

/** Routing items from Terraform through the importer, with the placeholders it had to leave. */
async function readTerraform(
  absolute: string,
  values: TerraformValues,
): Promise<{ records: RoutingItemRecord[]; notes: string[] }> {
  let result: Awaited<ReturnType<typeof importRoutingItems>>;
  try {
    const options: ImportOptions = await importOptionsFor(values);
    result = await importRoutingItems([absolute], options);
  } catch (error) {
    if (
      error instanceof TerraformValuesError ||
      error instanceof TerraformSyntaxError ||
      error instanceof TerraformInputError ||
      error instanceof TerraformItemError
    ) {
      throw new RuleSourceError(error.message, { cause: error });
    }
    throw error;
  }
  const unique = new Map(
    result.placeholders.map((use) => [`${use.expression}\u0000${use.placeholder}`, use]),
  );
  return {
    records: recordsFromItems(
      result.items.map((imported) => imported.item),
      path.basename(absolute),
    ),
    notes: [...unique.values()].map(
      (use) => `Terraform ${use.expression} is not known here and reads "${use.placeholder}" (${use.reason})`,
    ),
  };
}

/** True for `{"source_prefix": {"S": "…"}, …}` (DynamoDB JSON) rather than a plain item. */
function isAttributeValueItem(item: unknown): boolean {
  if (typeof item !== 'object' || item === null) return false;
  const prefix = (item as Record<string, unknown>).source_prefix;
  return typeof prefix === 'object' && prefix !== null && !Array.isArray(prefix);
}

/** A routing table to read or write, and how it was found. */
export interface TableTarget {
  readonly target: AwsTarget;
  readonly table: string;
  /** The sandbox it belongs to, when it came from a sandbox.json. */
  readonly sandbox?: SandboxState | undefined;
}

/**
 * Finds the routing table: `--sandbox DIR` first, then `--endpoint` / `AWS_ENDPOINT_URL`, then the
 * default sandbox (`.sandbox/sandbox.json` in the project) when one is running.
 */
export async function resolveTableTarget(
  options: Omit<RuleSourceOptions, 'rules'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TableTarget> {
  let sandbox: SandboxState | undefined;
  let target: AwsTarget | undefined;
  if (options.sandbox) {
    sandbox = await readSandboxState(options.sandbox);
    target = sandboxTarget(sandbox);
  } else if (options.endpoint || env.AWS_ENDPOINT_URL) {
    target = awsTargetFromEnv({
      ...env,
      ...(options.endpoint ? { AWS_ENDPOINT_URL: options.endpoint } : {}),
      ...(options.region ? { AWS_REGION: options.region } : {}),
    });
    target.credentials ??= { ...EMULATOR_CREDENTIALS };
  } else {
    const defaultDir = path.join(PROJECT_ROOT, '.sandbox');
    if (!existsSync(stateFilePath(defaultDir))) {
      throw new RuleSourceError(
        'no rules to read: give --rules FILE (e.g. config/rules/routing-items.json), --sandbox DIR, or --endpoint URL (or start a sandbox)',
      );
    }
    sandbox = await readSandboxState(defaultDir);
    target = sandboxTarget(sandbox);
  }
  return { target, table: options.table ?? sandbox?.table ?? 'data-egress', sandbox };
}

/**
 * Finds the rules: `--rules FILE` first (JSON items, a scan export, an environment file, or
 * Terraform), then the table {@link resolveTableTarget} finds.
 */
export async function loadRules(
  options: RuleSourceOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedRules> {
  const terraformFlags = givenTerraformFlags(options.terraform ?? NO_TERRAFORM_VALUES);
  if (options.rules) {
    const absolute = path.resolve(options.rules);
    if (await isTerraform(absolute)) {
      const { records, notes } = await readTerraform(absolute, options.terraform ?? NO_TERRAFORM_VALUES);
      return { records, origin: `Terraform ${absolute}`, notes };
    }
    if (terraformFlags.length) {
      throw new RuleSourceError(
        `${terraformFlags.join(', ')}: only for Terraform rules (a .tf file or a directory), and ${options.rules} is not Terraform`,
      );
    }
    return { records: await readItemsFile(options.rules), origin: absolute };
  }
  if (terraformFlags.length) {
    throw new RuleSourceError(
      `${terraformFlags.join(', ')}: only for Terraform rules: give them with --rules DIR (a .tf file or a directory)`,
    );
  }
  const { target, table, sandbox } = await resolveTableTarget(options, env);
  const items = await scanRoutingTable(target, table);
  return {
    records: recordsFromItems(items, `table ${table}`),
    origin: `table ${table} at ${target.endpoint ?? 'AWS'}`,
    sandbox,
  };
}

/**
 * The SFT agent routes to explain SFT deliveries with: the original's routes as the sandbox runs
 * them (`sandboxSftAgentConfig`), pointed at the sandbox's stub NiFi when a sandbox is known.
 */
export function sftContextFor(
  sandbox: SandboxState | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SftContext {
  const nifiUrl = sandbox?.nifi?.url ?? `https://127.0.0.1:${PORTS.nifi.default}`;
  return {
    config: sandboxSftAgentConfig({ nifiUrl }),
    nifiBucket: sandbox?.nifi?.bucket ?? `stub-hdfs-${env.EGRESS_ENVIRONMENT || 'local'}`,
    sftRoot: sandbox?.sftRoot,
  };
}
