import { getExpressionAst, type TFExpressionSyntaxTree } from '@cdktf/hcl2json';
import { callFunction } from './functions.ts';
import { type ForEachShape, placeholderFor, type TraversalStep } from './placeholders.ts';
import { findUnresolved, isObject, type TfValue, toTemplateString, Unresolved } from './values.ts';

/*
 * A small evaluator for the Terraform expressions routing items use, over the syntax tree of the
 * maintained HCL parser (@cdktf/hcl2json, HashiCorp's HCL compiled to WebAssembly): templates,
 * `var.*`, `local.*`, `each.*`, static attributes of resources in the same files, indexes, for
 * expressions, conditionals, operators and the common functions. What cannot be known here
 * (remote state, data sources, secrets, unset variables) evaluates to an {@link Unresolved} that
 * carries a readable placeholder instead of failing.
 */

type Ast = TFExpressionSyntaxTree.ExpressionType;

/** An HCL expression or file that does not parse; names the file. */
export class TerraformSyntaxError extends Error {
  override readonly name = 'TerraformSyntaxError';
}

/** The for_each instance an expression is evaluated for. */
export type EachBinding =
  | { readonly kind: 'instance'; readonly key: TfValue; readonly value: TfValue }
  | { readonly kind: 'unresolved'; readonly shape: ForEachShape; readonly reason: string };

/** Everything an expression can refer to. */
export interface EvaluationContext {
  /** File the expression comes from, for messages. */
  readonly file: string;
  /** `var.<name>`: the variables file over the declared defaults. */
  readonly variables: ReadonlyMap<string, TfValue>;
  /** `local.<name>`, evaluated lazily (and memoised) by the caller. */
  readonly local: (name: string) => Promise<TfValue | undefined>;
  /** A resource's arguments as parsed (`aws_dynamodb_table.data_egress`), for static attribute references. */
  readonly resource: (type: string, name: string) => Record<string, unknown> | undefined;
  /** `terraform.workspace`, when known. */
  readonly workspace?: string | undefined;
  readonly each?: EachBinding | undefined;
  /** Variables of enclosing for expressions. */
  readonly scope?: ReadonlyMap<string, TfValue> | undefined;
  /** Called for every placeholder used, so the import can report them. */
  readonly onUnresolved?: ((unresolved: Unresolved) => void) | undefined;
}

/** Parses one expression with the HCL parser. */
export async function parseExpression(source: string, file: string): Promise<Ast> {
  try {
    const ast = await getExpressionAst(file, source);
    if (!ast) throw new Error('empty expression');
    return ast;
  } catch (error) {
    throw new TerraformSyntaxError(
      `${file}: cannot parse ${JSON.stringify(source.slice(0, 120))}: ${(error as Error).message}`,
    );
  }
}

const HEREDOC = 'EGRESS_IMPORT_EOT';

/** Wraps a template text (as hcl2json returns it: `${…}` kept) in a heredoc the parser accepts. */
export function heredocSource(text: string): string {
  if (text.split('\n').some((line) => line.trim() === HEREDOC)) {
    throw new TerraformSyntaxError(`a template contains the line ${HEREDOC}`);
  }
  return `<<${HEREDOC}\n${text}${text.endsWith('\n') ? '' : '\n'}${HEREDOC}\n`;
}

/** Heredoc literal text: only `$${` and `%%{` are escapes. */
function decodeHeredocLiteral(raw: string): string {
  return raw.replaceAll('$${', '${').replaceAll('%%{', '%{');
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Quoted-string literal text as written in the source: backslash escapes, then `$${` and `%%{`. */
function decodeQuotedLiteral(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = raw[i + 1] ?? '';
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
    } else if (next === 'u' || next === 'U') {
      const length = next === 'u' ? 4 : 8;
      out += String.fromCodePoint(Number.parseInt(raw.slice(i + 2, i + 2 + length), 16));
      i += 1 + length;
    } else {
      out += char;
    }
  }
  return decodeHeredocLiteral(out);
}

function sourceText(source: Buffer, node: { range: TFExpressionSyntaxTree.CodeRange }): string {
  return source.subarray(node.range.start.byte, node.range.end.byte).toString('utf8');
}

function meta<T>(node: Ast): T {
  return (node as unknown as { meta: T }).meta;
}

