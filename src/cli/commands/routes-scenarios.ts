import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  givenTerraformFlags,
  loadRules,
  RuleSourceError,
  sftContextFor,
  type TerraformValueFlags,
  terraformValueArguments,
} from '../../rule-tools/index.ts';
import {
  type GeneratedFeature,
  generateRuleSetFeature,
  RuleSetGenerationError,
} from '../../rule-tools/scenarios/index.ts';
import { UserError } from '../errors.ts';
import { terraformValuesFrom, withTerraformValueOptions } from '../terraform-value-options.ts';

interface ScenariosFlags extends TerraformValueFlags {
  rules?: string;
  out?: string;
}

/** `features/x.feature` → `features/x.rules.json`: the evaluated items a feature reads. */
function evaluatedRulesPath(out: string): string {
  return path.join(path.dirname(out), `${path.basename(out, '.feature')}.rules.json`);
}

/**
 * `egress routes scenarios --rules FILE [--out FILE]`: a Gherkin feature with one scenario per item
 * of a rule set (docs/bdd.md, "Your own rule set"). The Background names the rules file as given,
 * so the feature is run from the directory the command was run in. Terraform read with values
 * (`--var`, `--template-values`…) is written next to the feature as JSON items, and the Background
 * names that file: the steps read a file as it is, without the values.
 */
export function registerScenariosCommand(routes: Command): void {
  withTerraformValueOptions(
    routes
      .command('scenarios')
      .description(
        'write a Gherkin feature that checks every rule of a rule set end to end: a sample per rule, its flag, and exactly what must arrive where',
      )
      .option(
        '--rules <file>',
        'the rules: JSON items, `aws dynamodb scan` JSON, an environment file, or Terraform (.tf files or a directory)',
      ),
    'with Terraform --rules (then with --out: the evaluated items are written next to the feature)',
  )
    .option('--out <file>', 'write the feature to this file (default: standard output)')
    .action(async (flags: ScenariosFlags) => {
      if (!flags.rules) {
        throw new UserError(
          'give --rules FILE: the feature loads the rules from that file when it runs (a table has no file to name)',
        );
      }
      const terraform = terraformValuesFrom(flags);
      const valueFlags = givenTerraformFlags(terraform);
      if (valueFlags.length && !flags.out) {
        throw new UserError(
          `${valueFlags.join(', ')} ${valueFlags.length === 1 ? 'needs' : 'need'} --out FILE: the feature reads the rules evaluated with them from a JSON file written next to it`,
        );
      }
      let records: Awaited<ReturnType<typeof loadRules>>['records'];
      try {
        records = (await loadRules({ rules: flags.rules, terraform })).records;
      } catch (error) {
        if (error instanceof RuleSourceError) throw new UserError(error.message, { cause: error });
        throw error;
      }
      const command = [
        'npx egress routes scenarios --rules',
        flags.rules,
        ...terraformValueArguments(terraform),
        ...(flags.out ? ['--out', flags.out] : []),
      ].join(' ');
      const rulesPath = valueFlags.length && flags.out ? evaluatedRulesPath(flags.out) : flags.rules;
      // Paths from the SFT root, the sandbox's agent routes and stub NiFi: what the steps run against.
      const sft = { ...sftContextFor(undefined), sftRoot: undefined };
      let feature: GeneratedFeature;
      try {
        feature = generateRuleSetFeature(records, sft, { rulesPath, command });
      } catch (error) {
        if (error instanceof RuleSetGenerationError) throw new UserError(error.message, { cause: error });
        throw error;
      }
      const { counts } = feature;
      const summary = `${records.length} items: ${counts.delivers} delivery scenarios, ${counts.invalid} invalid items, ${counts.untestable} without a scenario`;
      if (flags.out) {
        await mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
        if (rulesPath !== flags.rules) {
          await writeFile(
            rulesPath,
            `${JSON.stringify(
              records.map((record) => record.item),
              null,
              2,
            )}\n`,
          );
          console.error(
            `wrote ${path.resolve(rulesPath)} (the items of ${flags.rules} evaluated with ${valueFlags.join(', ')})`,
          );
        }
        await writeFile(flags.out, feature.text);
        console.error(`wrote ${path.resolve(flags.out)} (${summary})`);
        console.error(`run it: npm run test:bdd -- ${flags.out}`);
      } else {
        process.stdout.write(feature.text);
        console.error(summary);
      }
    });
}
