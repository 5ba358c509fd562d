import path from 'node:path';
import { AttributeValueError, fromAttributeValues } from './attribute-values.ts';
import {
  type EachBinding,
  type EvaluationContext,
  evaluateExpression,
  evaluateParsedValue,
  forEachShape,
  parseExpression,
  templateParts,
} from './evaluate.ts';
import {
  parseHcl,
  readTerraformFiles,
  readVariablesFile,
  resourcesOf,
  type TerraformFile,
  TerraformInputError,
} from './hcl.ts';
import type { TemplateValues } from './template.ts';
import { isObject, kebab, type TfValue, toTemplateString, Unresolved } from './values.ts';

/*
 * `egress routes import-tf`: the routing items of a Terraform configuration, read straight from
 * its `aws_dynamodb_table_item` resources, in the plain item format of
 * config/rules/routing-items.json (`_resource` first, then the item's attributes in their order;
 * `_for_each` and `_note` on items whose for_each could not be expanded).
 */

const ITEM_RESOURCE = 'aws_dynamodb_table_item';

/** An item whose `item` argument cannot be turned into a routing item (bad JSON, unknown type). */
export class TerraformItemError extends Error {
  override readonly name = 'TerraformItemError';
}

export interface ImportOptions {
  /** Variables files, applied after the ones Terraform loads by itself (later files win). */
  varFiles?: readonly string[] | undefined;
  /** Load `terraform.tfvars` and `*.auto.tfvars` from the directories given, as Terraform does. @defaultValue true */
  autoLoadVarFiles?: boolean | undefined;
  /** `terraform.workspace`. @defaultValue `default`, Terraform's own when none is selected */
  workspace?: string | undefined;
  /** `-var name=value` assignments, applied after every variables file (raw strings, or HCL for `{…}`/`[…]`). */
  variables?: Readonly<Record<string, string>> | undefined;
  /** Values to render `*.tf.j2` templates with (the original's `/concourse/dataworks/terraform` secret's shape). */
  templateValues?: TemplateValues | undefined;
  /** For `TF_VAR_<name>` variables. @defaultValue process.env */
  env?: NodeJS.ProcessEnv | undefined;
}

/** One imported routing item. */
export interface ImportedItem {
  /** Terraform address: `cbol_data_egress_config`, or `ris["db.core.claimant"]` for a for_each instance. */
  readonly address: string;
  readonly file: string;
  /** The resource's `table_name`, evaluated (or its placeholder). */
  readonly table: string;
  /** The item in the fixture's format, annotations included. */
  readonly item: Record<string, unknown>;
}

/** A value the import could not know and replaced by a placeholder. */
export interface PlaceholderUse {
  readonly address: string;
  readonly expression: string;
  readonly placeholder: string;
  readonly reason: string;
}

export interface ImportResult {
  readonly items: ImportedItem[];
  readonly placeholders: PlaceholderUse[];
  /** Resources left out (`count = 0`, an empty for_each), with the reason. */
  readonly skipped: { readonly address: string; readonly reason: string }[];
  readonly files: string[];
  readonly varFiles: string[];
  /** The `*.tf.j2` files rendered, with the template values they use that were not given. */
  readonly templates: { readonly file: string; readonly missing: string[] }[];
}

/** `${expr}` as hcl2json writes a non-static argument → `expr`. */
function expressionSource(value: string): string {
  return value.startsWith('${') && value.endsWith('}') ? value.slice(2, -1) : value;
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

interface ItemEvaluation {
  readonly item: Record<string, unknown>;
  readonly placeholders: Unresolved[];
  /** Attributes declared `{"bool": …}` that hold a string (a placeholder) instead. */
  readonly booleanStrings: string[];
}

/**
 * Evaluates an `item` heredoc: each interpolation is evaluated; an unknown one is replaced by its
 * placeholder — inside a JSON string as text, outside one (`{"bool": ${each.value.decrypt}}`) as a
 * JSON string, so the document stays JSON and the column holds the readable placeholder.
 */
async function evaluateItem(
  raw: unknown,
  context: EvaluationContext,
  address: string,
): Promise<ItemEvaluation> {
  if (typeof raw !== 'string')
    throw new TerraformItemError(`${address}: item must be a string of DynamoDB JSON`);
  const placeholders: Unresolved[] = [];
  let json = '';
  let inString = false;
  let escaped = false;
  const track = (text: string) => {
    for (const char of text) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = inString;
      else if (char === '"') inString = !inString;
    }
  };
  for (const part of await templateParts(raw, context)) {
    if (part.kind === 'literal') {
      json += part.text;
      track(part.text);
      continue;
    }
    if (part.value instanceof Unresolved) {
      placeholders.push(part.value);
      json += inString ? jsonEscape(part.value.placeholder) : JSON.stringify(part.value.placeholder);
      continue;
    }
    let text: string;
    try {
      text = toTemplateString(part.value, part.expression);
    } catch (error) {
      throw new TerraformItemError(`${address}: ${(error as Error).message}`);
    }
    json += inString ? jsonEscape(text) : text;
  }
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new TerraformItemError(`${address}: item is not JSON once evaluated: ${(error as Error).message}`);
  }
  if (!isObject(document)) throw new TerraformItemError(`${address}: item must be a JSON object`);
  const booleanStrings = Object.values(document)
    .filter(isObject)
    .flatMap((value) => Object.entries(value))
    .filter(([type, value]) => type.toUpperCase() === 'BOOL' && typeof value === 'string')
    .map(([, value]) => value as string);
  try {
    return { item: fromAttributeValues(document as Record<string, unknown>), placeholders, booleanStrings };
  } catch (error) {
    if (error instanceof AttributeValueError) throw new TerraformItemError(`${address}: ${error.message}`);
    throw error;
  }
}

