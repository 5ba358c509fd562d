import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { TerraformSyntaxError } from './evaluate.ts';
import { renderTerraformTemplate, type TemplateValues } from './template.ts';

/*
 * Reading Terraform configuration with @cdktf/hcl2json (HashiCorp's HCL parser compiled to
 * WebAssembly). hcl2json turns each file into JSON: static values as JSON, every other expression
 * as its source text wrapped in `${…}`, heredoc templates as their text with `${…}` kept.
 */

/** One parsed `.tf` file. */
export interface TerraformFile {
  readonly file: string;
  readonly text: string;
  /** hcl2json's JSON form: `{ resource: { type: { name: [ {args} ] } }, locals: [ {…} ], variable: {…} }`. */
  readonly json: Record<string, unknown>;
  /** For a Jinja template (`*.tf.j2`): the template values it uses that were not given. */
  readonly templateMissing?: string[] | undefined;
}

/** `terraform.tf.j2`: Terraform kept as a Jinja template, rendered before use (`template.ts`). */
export function isTerraformTemplate(name: string): boolean {
  return name.endsWith('.tf.j2');
}

/** A path given to the import that is neither a `.tf` file nor a directory holding some. */
export class TerraformInputError extends Error {
  override readonly name = 'TerraformInputError';
}

/** Parses one file's text (any name; used for `.tf` and `.tfvars`). */
export async function parseHcl(file: string, text: string): Promise<Record<string, unknown>> {
  try {
    return (await parse(file, text)) as Record<string, unknown>;
  } catch (error) {
    throw new TerraformSyntaxError(`${file}: ${(error as Error).message}`);
  }
}

/** The variables files Terraform loads by itself from a root module directory. */
function isAutoVarFile(name: string): boolean {
  return (
    name === 'terraform.tfvars' ||
    name === 'terraform.tfvars.json' ||
    name.endsWith('.auto.tfvars') ||
    name.endsWith('.auto.tfvars.json')
  );
}

/**
 * Expands the inputs (directories → their `*.tf` and `*.tf.j2` files, not recursive, as a
 * Terraform root module; files as given) and parses each, templates rendered with
 * `templateValues` first. Also returns the variables files Terraform would load automatically
 * from those directories (`terraform.tfvars`, `*.auto.tfvars`).
 */
export async function readTerraformFiles(
  inputs: readonly string[],
  templateValues: TemplateValues = {},
): Promise<{ files: TerraformFile[]; autoVarFiles: string[] }> {
  const paths: string[] = [];
  const autoVarFiles: string[] = [];
  for (const input of inputs) {
    const absolute = path.resolve(input);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new TerraformInputError(`${input} does not exist`);
    if (info.isDirectory()) {
      const names = (await readdir(absolute)).sort();
      const tf = names.filter((name) => name.endsWith('.tf') || isTerraformTemplate(name));
      if (tf.length === 0) throw new TerraformInputError(`${input} holds no .tf files`);
      paths.push(...tf.map((name) => path.join(absolute, name)));
      autoVarFiles.push(...names.filter(isAutoVarFile).map((name) => path.join(absolute, name)));
    } else {
      paths.push(absolute);
    }
  }
  const files: TerraformFile[] = [];
  for (const file of [...new Set(paths)]) {
    const source = await readFile(file, 'utf8');
    if (isTerraformTemplate(file)) {
      const rendered = renderTerraformTemplate(path.basename(file), source, templateValues);
      const json = await parseHcl(path.basename(file), rendered.text);
      files.push({ file, text: rendered.text, json, templateMissing: rendered.missing });
    } else {
      files.push({ file, text: source, json: await parseHcl(path.basename(file), source) });
    }
  }
  return { files, autoVarFiles };
}

/** Reads the template values file: YAML or JSON, a mapping (the shape of the original's secret). */
export async function readTemplateValuesFile(file: string): Promise<TemplateValues> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TerraformInputError(`cannot read the template values ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new TerraformSyntaxError(`${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TerraformSyntaxError(`${file}: expected a mapping of template values`);
  }
  return parsed as TemplateValues;
}

/** Reads a variables file: `.tfvars` (HCL) or JSON (`.json`, `.tfvars.json`). */
export async function readVariablesFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TerraformInputError(`cannot read the variables file ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.json')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('expected an object of variable names to values');
      }
      return parsed as Record<string, unknown>;
    } catch (error) {
      throw new TerraformSyntaxError(`${file}: ${(error as Error).message}`);
    }
  }
  return parseHcl(path.basename(file), text);
}

/** `resource.<type>.<name>` blocks of a file, in the JSON form. */
export function resourcesOf(file: TerraformFile, type: string): [string, Record<string, unknown>][] {
  const resources = (file.json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>[]>>;
  return Object.entries(resources[type] ?? {}).map(([name, blocks]) => [name, blocks[0] ?? {}]);
}
