import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import { TerraformSyntaxError } from './evaluate.ts';

/*
 * Terraform files kept as Jinja templates (`terraform.tf.j2`): the original renders them with the
 * values of a secret (`bootstrap_terraform.py`) before Terraform runs, and defines several locals
 * there — the per-environment destination buckets and role ARNs among them. The import renders
 * them the same way, with the template values it is given (@huggingface/jinja, a maintained Jinja
 * implementation), and then reads them as HCL like any `.tf` file.
 *
 * A value the template loops over (`{% for env, v in opsmi.items() %}`) and that was not given
 * renders as an empty loop, not an error: the locals built from it are then empty maps, and every
 * item that needs them keeps a placeholder, reported with the template value to give.
 */

export type TemplateValues = Record<string, unknown>;

export interface RenderedTemplate {
  readonly text: string;
  /** Dotted paths the template loops over that had no value (`opsmi`, `terraform`…). */
  readonly missing: string[];
}

/** Names bound by the template's `for` loops (`for key, value in …`). */
function loopVariablesOf(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/\{%-?\s*for\s+([\w\s,]+?)\s+in\b/g)].flatMap((match) =>
      match[1]!.split(',').map((name) => name.trim()),
    ),
  );
}

/** `a.b.items()` template values the template iterates over (not loop variables), as dotted paths. */
function loopedCollections(text: string): string[] {
  const loopVariables = loopVariablesOf(text);
  const paths = [...text.matchAll(/\{%-?\s*for\b[^%]*?\bin\s+([A-Za-z_][\w.]*?)\.items\(\)/g)]
    .map((match) => match[1]!)
    .filter((path) => !loopVariables.has(path.split('.')[0]!));
  return [...new Set(paths)];
}

/** `{{ a.b }}` references to template values (not to loop variables), as dotted paths. */
function referencedPaths(text: string): string[] {
  const loopVariables = loopVariablesOf(text);
  const paths = [...text.matchAll(/\{\{-?\s*([A-Za-z_][\w.]*)\s*-?\}\}/g)]
    .map((match) => match[1]!)
    .filter((path) => !loopVariables.has(path.split('.')[0]!));
  return [...new Set(paths)];
}

function lookup(values: TemplateValues, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => {
    if (typeof value !== 'object' || value === null) return undefined;
    return (value as Record<string, unknown>)[key];
  }, values);
}

/** Sets `dotted` in a copy-on-write manner inside `values` (creating objects on the way). */
function assign(values: TemplateValues, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let current: Record<string, unknown> = values;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

/** One `--template-value` assignment, read: the dotted path and the value (a string, as given). */
export interface TemplateValueAssignment {
  readonly path: string;
  readonly value: string;
}

/**
 * Reads `opsmi.development.bucket_name=x` (a `--template-value`).
 *
 * @throws TerraformSyntaxError when it is not `path.to.name=value`
 */
export function parseTemplateValue(assignment: string): TemplateValueAssignment {
  const equals = assignment.indexOf('=');
  const dotted = assignment.slice(0, equals).trim();
  if (equals <= 0 || !/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(dotted)) {
    throw new TerraformSyntaxError(
      `--template-value ${JSON.stringify(assignment)}: expected path.to.name=value`,
    );
  }
  return { path: dotted, value: assignment.slice(equals + 1) };
}

/** Sets an assignment's path in `values`, creating the objects on the way. */
export function assignTemplateValue(values: TemplateValues, assignment: TemplateValueAssignment): void {
  assign(values, assignment.path, assignment.value);
}

/** `opsmi.development.bucket_name=x` → sets that path (repeatable `--template-value`). */
export function setTemplateValue(values: TemplateValues, assignment: string): void {
  assignTemplateValue(values, parseTemplateValue(assignment));
}

/**
 * Renders a Jinja-templated Terraform file with `values`. Looped collections without a value loop
 * over nothing and `{{ x }}` without a value renders empty; both are reported in `missing`.
 *
 * @throws TerraformSyntaxError naming the file when the template does not parse or render
 */
export function renderTerraformTemplate(
  file: string,
  text: string,
  values: TemplateValues,
): RenderedTemplate {
  const context: TemplateValues = structuredClone(values);
  const missing: string[] = [];
  for (const path of loopedCollections(text)) {
    if (lookup(context, path) === undefined) {
      missing.push(path);
      assign(context, path, {});
    }
  }
  for (const path of referencedPaths(text)) {
    if (lookup(context, path) === undefined) {
      missing.push(path);
      assign(context, path, '');
    }
  }
  try {
    // Jinja2's defaults, as bootstrap_terraform.py renders: no trim_blocks / lstrip_blocks (the
    // library's Template turns both on, which joins HCL lines); the final newline dropped.
    const program = parse(tokenize(text, { trim_blocks: false, lstrip_blocks: false }));
    const environment = new Environment();
    for (const [name, value] of Object.entries(context)) environment.set(name, value);
    const rendered = new Interpreter(environment).run(program).value as string;
    return { text: rendered, missing };
  } catch (error) {
    throw new TerraformSyntaxError(
      `${file}: the Jinja template does not render: ${(error as Error).message}`,
    );
  }
}