/**
 * When a placeholder stands for a local that a Jinja template builds from a template value that
 * was not given, says which value to give (`--template-values` / `--template-value`).
 */
function templateHint(
  expression: string,
  localSources: ReadonlyMap<string, { file: string }>,
  files: readonly TerraformFile[],
): string {
  for (const match of expression.matchAll(/\blocal\.([A-Za-z_][\w-]*)/g)) {
    const name = match[1]!;
    const source = localSources.get(name);
    const template = files.find((file) => file.file === source?.file && file.templateMissing !== undefined);
    if (!template) continue;
    const missing = template.templateMissing?.find((path) => path === name || path.startsWith(`${name}.`));
    if (missing) {
      return `; ${path.basename(template.file)} builds local.${name} from the template value "${missing}", which was not given (--template-values FILE or --template-value ${missing}.<environment>.<attribute>=VALUE)`;
    }
    return `; local.${name} comes from ${path.basename(template.file)}: check its template value "${name}" has this entry`;
  }
  return '';
}

/** Reads the variables: declared defaults, then TF_VAR_*, then the variables files in order. */
async function collectVariables(
  files: readonly TerraformFile[],
  varFiles: readonly string[],
  env: NodeJS.ProcessEnv,
  assignments: Readonly<Record<string, string>>,
): Promise<Map<string, TfValue>> {
  const variables = new Map<string, TfValue>();
  for (const file of files) {
    const declared = (file.json.variable ?? {}) as Record<string, Record<string, unknown>[]>;
    for (const [name, blocks] of Object.entries(declared)) {
      const block = blocks[0] ?? {};
      if ('default' in block) variables.set(name, block.default as TfValue);
      const fromEnv = env[`TF_VAR_${name}`];
      if (fromEnv !== undefined) variables.set(name, fromEnv);
    }
  }
  for (const varFile of varFiles) {
    for (const [name, value] of Object.entries(await readVariablesFile(varFile))) {
      variables.set(name, value as TfValue);
    }
  }
  // As `terraform plan -var`: a string as given; a collection written in HCL. Terraform refuses a
  // -var for a variable the configuration does not declare (a typo would otherwise go unnoticed).
  const declared = new Set(files.flatMap((file) => Object.keys(file.json.variable ?? {})));
  for (const name of Object.keys(assignments)) {
    if (!declared.has(name)) {
      const known = declared.size ? `declared: ${[...declared].sort().join(', ')}` : 'it declares none';
      throw new TerraformInputError(
        `--var ${name}: the configuration declares no variable "${name}" (${known})`,
      );
    }
  }
  for (const [name, text] of Object.entries(assignments)) {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const parsed = await parseHcl(`--var ${name}`, `value = ${trimmed}\n`);
      variables.set(name, parsed.value as TfValue);
    } else {
      variables.set(name, text);
    }
  }
  return variables;
}

/**
 * Imports every `aws_dynamodb_table_item` of the given `.tf` files or directories.
 *
 * - Interpolations are evaluated from the variables (files, `TF_VAR_*`, defaults), `locals`,
 *   static resource arguments and `each.*`; anything else becomes a readable placeholder
 *   (`placeholders.ts`) and is reported in `placeholders`.
 * - `for_each` is expanded when its collection is known: one item per instance, addressed
 *   `name["key"]`, in Terraform's key order. When it is not, the resource is kept as ONE item with
 *   `each.*` placeholders, `_for_each` (the expression) and `_note` (what was not known and why).
 * - `count = 0` leaves a resource out; `count = n` gives `name[0]`…`name[n-1]` with `count.index`.
 * - Items come out in file order (files in the order given, directories sorted by name).
 */
