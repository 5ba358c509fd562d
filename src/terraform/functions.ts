import path from 'node:path';
import { isObject, type TfValue, toTemplateString, Unresolved } from './values.ts';

/*
 * The Terraform functions the import evaluates — the common ones of configuration code. Anything
 * else evaluates to an Unresolved value whose reason names the function, never to a guess.
 */

type Fn = (args: TfValue[], expression: string) => TfValue;

const str = (value: TfValue | undefined, expression: string): string =>
  toTemplateString(value ?? '', expression);

function list(value: TfValue | undefined): TfValue[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  return value === undefined || value === null ? [] : [value];
}

function distinct(values: TfValue[]): TfValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** RFC 4180-ish CSV with a header row → list of objects (Terraform `csvdecode`). */
function csvDecode(text: string): TfValue[] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header = [], ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, column) => [name, cells[column] ?? ''])));
}

function format(spec: string, args: TfValue[], expression: string): string {
  let next = 0;
  return spec.replace(/%(%|[-+ #0-9.]*[svdqft])/g, (match, verb: string) => {
    if (verb === '%') return '%';
    const value = args[next++];
    if (verb.endsWith('q')) return JSON.stringify(str(value, expression));
    if (verb.endsWith('d')) return String(Math.trunc(Number(value)));
    return typeof value === 'string' ? value : JSON.stringify(value ?? match);
  });
}

const FUNCTIONS: Record<string, Fn> = {
  nonsensitive: ([value]) => value ?? null,
  sensitive: ([value]) => value ?? null,
  tostring: ([value], e) => (value === null ? null : str(value, e)),
  tonumber: ([value]) => (value === null ? null : Number(value)),
  tobool: ([value]) => (value === null ? null : value === true || value === 'true'),
  tolist: ([value]) => list(value),
  toset: ([value]) => distinct(list(value)),
  tomap: ([value]) => value ?? null,
  lower: ([value], e) => str(value, e).toLowerCase(),
  upper: ([value], e) => str(value, e).toUpperCase(),
  trimspace: ([value], e) => str(value, e).trim(),
  trimprefix: ([value, prefix], e) => {
    const text = str(value, e);
    const cut = str(prefix, e);
    return text.startsWith(cut) ? text.slice(cut.length) : text;
  },
  trimsuffix: ([value, suffix], e) => {
    const text = str(value, e);
    const cut = str(suffix, e);
    return cut && text.endsWith(cut) ? text.slice(0, -cut.length) : text;
  },
  join: ([separator, ...lists], e) =>
    lists
      .flatMap(list)
      .map((v) => str(v, e))
      .join(str(separator, e)),
  split: ([separator, value], e) => str(value, e).split(str(separator, e)),
  replace: ([value, search, replacement], e) => {
    const pattern = str(search, e);
    if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) {
      return str(value, e).replace(new RegExp(pattern.slice(1, -1), 'g'), str(replacement, e));
    }
    return str(value, e).replaceAll(pattern, str(replacement, e));
  },
  substr: ([value, offset, length], e) => {
    const text = str(value, e);
    const start = Number(offset);
    const count = Number(length);
    return count < 0 ? text.slice(start) : text.slice(start, start + count);
  },
  format: ([spec, ...args], e) => format(str(spec, e), args, e),
  concat: (lists) => lists.flatMap(list),
  flatten: ([value]) => list(value).flatMap((element) => (Array.isArray(element) ? element : [element])),
  distinct: ([value]) => distinct(list(value)),
  merge: (maps) => Object.assign({}, ...maps.filter(isObject)),
  lookup: ([map, key, fallback], e) => {
    const found = isObject(map) ? map[str(key, e)] : undefined;
    return found !== undefined
      ? found
      : fallback !== undefined
        ? fallback
        : new Unresolved(e, 'no such key', e);
  },
  element: ([value, position]) => {
    const elements = list(value);
    return elements.length ? (elements[Number(position) % elements.length] ?? null) : null;
  },
  length: ([value]) =>
    typeof value === 'string'
      ? [...value].length
      : isObject(value)
        ? Object.keys(value).length
        : list(value).length,
  keys: ([value]) => (isObject(value) ? Object.keys(value).sort() : []),
  values: ([value]) =>
    isObject(value)
      ? Object.keys(value)
          .sort()
          .map((key) => value[key]!)
      : [],
  contains: ([value, wanted]) =>
    list(value).some((element) => JSON.stringify(element) === JSON.stringify(wanted)),
  coalesce: (args) =>
    args.find((value) => value !== null && value !== '' && !(value instanceof Unresolved)) ?? null,
  try: (args) => args.find((value) => !(value instanceof Unresolved)) ?? args[0] ?? null,
  jsonencode: ([value]) => JSON.stringify(value),
  jsondecode: ([value], e) => JSON.parse(str(value, e)) as TfValue,
  base64encode: ([value], e) => Buffer.from(str(value, e), 'utf8').toString('base64'),
  base64decode: ([value], e) => Buffer.from(str(value, e), 'base64').toString('utf8'),
  csvdecode: ([value], e) => csvDecode(str(value, e)),
  basename: ([value], e) => path.posix.basename(str(value, e)),
  dirname: ([value], e) => path.posix.dirname(str(value, e)),
};

/** Calls a Terraform function; an unknown one is Unresolved with a reason naming it. */
export function callFunction(name: string, args: TfValue[], expression: string): TfValue {
  const fn = FUNCTIONS[name];
  if (!fn) return new Unresolved(expression, `function ${name}() is not evaluated by the import`, expression);
  try {
    return fn(args, expression);
  } catch (error) {
    return new Unresolved(expression, `${name}() failed: ${(error as Error).message}`, expression);
  }
}

/** The names of the functions {@link callFunction} evaluates (documented in docs/routes.md). */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS).sort();