function stepsOf(traversal: readonly TFExpressionSyntaxTree.TerraformTraversalPart[]): TraversalStep[] {
  return traversal.map((part) => ({
    kind: part.type === 'indexTraversal' ? 'index' : 'name',
    segment: part.segment,
  }));
}

function indexKey(segment: string): string | number {
  if (segment.startsWith('"')) return JSON.parse(segment) as string;
  const number = Number(segment);
  return Number.isNaN(number) ? segment : number;
}

function index(collection: TfValue, key: TfValue, expression: string): TfValue {
  if (collection instanceof Unresolved) return collection;
  if (key instanceof Unresolved) return key;
  if (Array.isArray(collection) && typeof key === 'number') {
    return collection[key] ?? new Unresolved(expression, `index ${key} is out of range`, expression);
  }
  if (isObject(collection) && (typeof key === 'string' || typeof key === 'number')) {
    const value = collection[String(key)];
    if (value !== undefined) return value;
    return new Unresolved(expression, `no element ${JSON.stringify(key)}`, expression);
  }
  return new Unresolved(
    expression,
    `cannot index ${typeof collection} with ${JSON.stringify(key)}`,
    expression,
  );
}

/** The steps of a pure reference (`a.b[x].c`), or `undefined` for any other expression. */
function referenceSteps(node: Ast): TraversalStep[] | undefined {
  if (node.type === 'scopeTraversal') {
    return stepsOf(meta<TFExpressionSyntaxTree.ScopeTraversalExpressionMeta>(node).traversal);
  }
  if (node.type === 'relativeTraversal') {
    const base = node.children[0] ? referenceSteps(node.children[0]) : undefined;
    const own = stepsOf(meta<TFExpressionSyntaxTree.RelativeTraversalExpressionMeta>(node).traversal);
    return base ? [...base, ...own] : undefined;
  }
  if (node.type === 'index') {
    const base = node.children[0] ? referenceSteps(node.children[0]) : undefined;
    return base ? [...base, { kind: 'index', segment: '*' }] : undefined;
  }
  return undefined;
}

/** Evaluates `${…}`-bearing strings (and structures) as hcl2json returns non-static values. */
export async function evaluateParsedValue(value: unknown, context: EvaluationContext): Promise<TfValue> {
  if (typeof value === 'string') {
    return value.includes('${') || value.includes('%{') ? evaluateTemplateText(value, context) : value;
  }
  if (Array.isArray(value)) {
    const out: TfValue[] = [];
    for (const element of value) out.push(await evaluateParsedValue(element, context));
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: { [key: string]: TfValue } = {};
    for (const [key, element] of Object.entries(value))
      out[key] = await evaluateParsedValue(element, context);
    return out;
  }
  return value as TfValue;
}

/** One piece of a template: literal text, or an interpolated value with its source. */
export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'value'; readonly value: TfValue; readonly expression: string };

/**
 * Evaluates a template text into its pieces, without joining them (the item import needs to know
 * where each interpolation stands in the JSON text). The heredoc's closing newline is dropped when
 * the text had none.
 */
export async function templateParts(text: string, context: EvaluationContext): Promise<TemplatePart[]> {
  const wrapped = heredocSource(text);
  const ast = await parseExpression(wrapped, context.file);
  const source = Buffer.from(wrapped, 'utf8');
  const parts: TemplatePart[] = [];
  for (const child of ast.children) {
    if (child.type === 'literalValue') {
      parts.push({ kind: 'literal', text: decodeHeredocLiteral(meta<{ value: string }>(child).value) });
    } else {
      const expression = sourceText(source, child);
      let value = await evaluate(child, source, context);
      // A reference that cannot be known is named after the WHOLE reference
      // (`local.opsmi[local.environment].bucket_name` → opsmi-bucket-name), not after the inner
      // part that failed (`var.environment`).
      const steps = referenceSteps(child);
      if (value instanceof Unresolved && steps) {
        const shape = context.each?.kind === 'unresolved' ? context.each.shape : undefined;
        value = new Unresolved(expression, value.reason, placeholderFor(steps, shape));
      }
      parts.push({ kind: 'value', value, expression });
    }
  }
  if (!text.endsWith('\n')) {
    const last = parts.at(-1);
    if (last?.kind === 'literal' && last.text.endsWith('\n')) {
      parts[parts.length - 1] = { kind: 'literal', text: last.text.slice(0, -1) };
    }
  }
  return parts.filter((part) => part.kind !== 'literal' || part.text !== '');
}