export async function importRoutingItems(
  inputs: readonly string[],
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { files, autoVarFiles } = await readTerraformFiles(inputs, options.templateValues ?? {});
  const varFiles = [
    ...(options.autoLoadVarFiles === false ? [] : autoVarFiles),
    ...(options.varFiles ?? []).map((file) => path.resolve(file)),
  ];
  const variables = await collectVariables(
    files,
    varFiles,
    options.env ?? process.env,
    options.variables ?? {},
  );
  const workspace = options.workspace ?? 'default';

  const localSources = new Map<string, { value: unknown; file: string }>();
  const resources = new Map<string, Record<string, unknown>>();
  for (const file of files) {
    for (const block of (file.json.locals ?? []) as Record<string, unknown>[]) {
      for (const [name, value] of Object.entries(block)) localSources.set(name, { value, file: file.file });
    }
    for (const [type, byName] of Object.entries(
      (file.json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>[]>>,
    )) {
      for (const [name, blocks] of Object.entries(byName)) resources.set(`${type}.${name}`, blocks[0] ?? {});
    }
  }

  // Locals are evaluated on first use and remembered; evaluation is sequential, so a local met
  // again while it is being evaluated refers to itself.
  const localValues = new Map<string, TfValue>();
  const evaluating = new Set<string>();
  const baseContext = (file: string): EvaluationContext => ({
    file: path.basename(file),
    variables,
    workspace,
    resource: (type, name) => resources.get(`${type}.${name}`),
    local: async (name) => {
      if (localValues.has(name)) return localValues.get(name);
      const source = localSources.get(name);
      if (!source) return undefined;
      if (evaluating.has(name)) return new Unresolved(`local.${name}`, 'refers to itself', kebab(name));
      evaluating.add(name);
      try {
        const value = await evaluateParsedValue(source.value, baseContext(source.file));
        localValues.set(name, value);
        return value;
      } finally {
        evaluating.delete(name);
      }
    },
  });

  const items: ImportedItem[] = [];
  const placeholders: PlaceholderUse[] = [];
  const skipped: { address: string; reason: string }[] = [];

  for (const file of files) {
    const ordered = resourcesOf(file, ITEM_RESOURCE)
      .map(([name, args]) => {
        const at = typeof args.item === 'string' ? file.text.indexOf(args.item) : -1;
        return { name, args, at: at < 0 ? Number.MAX_SAFE_INTEGER : at };
      })
      .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
    for (const { name, args } of ordered) {
      const context = baseContext(file.file);
      const instances: { address: string; each?: EachBinding; scope?: Map<string, TfValue> }[] = [];
      let forEachSource: string | undefined;
      let forEachReason: string | undefined;

      if (args.count !== undefined) {
        const count = await evaluateParsedValue(args.count, context);
        if (typeof count === 'number') {
          if (count === 0) skipped.push({ address: name, reason: 'count = 0' });
          for (let index = 0; index < count; index++) {
            instances.push({
              address: count === 1 ? name : `${name}[${index}]`,
              scope: new Map([['count', { index }]]),
            });
          }
        } else instances.push({ address: name });
      } else if (typeof args.for_each === 'string') {
        forEachSource = expressionSource(args.for_each);
        const collection = await evaluateExpression(forEachSource, context);
        if (collection instanceof Unresolved) {
          const shape = forEachShape(await parseExpression(forEachSource, context.file)) ?? {
            collection: name,
          };
          forEachReason = `for_each over ${shape.reference ?? shape.collection} is not resolvable (${collection.expression}: ${collection.reason})`;
          instances.push({ address: name, each: { kind: 'unresolved', shape, reason: collection.reason } });
        } else {
          const entries: [string, TfValue][] = Array.isArray(collection)
            ? collection.map((element) => [toTemplateString(element, forEachSource ?? ''), element])
            : isObject(collection)
              ? Object.entries(collection)
              : [];
          entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          if (entries.length === 0) skipped.push({ address: name, reason: 'for_each is empty' });
          for (const [key, value] of entries) {
            instances.push({
              address: `${name}[${JSON.stringify(key)}]`,
              each: { kind: 'instance', key, value },
            });
          }
          forEachSource = undefined;
        }
      } else {
        instances.push({ address: name });
      }

      for (const instance of instances) {
        const instanceContext: EvaluationContext = { ...context, each: instance.each, scope: instance.scope };
        const evaluated = await evaluateItem(
          args.item,
          instanceContext,
          `${path.basename(file.file)}: ${instance.address}`,
        );
        const table = await evaluateParsedValue(args.table_name ?? '', instanceContext);
        for (const use of evaluated.placeholders) {
          placeholders.push({
            address: instance.address,
            expression: use.expression,
            placeholder: use.placeholder,
            reason: use.reason + templateHint(use.expression, localSources, files),
          });
        }
        const item: Record<string, unknown> = { _resource: instance.address, ...evaluated.item };
        if (forEachSource !== undefined) {
          const eachUses = evaluated.placeholders.filter((use) => use.expression.startsWith('each.'));
          const unique = [...new Map(eachUses.map((use) => [use.expression, use])).values()];
          const booleans = evaluated.booleanStrings;
          item._for_each = forEachSource;
          item._note =
            `${forEachReason}, so it is kept as ONE entry. Placeholders: ` +
            unique.map((use) => `${use.expression} -> ${JSON.stringify(use.placeholder)}`).join(', ') +
            (booleans.length
              ? `. Boolean-typed attributes holding a placeholder string: ${booleans.join(', ')}`
              : '');
        }
        items.push({
          address: instance.address,
          file: file.file,
          table: table instanceof Unresolved ? table.placeholder : String(table),
          item,
        });
      }
    }
  }
  return {
    items,
    placeholders,
    skipped,
    files: files.map((f) => f.file),
    varFiles,
    templates: files
      .filter((file) => file.templateMissing !== undefined)
      .map((file) => ({ file: file.file, missing: file.templateMissing ?? [] })),
  };
}
