import path from 'node:path';
import type { RoutingItemRecord } from './items.ts';
import { loadRules } from './rule-source.ts';

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
 * @throws RuleSourceError naming the file (and line, for Terraform syntax) when it cannot be read
 */
export async function readRuleFile(file: string, varFiles: readonly string[] = []): Promise<RuleFile> {
  const loaded = await loadRules({ rules: path.resolve(file), varFiles });
  return { records: loaded.records, origin: loaded.origin, notes: loaded.notes ?? [] };
}