/** A template text's value: a lone `${x}` keeps x's type (as Terraform does), otherwise a string. */
export async function evaluateTemplateText(text: string, context: EvaluationContext): Promise<TfValue> {
  const parts = await templateParts(text, context);
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'value' && text.startsWith('${') && text.endsWith('}')) {
    return only.value;
  }
  let out = '';
  for (const part of parts) {
    if (part.kind === 'literal') out += part.text;
    else if (part.value instanceof Unresolved) return part.value;
    else out += toTemplateString(part.value, part.expression);
  }
  return out;
}

/** Evaluates an expression's source text (`nonsensitive({ for … })`, without `${}`). */
export async function evaluateExpression(expression: string, context: EvaluationContext): Promise<TfValue> {
  const ast = await parseExpression(expression, context.file);
  return evaluate(ast, Buffer.from(expression, 'utf8'), context);
}

async function resolveTraversal(
  steps: readonly TraversalStep[],
  expression: string,
  context: EvaluationContext,
): Promise<TfValue> {
  const [root, ...rest] = steps;
  const unresolved = (reason: string, forEach?: ForEachShape) => {
    const value = new Unresolved(expression, reason, placeholderFor(steps, forEach));
    context.onUnresolved?.(value);
    return value;
  };
  let current: TfValue | undefined;
  let remaining = rest;
  const name = root?.segment ?? '';
  if (context.scope?.has(name)) {
    current = context.scope.get(name);
  } else if (name === 'var') {
    const variable = rest[0]?.segment ?? '';
    current = context.variables.get(variable);
    if (current === undefined)
      return unresolved(`variable ${variable} has no value (give it in the variables file)`);
    remaining = rest.slice(1);
  } else if (name === 'local') {
    const local = rest[0]?.segment ?? '';
    current = await context.local(local);
    if (current === undefined) return unresolved(`local.${local} is not defined`);
    remaining = rest.slice(1);
  } else if (name === 'each') {
    const each = context.each;
    if (!each) return unresolved('each is only defined inside a for_each resource');
    if (each.kind === 'unresolved') return unresolved(each.reason, each.shape);
    const which = rest[0]?.segment;
    current = which === 'key' ? each.key : which === 'value' ? each.value : undefined;
    if (current === undefined) return unresolved(`each.${which} does not exist`);
    remaining = rest.slice(1);
  } else if (name === 'terraform' && rest[0]?.segment === 'workspace') {
    if (context.workspace === undefined) return unresolved('terraform.workspace is not known (--workspace)');
    return context.workspace;
  } else if (name === 'data') {
    return unresolved('data sources are only known at plan time');
  } else if (name === 'module' || name === 'path' || name === 'count' || name === 'self') {
    return unresolved(`${name}.* is not evaluated by the import`);
  } else {
    const resourceName = rest[0]?.segment ?? '';
    const resource = context.resource(name, resourceName);
    const attribute = rest[1]?.segment;
    const raw = resource && attribute !== undefined ? resource[attribute] : undefined;
    if (raw === undefined)
      return unresolved(`${name}.${resourceName}.${attribute ?? ''} is only known after apply`);
    current = await evaluateParsedValue(raw, context);
    remaining = rest.slice(2);
  }
  for (const step of remaining) {
    if (current instanceof Unresolved) return current;
    const key = step.kind === 'index' ? indexKey(step.segment) : step.segment;
    current = index(current as TfValue, key, expression);
    if (current instanceof Unresolved) context.onUnresolved?.(current);
  }
  return current as TfValue;
}

