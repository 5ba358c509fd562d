import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type ImportResult,
  importRoutingItems,
  isTerraformTemplate,
  TerraformInputError,
  TerraformItemError,
  TerraformSyntaxError,
} from '../terraform/index.ts';
import { type RoutingItemRecord, recordsFromItems } from './items.ts';
import { RuleSourceError, readItemsFile } from './rule-source.ts';

/** Routing items read from a file, with what a person should know about how they were read. */
export interface RuleFile {
  readonly records: RoutingItemRecord[];
  /** The file or directory, absolute. */
  readonly origin: string;
  /** `json` (items or `aws dynamodb scan` output), `environment` (YAML) or `terraform`. */
  readonly format: 'json' | 'environment' | 'terraform';
  /** Things to tell about the reading itself (Terraform values that could not be known, …). */
  readonly notes: readonly string[];
}

/** True for what the Terraform importer reads: a `.tf` / `.tf.j2` file, or a directory of them. */
async function isTerraform(absolute: string): Promise<boolean> {
  if (absolute.endsWith('.tf') || isTerraformTemplate(absolute)) return true;
  const info = await stat(absolute).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

function terraformNotes(result: ImportResult): string[] {
  const notes: string[] = [];
  for (const skipped of result.skipped) notes.push(`skipped ${skipped.address}: ${skipped.reason}`);
  const affected = new Set(result.placeholders.map((use) => use.address));
  if (affected.size > 0) {
    notes.push(
      `${affected.size} of ${result.items.length} items hold placeholders for values Terraform alone could not know ` +
        `(${[...affected].join(', ')}); \`egress routes import-tf\` with --var/--var-file sets them`,
    );
  }
  return notes;
}

/**
 * Reads routing items from any file a team keeps them in: the item JSON that `egress routes` reads
 * (`config/rules/routing-items.json`), an `aws dynamodb scan` export, an environment file (YAML),
 * or Terraform (`.tf`, `.tf.j2` or a directory of them) through the importer, with the variables
 * Terraform itself would load (`terraform.tfvars`, `*.auto.tfvars`).
 *
 * @throws RuleSourceError naming the file (and line, for Terraform syntax) when it cannot be read
 */
export async function readRuleFile(file: string): Promise<RuleFile> {
  const absolute = path.resolve(file);
  const shown = path.basename(absolute);
  if (await isTerraform(absolute)) {
    let result: ImportResult;
    try {
      result = await importRoutingItems([absolute]);
    } catch (error) {
      if (
        error instanceof TerraformSyntaxError ||
        error instanceof TerraformInputError ||
        error instanceof TerraformItemError
      ) {
        throw new RuleSourceError(`${absolute}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (result.items.length === 0) {
      throw new RuleSourceError(`${absolute} declares no aws_dynamodb_table_item resources`);
    }
    return {
      records: recordsFromItems(
        result.items.map((imported) => imported.item),
        shown,
      ),
      origin: absolute,
      format: 'terraform',
      notes: terraformNotes(result),
    };
  }
  return {
    records: await readItemsFile(absolute),
    origin: absolute,
    format: /\.ya?ml$/i.test(absolute) ? 'environment' : 'json',
    notes: [],
  };
}
