import type { Command } from 'commander';
import { defaultTimeZone } from '../../egress/plan/dates.ts';
import {
  formatLoadReport,
  loadRuleItems,
  processingDay,
  RuleLoadError,
  RuleSourceError,
  readRuleFile,
  resolveTableTarget,
  sandboxTarget,
  type TableTarget,
  type TerraformValueFlags,
} from '../../rule-tools/index.ts';
import { NoSandboxRunningError, readRunningSandbox } from '../../sandbox/running.ts';
import { UserError } from '../errors.ts';
import { terraformValuesFrom, withTerraformValueOptions } from '../terraform-value-options.ts';

interface LoadFlags extends TerraformValueFlags {
  stateDir?: string;
  sandbox?: string;
  endpoint?: string;
  region?: string;
  table?: string;
  replace: boolean;
  strict: boolean;
  json: boolean;
}

async function tableFor(flags: LoadFlags): Promise<TableTarget> {
  const stateDir = flags.stateDir ?? flags.sandbox;
  if (stateDir) {
    const { state } = await readRunningSandbox(stateDir);
    return { target: sandboxTarget(state), table: flags.table ?? state.table, sandbox: state };
  }
  return resolveTableTarget(flags);
}

/** `egress routes load <file> [--state-dir DIR | --endpoint URL] [--table T] [--replace] [--strict]`. */
export function registerRoutesLoadCommand(routes: Command): void {
  withTerraformValueOptions(
    routes
      .command('load')
      .argument(
        '<file>',
        'routing items: JSON items (config/rules/routing-items.json), `aws dynamodb scan` output, an environment file (.yml), or Terraform (.tf, .tf.j2, or a directory of them)',
      )
      .description(
        'load routing rules from a file into a running sandbox’s table (or any endpoint’s); each invalid item is named with its fields',
      ),
    'with Terraform rules',
  )
    .option(
      '--state-dir <dir>',
      'the sandbox running with this --state-dir (default: .sandbox/ in the project)',
    )
    .option('--sandbox <dir>', 'the same as --state-dir')
    .option('--endpoint <url>', 'the AWS endpoint instead of a sandbox (default: AWS_ENDPOINT_URL)')
    .option('--region <region>', 'region (default: AWS_REGION or eu-west-2)')
    .option('--table <name>', 'routing table (default: the sandbox’s, else data-egress)')
    .option('--replace', 'also delete the table’s items that the file does not have', false)
    .option('--strict', 'load nothing (exit 2) when any item is invalid for the egress service', false)
    .option('--json', 'print the load report as JSON', false)
    .action(async (file: string, flags: LoadFlags) => {
      const terraform = terraformValuesFrom(flags);
      try {
        const rules = await readRuleFile(file, terraform);
        const { target, table } = await tableFor(flags);
        const report = await loadRuleItems(target, table, rules.records, {
          replace: flags.replace,
          strict: flags.strict,
          stamps: processingDay(undefined, defaultTimeZone()),
        });
        if (flags.json) {
          console.log(JSON.stringify({ origin: rules.origin, notes: rules.notes, ...report }, null, 2));
          return;
        }
        for (const note of rules.notes) console.log(`note: ${note}`);
        for (const line of formatLoadReport(report, rules.origin)) console.log(line);
      } catch (error) {
        if (
          error instanceof RuleSourceError ||
          error instanceof RuleLoadError ||
          error instanceof NoSandboxRunningError
        ) {
          throw new UserError(error.message, { cause: error });
        }
        throw error;
      }
    });
}
