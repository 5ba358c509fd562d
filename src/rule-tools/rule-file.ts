import path from 'node:path';
import type { RoutingItemRecord } from './items.ts';
import { loadRules } from './rule-source.ts';
import type { TerraformValues } from './terraform-values.ts';

/** Routing items read from a file, with what a person should know about how they were read. */
export interface RuleFile {
  readonly records: RoutingItemRecord[];
  /** The file or directory, as people should read it (`Terraform /abs/dir` for Terraform). */
  readonly origin: string;
  /** Things to tell about the reading itself (Terraform values that could not be known, …). */
  readonly notes: readonly string[];
}

/**
 * Reads routing items from any file a team keeps them in — the item JSON that `egress routes`
 * reads (`config/rules/routing-items.json`), an `aws dynamodb scan` export, an environment file
 * (YAML), or Terraform (`.tf` or a directory of them) through the importer — exactly as
 * `egress routes … --rules FILE` reads it.
 *
 * @param terraform what to evaluate Terraform with (refused for any other kind of file)
 * @throws RuleSourceError naming the file (and line, for Terraform syntax) when it cannot be read,
 *   or the flag when a Terraform value cannot be used
 */
export async function readRuleFile(file: string, terraform?: TerraformValues): Promise<RuleFile> {
  const loaded = await loadRules({ rules: path.resolve(file), terraform });
  return { records: loaded.records, origin: loaded.origin, notes: loaded.notes ?? [] };
}
