import type { Command } from 'commander';
import {
  parseTerraformValues,
  type TerraformValueFlags,
  type TerraformValues,
  TerraformValuesError,
} from '../rule-tools/index.ts';
import { UserError } from './errors.ts';

/*
 * The Terraform value flags of `egress routes import-tf`, offered by every command that reads a
 * rules source, so a team's Terraform is read the same way wherever it is given.
 */

function collect(value: string, values: string[]): string[] {
  return [...values, value];
}

/**
 * Adds `--var-file`, `--var`, `--template-values`, `--template-value` and `--workspace`.
 * `scope`, when given, says in the help what they apply to (`with Terraform rules: …`).
 */
export function withTerraformValueOptions(command: Command, scope?: string): Command {
  const help = (text: string) => (scope ? `${scope}: ${text}` : text);
  return command
    .option(
      '--var-file <file>',
      help('a variables file (.tfvars HCL or JSON); repeatable, later files win'),
      collect,
      [] as string[],
    )
    .option(
      '--var <name=value>',
      help('set a Terraform variable, as terraform plan -var (repeatable; wins over the variables files)'),
      collect,
      [] as string[],
    )
    .option(
      '--template-values <file>',
      help(
        'YAML or JSON values to render *.tf.j2 templates with (the shape of the original secret /concourse/dataworks/terraform)',
      ),
    )
    .option(
      '--template-value <path=value>',
      help(
        'one template value, e.g. opsmi.development.bucket_name=my-bucket (repeatable; wins over --template-values)',
      ),
      collect,
      [] as string[],
    )
    .option('--workspace <name>', help('value of terraform.workspace (default: default, as Terraform)'));
}

/** The flags read; a bad one is a user error (exit 2) naming the flag, before anything is loaded. */
export function terraformValuesFrom(flags: TerraformValueFlags): TerraformValues {
  try {
    return parseTerraformValues(flags);
  } catch (error) {
    if (error instanceof TerraformValuesError) throw new UserError(error.message, { cause: error });
    throw error;
  }
}
