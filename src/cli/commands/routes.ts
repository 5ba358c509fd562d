import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultTimeZone } from '../../egress/plan/dates.ts';
import {
  explainKey,
  formatExplanation,
  formatRuleTable,
  formatValidation,
  InvalidDateError,
  type LoadedRules,
  listRules,
  loadRules,
  processingDay,
  RuleSourceError,
  type RuleSourceOptions,
  sftContextFor,
  type TerraformValueFlags,
  validateItems,
} from '../../rule-tools/index.ts';
import {
  buildRoutingMap,
  MAP_FORMATS,
  type MapFormat,
  renderRoutingMap,
} from '../../rule-tools/map/index.ts';
import { UserError } from '../errors.ts';
import { terraformValuesFrom, withTerraformValueOptions } from '../terraform-value-options.ts';
import { registerImportTfCommand } from './routes-import.ts';
import { registerRoutesLoadCommand } from './routes-load.ts';
import { registerScenariosCommand } from './routes-scenarios.ts';

type SourceFlags = Omit<RuleSourceOptions, 'terraform'> & TerraformValueFlags & { json: boolean };

/** The options every `egress routes` subcommand that reads rules shares. */
function withRuleSource(command: Command): Command {
  command
    .option(
      '--rules <file>',
      'read the rules from a file: JSON items, `aws dynamodb scan` JSON, an environment file, or Terraform (.tf files or a directory)',
    )
    .option('--sandbox <dir>', 'read the rules from the table of the sandbox whose sandbox.json is in <dir>')
    .option(
      '--endpoint <url>',
      'read the rules from the table at this AWS endpoint (default: AWS_ENDPOINT_URL)',
    )
    .option('--region <region>', 'region (default: AWS_REGION or eu-west-2)')
    .option('--table <name>', 'routing table (default: the sandbox’s, else data-egress)')
    .option('--json', 'print JSON for machines instead of text', false);
  return withTerraformValueOptions(command, 'with Terraform --rules');
}

/** The rules of a subcommand's flags; the Terraform value flags are read first (exit 2 when bad). */
async function load(flags: Omit<SourceFlags, 'json'>): Promise<LoadedRules> {
  const terraform = terraformValuesFrom(flags);
  try {
    return await loadRules({ ...flags, terraform });
  } catch (error) {
    if (error instanceof RuleSourceError) throw new UserError(error.message, { cause: error });
    throw error;
  }
}

interface MapFlags {
  format: string;
  out?: string;
  recipient?: string;
  type?: string;
  bucket?: string;
  date?: string;
  timeZone?: string;
}

/** The processing day from `--date` / `--time-zone`, as the service would take it. */
function stampsFor(flags: { date?: string | undefined; timeZone?: string | undefined }) {
  try {
    return processingDay(flags.date, flags.timeZone ?? process.env.EGRESS_TIME_ZONE ?? defaultTimeZone());
  } catch (error) {
    if (error instanceof InvalidDateError || error instanceof RangeError) {
      throw new UserError((error as Error).message);
    }
    throw error;
  }
}

function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

export function registerRoutesCommand(program: Command): void {
  const routes = program
    .command('routes')
    .description(
      'see, check, explain and load the routing rules (DynamoDB table data-egress), and import them from Terraform',
    );

  withRuleSource(
    routes.command('list').description('a table of the rules: who gets what, from where, how'),
  ).action(async (flags: SourceFlags) => {
    const loaded = await load(flags);
    const rows = listRules(loaded.records);
    print(flags.json, rows, () => `rules from ${loaded.origin}\n\n${formatRuleTable(rows)}`);
  });

  withRuleSource(
    routes
      .command('map')
      .description(
        'a picture of every rule: source → rule → destination (→ SFT agent route → stub NiFi) → recipient',
      ),
  )
    .option('--format <format>', `svg, mermaid or dot (default svg)`, 'svg')
    .option('--out <file>', 'write the map to a file (default: standard output)')
    .option('--recipient <name>', 'only the rules of this recipient')
    .option('--type <S3|SFT>', 'only the rules of this transfer type')
    .option('--bucket <bucket>', 'only the rules reading this source bucket')
    .option('--date <YYYY-MM-DD>', 'the processing day the examples use (default: today)')
    .option('--time-zone <zone>', 'zone of "today" (default: EGRESS_TIME_ZONE, TZ or UTC)')
    .action(async (flags: SourceFlags & MapFlags) => {
      if (!(MAP_FORMATS as readonly string[]).includes(flags.format)) {
        throw new UserError(`--format ${flags.format} is not one of ${MAP_FORMATS.join(', ')}`);
      }
      const stamps = stampsFor(flags);
      const loaded = await load(flags);
      for (const note of loaded.notes ?? []) console.error(note);
      const map = buildRoutingMap(loaded.records, stamps, sftContextFor(loaded.sandbox));
      const text = renderRoutingMap(map, flags.format as MapFormat, {
        filter: { recipient: flags.recipient, transferType: flags.type, sourceBucket: flags.bucket },
        title: `Routing map — ${flags.rules ? path.basename(flags.rules) : loaded.origin}`,
      });
      if (flags.out) {
        await writeFile(flags.out, text);
        console.error(`wrote the routing map (${flags.format}) to ${path.resolve(flags.out)}`);
      } else {
        process.stdout.write(text);
      }
    });

  withRuleSource(
    routes
      .command('validate')
      .description('check every item with the egress service’s own schema; exit 2 when any is invalid'),
  ).action(async (flags: SourceFlags) => {
    const loaded = await load(flags);
    const report = validateItems(loaded.records, processingDay(undefined, defaultTimeZone()));
    print(flags.json, report, () => `rules from ${loaded.origin}\n${formatValidation(report)}`);
    if (report.invalid.length > 0) {
      throw new UserError(
        `${report.invalid.length} of ${report.total} routing items are invalid: ${report.invalid.map((i) => i.rule).join(', ')}`,
      );
    }
  });

  withRuleSource(
    routes
      .command('explain')
      .argument('<s3-key>', 'a flag key (…pipeline_success.flag) or a data object’s key')
      .description(
        'which rules a key fires or is sent by, why, and where everything would go — a pure dry run',
      ),
  )
    .option('--bucket <bucket>', 'the bucket the key is in')
    .option('--date <YYYY-MM-DD>', 'the processing day (default: today)')
    .option('--time-zone <zone>', 'zone of "today" (default: EGRESS_TIME_ZONE, TZ or UTC)')
    .option('--object <name>', 'file name of the example object shown for a flag')
    .action(
      async (
        key: string,
        flags: SourceFlags & { bucket?: string; date?: string; timeZone?: string; object?: string },
      ) => {
        const stamps = stampsFor(flags);
        const loaded = await load(flags);
        const explanation = explainKey(loaded.records, key, {
          bucket: flags.bucket,
          stamps,
          sft: sftContextFor(loaded.sandbox),
          exampleName: flags.object,
        });
        print(
          flags.json,
          explanation,
          () => `rules from ${loaded.origin}\n${formatExplanation(explanation)}`,
        );
      },
    );

  registerImportTfCommand(routes);
  registerScenariosCommand(routes);
  registerRoutesLoadCommand(routes);
}