async function evaluateFor(node: Ast, source: Buffer, context: EvaluationContext): Promise<TfValue> {
  const info = meta<TFExpressionSyntaxTree.ForExpressionMeta>(node);
  const [collectionNode, ...rest] = node.children;
  const keyNode = info.keyExpression ? rest.shift() : undefined;
  const valueNode = rest.shift();
  const conditionNode = info.conditionalExpression ? rest.shift() : undefined;
  if (!collectionNode || !valueNode)
    return new Unresolved(info.value, 'malformed for expression', info.value);
  const collection = await evaluate(collectionNode, source, context);
  if (collection instanceof Unresolved) return collection;
  const entries: [TfValue, TfValue][] = Array.isArray(collection)
    ? collection.map((element, position) => [position, element])
    : isObject(collection)
      ? Object.entries(collection)
      : [];
  const asObject = info.openRangeValue === '{';
  const list: TfValue[] = [];
  const object: { [key: string]: TfValue } = {};
  for (const [key, value] of entries) {
    const scope = new Map(context.scope ?? []);
    if (info.keyVar) scope.set(info.keyVar, key);
    scope.set(info.valVar, value);
    const inner = { ...context, scope };
    if (conditionNode) {
      const keep = await evaluate(conditionNode, source, inner);
      if (keep instanceof Unresolved) return keep;
      if (keep !== true) continue;
    }
    const result = await evaluate(valueNode, source, inner);
    if (!asObject) {
      list.push(result);
      continue;
    }
    const objectKey = keyNode ? await evaluate(keyNode, source, inner) : key;
    if (objectKey instanceof Unresolved) return objectKey;
    object[toTemplateString(objectKey, info.keyExpression)] = result;
  }
  return asObject ? object : list;
}

async function evaluateObject(node: Ast, source: Buffer, context: EvaluationContext): Promise<TfValue> {
  const out: { [key: string]: TfValue } = {};
  for (let i = 0; i + 1 < node.children.length; i += 2) {
    const keyNode = node.children[i]!;
    const valueNode = node.children[i + 1]!;
    const text = sourceText(source, keyNode);
    const before = source.subarray(keyNode.range.start.byte - 1, keyNode.range.start.byte).toString('utf8');
    let key: TfValue;
    if (before === '"') key = decodeQuotedLiteral(text);
    else if (before === '(') key = await evaluateExpression(text, context);
    else key = text;
    if (key instanceof Unresolved) return key;
    out[toTemplateString(key, text)] = await evaluate(valueNode, source, context);
  }
  return out;
}

const BINARY: Record<string, (a: TfValue, b: TfValue) => TfValue> = {
  equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  notEqual: (a, b) => JSON.stringify(a) !== JSON.stringify(b),
  logicalAnd: (a, b) => a === true && b === true,
  logicalOr: (a, b) => a === true || b === true,
  lessThan: (a, b) => Number(a) < Number(b),
  lessThanOrEqual: (a, b) => Number(a) <= Number(b),
  greaterThan: (a, b) => Number(a) > Number(b),
  greaterThanOrEqual: (a, b) => Number(a) >= Number(b),
  add: (a, b) => Number(a) + Number(b),
  subtract: (a, b) => Number(a) - Number(b),
  multiply: (a, b) => Number(a) * Number(b),
  divide: (a, b) => Number(a) / Number(b),
  modulo: (a, b) => Number(a) % Number(b),
};

