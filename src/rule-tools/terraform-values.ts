import { access, stat } from 'node:fs/promises';
import {
  assignTemplateValue,
  type ImportOptions,
  parseTemplateValue,
  readTemplateValuesFile,
  type TemplateValueAssignment,
  type TemplateValues,
  TerraformInputError,
  TerraformSyntaxError,
} from '../terraform/index.ts';

/*
 * The values a team gives to read its Terraform — the flags of `egress routes import-tf` — read
 * once, for every command that takes a rules source (`routes list|validate|explain|map|load|
 * scenarios`, `sandbox --rules`), so each evaluates the Terraform as import-tf does.
 */

/** The flags as commander hands them over (every one optional: a caller may offer a subset). */
export interface TerraformValueFlags {
  varFile?: readonly string[] | undefined;
  var?: readonly string[] | undefined;
  templateValues?: string | undefined;
  templateValue?: readonly string[] | undefined;
  workspace?: string | undefined;
}

/** What to evaluate Terraform with, read from {@link TerraformValueFlags}. */
export interface TerraformValues {
  /** `--var-file`: variables files, in order (later files win). */
  readonly varFiles: readonly string[];
  /** `--var name=value`: the last assignment of a name wins, as in Terraform. */
  readonly variables: Readonly<Record<string, string>>;
  /** `--template-values FILE`: YAML or JSON values for `*.tf.j2` templates. */
  readonly templateValuesFile?: string | undefined;
  /** `--template-value path=value`, in order; they win over the file. */
  readonly templateValueAssignments: readonly TemplateValueAssignment[];
  /** `--workspace`: `terraform.workspace`. */
  readonly workspace?: string | undefined;
}

/** No values: Terraform read as its defaults leave it. */
export const NO_TERRAFORM_VALUES: TerraformValues = {
  varFiles: [],
  variables: {},
  templateValueAssignments: [],
};

/** A flag's value that cannot be used; the message names the flag. */
export class TerraformValuesError extends Error {
  override readonly name = 'TerraformValuesError';
}

/** Terraform's rule for a variable name (an identifier; dashes allowed). */
const VARIABLE_NAME = /^[A-Za-z_][\w-]*$/;

/**
 * Reads the flags; pure (the files are read by {@link importOptionsFor}).
 *
 * @throws TerraformValuesError naming the flag for a `--var` or `--template-value` that is not
 *   `name=value`, or an empty `--var-file`, `--template-values` or `--workspace`
 */
export function parseTerraformValues(flags: TerraformValueFlags): TerraformValues {
  const variables: Record<string, string> = {};
  for (const assignment of flags.var ?? []) {
    const equals = assignment.indexOf('=');
    const name = assignment.slice(0, equals).trim();
    if (equals <= 0 || !VARIABLE_NAME.test(name)) {
      throw new TerraformValuesError(`--var ${JSON.stringify(assignment)}: expected name=value`);
    }
    variables[name] = assignment.slice(equals + 1);
  }
  const templateValueAssignments = (flags.templateValue ?? []).map((assignment) => {
    try {
      return parseTemplateValue(assignment);
    } catch (error) {
      throw new TerraformValuesError((error as Error).message, { cause: error });
    }
  });
  const varFiles = [...(flags.varFile ?? [])];
  if (varFiles.some((file) => file.trim() === '')) {
    throw new TerraformValuesError('--var-file: expected a file name, got an empty one');
  }
  if (flags.templateValues !== undefined && flags.templateValues.trim() === '') {
    throw new TerraformValuesError('--template-values: expected a file name, got an empty one');
  }
  if (flags.workspace !== undefined && flags.workspace.trim() === '') {
    throw new TerraformValuesError('--workspace: expected a workspace name, got an empty one');
  }
  return {
    varFiles,
    variables,
    templateValuesFile: flags.templateValues,
    templateValueAssignments,
    workspace: flags.workspace,
  };
}

/** The flags that were given, as a user wrote them (`--var`, `--template-values`…), for messages. */
export function givenTerraformFlags(values: TerraformValues): string[] {
  return [
    values.varFiles.length ? '--var-file' : undefined,
    Object.keys(values.variables).length ? '--var' : undefined,
    values.templateValuesFile !== undefined ? '--template-values' : undefined,
    values.templateValueAssignments.length ? '--template-value' : undefined,
    values.workspace !== undefined ? '--workspace' : undefined,
  ].filter((flag): flag is string => flag !== undefined);
}

/** The flags back as arguments, for a command line to print (a generated feature's header). */
export function terraformValueArguments(values: TerraformValues): string[] {
  return [
    ...values.varFiles.flatMap((file) => ['--var-file', file]),
    ...Object.entries(values.variables).flatMap(([name, value]) => ['--var', `${name}=${value}`]),
    ...(values.templateValuesFile !== undefined ? ['--template-values', values.templateValuesFile] : []),
    ...values.templateValueAssignments.flatMap((a) => ['--template-value', `${a.path}=${a.value}`]),
    ...(values.workspace !== undefined ? ['--workspace', values.workspace] : []),
  ];
}

async function readableFile(flag: string, file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new TerraformValuesError(`${flag} ${file}: no such file`);
  if (!info.isFile()) throw new TerraformValuesError(`${flag} ${file}: not a file`);
  await access(file).catch((error: Error) => {
    throw new TerraformValuesError(`${flag} ${file}: cannot read it: ${error.message}`);
  });
}

/**
 * The importer's options for these values: the variables files checked, the template values file
 * read and the `--template-value`s laid over it.
 *
 * @throws TerraformValuesError naming the flag and the file when a file is missing or unreadable,
 *   or the template values are not a YAML/JSON mapping
 */
export async function importOptionsFor(values: TerraformValues): Promise<ImportOptions> {
  for (const file of values.varFiles) await readableFile('--var-file', file);
  let templateValues: TemplateValues = {};
  if (values.templateValuesFile !== undefined) {
    await readableFile('--template-values', values.templateValuesFile);
    try {
      templateValues = await readTemplateValuesFile(values.templateValuesFile);
    } catch (error) {
      if (error instanceof TerraformInputError || error instanceof TerraformSyntaxError) {
        throw new TerraformValuesError(`--template-values: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  for (const assignment of values.templateValueAssignments) assignTemplateValue(templateValues, assignment);
  return {
    varFiles: values.varFiles,
    variables: values.variables,
    templateValues,
    workspace: values.workspace,
  };
}
