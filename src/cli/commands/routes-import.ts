import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { createDocumentClient } from '../../aws/clients.ts';
import { normaliseItem } from '../../aws/provisioning/index.ts';
import { type AwsTarget, awsTargetFromEnv, EMULATOR_CREDENTIALS } from '../../aws/target.ts';
import {
  checkItems,
  importOptionsFor,
  RuleSourceError,
  readSandboxState,
  recordsFromItems,
  sandboxTarget,
  type TerraformValueFlags,
  TerraformValuesError,
} from '../../rule-tools/index.ts';
import {
  type ImportResult,
  importRoutingItems,
  type PlaceholderUse,
  TerraformInputError,
  TerraformItemError,
  TerraformSyntaxError,
} from '../../terraform/index.ts';
import { UserError } from '../errors.ts';
import { terraformValuesFrom, withTerraformValueOptions } from '../terraform-value-options.ts';

interface ImportFlags extends TerraformValueFlags {
  out?: string;
  load: boolean;
  sandbox?: string;
  endpoint?: string;
  region?: string;
  table?: string;
}

function describe(result: ImportResult): string[] {
  const files = result.files.map((file) => path.basename(file)).join(', ');
  const vars = result.varFiles.length
    ? result.varFiles.map((file) => path.basename(file)).join(', ')
    : 'none';
  const lines = [`imported ${result.items.length} routing items from ${files} (variables: ${vars})`];
  for (const template of result.templates) {
    if (template.missing.length) {
      lines.push(
        `  ${path.basename(template.file)}: rendered without the template values ${template.missing.join(', ')}`,
      );
    }
  }
  for (const skipped of result.skipped) lines.push(`  skipped ${skipped.address}: ${skipped.reason}`);
  const unique = new Map<string, { use: PlaceholderUse; items: Set<string> }>();
  for (const use of result.placeholders) {
    const key = `${use.expression}\u0000${use.placeholder}`;
    const entry = unique.get(key) ?? { use, items: new Set<string>() };
    entry.items.add(use.address);
    unique.set(key, entry);
  }
  const affected = new Set(result.placeholders.map((use) => use.address));
  if (unique.size) {
    lines.push(
      `${unique.size} values could not be known and hold placeholders, in ${affected.size} of ${result.items.length} items:`,
    );
  }
  for (const { use, items } of unique.values()) {
    lines.push(`  ${use.expression} → "${use.placeholder}"  (${use.reason})`);
    lines.push(`    in ${items.size} item${items.size === 1 ? '' : 's'}: ${[...items].join(', ')}`);
  }
  return lines;
}

async function targetFor(flags: ImportFlags): Promise<{ target: AwsTarget; table?: string | undefined }> {
  if (flags.sandbox) {
    const state = await readSandboxState(flags.sandbox);
    return { target: sandboxTarget(state), table: state.table };
  }
  if (!flags.endpoint && !process.env.AWS_ENDPOINT_URL) {
    throw new UserError('--load needs --sandbox DIR or --endpoint URL (or AWS_ENDPOINT_URL)');
  }
  const target = awsTargetFromEnv({
    ...process.env,
    ...(flags.endpoint ? { AWS_ENDPOINT_URL: flags.endpoint } : {}),
    ...(flags.region ? { AWS_REGION: flags.region } : {}),
  });
  target.credentials ??= { ...EMULATOR_CREDENTIALS };
  return { target };
}

async function load(result: ImportResult, flags: ImportFlags): Promise<string> {
  const { target, table: sandboxTable } = await targetFor(flags);
  const tables = [...new Set(result.items.map((item) => item.table))];
  const table = flags.table ?? (tables.length === 1 ? tables[0] : undefined) ?? sandboxTable ?? 'data-egress';
  const client = createDocumentClient(target);
  try {
    for (const imported of result.items) {
      await client.send(new PutCommand({ TableName: table, Item: normaliseItem(imported.item) }));
    }
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new UserError(`table ${table} does not exist at ${target.endpoint ?? 'AWS'}`);
    }
    throw error;
  } finally {
    client.destroy();
  }
  const invalid = checkItems(
    recordsFromItems(
      result.items.map((i) => i.item),
      'import',
    ),
  ).filter((c) => !c.ok);
  return (
    `loaded ${result.items.length} items into table ${table} at ${target.endpoint ?? 'AWS'}` +
    (invalid.length
      ? ` (${invalid.length} invalid for the egress service: egress routes validate says why)`
      : '')
  );
}

/** `egress routes import-tf <dir|files…> [--var-file F] [--var n=v] [--template-values F] [--out items.json | --load]`. */
export function registerImportTfCommand(routes: Command): void {
  withTerraformValueOptions(
    routes
      .command('import-tf')
      .argument('<paths...>', '.tf files, or directories whose .tf files form one configuration')
      .description(
        'read the aws_dynamodb_table_item resources of Terraform files into routing items (JSON, or loaded into the table)',
      ),
  )
    .option('--out <file>', 'write the items (JSON, the format of config/rules/routing-items.json) to a file')
    .option('--load', 'put the items into the routing table (with --sandbox DIR or --endpoint URL)', false)
    .option('--sandbox <dir>', 'with --load: the sandbox whose sandbox.json is in <dir>')
    .option('--endpoint <url>', 'with --load: the AWS endpoint (default: AWS_ENDPOINT_URL)')
    .option('--region <region>', 'with --load: region (default: AWS_REGION or eu-west-2)')
    .option('--table <name>', 'with --load: the table (default: the resources’ table_name)')
    .action(async (paths: string[], flags: ImportFlags) => {
      if (flags.out && flags.load) throw new UserError('give --out FILE or --load, not both');
      const values = terraformValuesFrom(flags);
      let result: ImportResult;
      try {
        result = await importRoutingItems(paths, await importOptionsFor(values));
      } catch (error) {
        if (
          error instanceof TerraformValuesError ||
          error instanceof TerraformSyntaxError ||
          error instanceof TerraformInputError ||
          error instanceof TerraformItemError
        ) {
          throw new UserError(error.message, { cause: error });
        }
        throw error;
      }
      for (const line of describe(result)) console.error(line);
      const json = `${JSON.stringify(
        result.items.map((item) => item.item),
        null,
        2,
      )}\n`;
      if (flags.out) {
        await writeFile(flags.out, json);
        console.error(`wrote ${path.resolve(flags.out)}`);
      } else if (flags.load) {
        try {
          console.error(await load(result, flags));
        } catch (error) {
          if (error instanceof RuleSourceError) throw new UserError(error.message, { cause: error });
          throw error;
        }
      } else {
        process.stdout.write(json);
      }
    });
}