/** Evaluates one node. `source` is the text the node's ranges point into. */
export async function evaluate(node: Ast, source: Buffer, context: EvaluationContext): Promise<TfValue> {
  const expression = sourceText(source, node);
  switch (node.type) {
    case 'literalValue': {
      const literal = meta<TFExpressionSyntaxTree.LiteralValueExpressionMeta>(node);
      if (literal.type === 'number') return Number(literal.value);
      if (literal.type === 'bool') return literal.value === 'true';
      if (literal.value === 'null') return null;
      return literal.value;
    }
    case 'template': {
      const quoted = meta<{ value: string }>(node).value.startsWith('"');
      let out = '';
      for (const child of node.children) {
        if (child.type === 'literalValue') {
          const raw = meta<{ value: string }>(child).value;
          out += quoted ? decodeQuotedLiteral(raw) : decodeHeredocLiteral(raw);
          continue;
        }
        const value = await evaluate(child, source, context);
        if (value instanceof Unresolved) return value;
        out += toTemplateString(value, sourceText(source, child));
      }
      return out;
    }
    case 'templateWrap':
      return node.children[0] ? evaluate(node.children[0], source, context) : '';
    case 'tuple': {
      const out: TfValue[] = [];
      for (const child of node.children) out.push(await evaluate(child, source, context));
      return out;
    }
    case 'object':
      return evaluateObject(node, source, context);
    case 'scopeTraversal':
      return resolveTraversal(
        stepsOf(meta<TFExpressionSyntaxTree.ScopeTraversalExpressionMeta>(node).traversal),
        expression,
        context,
      );
    case 'relativeTraversal': {
      let current = node.children[0] ? await evaluate(node.children[0], source, context) : null;
      for (const step of stepsOf(
        meta<TFExpressionSyntaxTree.RelativeTraversalExpressionMeta>(node).traversal,
      )) {
        current = index(current, step.kind === 'index' ? indexKey(step.segment) : step.segment, expression);
      }
      return current;
    }
    case 'index': {
      const [collection, key] = node.children;
      if (!collection || !key) return new Unresolved(expression, 'malformed index', expression);
      return index(
        await evaluate(collection, source, context),
        await evaluate(key, source, context),
        expression,
      );
    }
    case 'splat': {
      const [from, each] = node.children;
      const list = from ? await evaluate(from, source, context) : null;
      if (list instanceof Unresolved) return list;
      const elements = Array.isArray(list) ? list : list === null ? [] : [list];
      const steps =
        each?.type === 'relativeTraversal'
          ? stepsOf(meta<TFExpressionSyntaxTree.RelativeTraversalExpressionMeta>(each).traversal)
          : [];
      return elements.map((element) =>
        steps.reduce<TfValue>(
          (value, step) =>
            index(value, step.kind === 'index' ? indexKey(step.segment) : step.segment, expression),
          element,
        ),
      );
    }
    case 'function': {
      const args: TfValue[] = [];
      for (const child of node.children) args.push(await evaluate(child, source, context));
      const unresolvedArgument = args.map(findUnresolved).find(Boolean);
      const name = meta<TFExpressionSyntaxTree.FunctionCallMeta>(node).name;
      if (unresolvedArgument && name !== 'coalesce' && name !== 'try') return unresolvedArgument;
      return callFunction(name, args, expression);
    }
    case 'conditional': {
      const [condition, whenTrue, whenFalse] = node.children;
      const test = condition ? await evaluate(condition, source, context) : null;
      if (test instanceof Unresolved) return test;
      const chosen = test === true ? whenTrue : whenFalse;
      return chosen ? evaluate(chosen, source, context) : null;
    }
    case 'unaryOp': {
      const value = node.children[0] ? await evaluate(node.children[0], source, context) : null;
      if (value instanceof Unresolved) return value;
      const operator = meta<TFExpressionSyntaxTree.UnaryOpExpressionMeta>(node).operator;
      return operator === 'logicalNot' ? value !== true : -Number(value);
    }
    case 'binaryOp': {
      const [left, right] = node.children;
      const a = left ? await evaluate(left, source, context) : null;
      const b = right ? await evaluate(right, source, context) : null;
      if (a instanceof Unresolved) return a;
      if (b instanceof Unresolved) return b;
      const operator = meta<TFExpressionSyntaxTree.BinaryOpExpressionMeta>(node).operator;
      const apply = BINARY[operator];
      return apply
        ? apply(a, b)
        : new Unresolved(expression, `operator ${operator} is not evaluated`, expression);
    }
    case 'for':
      return evaluateFor(node, source, context);
    default: {
      // Parentheses parse as an untyped node around their content.
      const other = node as { type: string; children: Ast[] };
      const [only] = other.children;
      if (only && other.children.length === 1) return evaluate(only, source, context);
      return new Unresolved(
        expression,
        `expression type ${JSON.stringify(other.type)} is not evaluated`,
        expression,
      );
    }
  }
}

/**
 * What a for_each iterates, read from its syntax without evaluating it: the innermost collection
 * reference through wrapper functions and for expressions (`nonsensitive({ for c in local.x : … })`
 * → collection `x`, value variable `c`). Used to name placeholders when it cannot be resolved.
 */
export function forEachShape(node: Ast): ForEachShape | undefined {
  if (node.type === 'for') {
    const info = meta<TFExpressionSyntaxTree.ForExpressionMeta>(node);
    const inner = node.children[0] ? forEachShape(node.children[0]) : undefined;
    return inner ? { ...inner, valueVariable: info.valVar } : undefined;
  }
  if (node.type === 'scopeTraversal') {
    const steps = stepsOf(meta<TFExpressionSyntaxTree.ScopeTraversalExpressionMeta>(node).traversal);
    const names = steps.filter((step) => step.kind === 'name').map((step) => step.segment);
    const collection = names[0] === 'var' || names[0] === 'local' ? names[1] : names.at(-1);
    return collection ? { collection, reference: meta<{ value: string }>(node).value } : undefined;
  }
  for (const child of node.children) {
    const shape = forEachShape(child);
    if (shape) return shape;
  }
  return undefined;
}
