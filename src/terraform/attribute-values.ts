/**
 * DynamoDB attribute-value JSON (`{"S": "x"}`, `{"BOOL": true}`, `{"N": "1"}`, …) → plain values,
 * the item format of `config/rules/routing-items.json`.
 *
 * Type names are matched case-insensitively: the original Terraform writes `{"bool": true}` in lower
 * case, which worked because Terraform's provider decodes JSON field names case-insensitively
 * (behaviour §2.4). A value whose type does not fit (`{"bool": "x"}`) is kept as it is — a placeholder
 * string in a boolean column stays a string, and the egress schema reports the item as invalid
 * rather than the converter guessing.
 */

/** An attribute value that cannot be converted; `path` names the attribute (`decrypt`, `tags.L[2]`). */
export class AttributeValueError extends Error {
  override readonly name = 'AttributeValueError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS'] as const;
type AttributeType = (typeof TYPES)[number];

function typeOf(name: string): AttributeType | undefined {
  return TYPES.find((type) => type === name.toUpperCase());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toNumber(value: unknown, path: string): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  // Keep what cannot be a number (an unresolved placeholder) for the schema to report.
  if (typeof value === 'string') return value;
  throw new AttributeValueError(path, `N must hold a number, got ${JSON.stringify(value)}`);
}

/** Converts one attribute value. */
export function fromAttributeValue(value: unknown, path: string): unknown {
  if (!isRecord(value)) {
    throw new AttributeValueError(
      path,
      `expected an attribute value such as {"S": "…"}, got ${JSON.stringify(value)}`,
    );
  }
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    throw new AttributeValueError(
      path,
      `an attribute value has exactly one type key, got ${entries.length ? entries.map(([k]) => k).join(', ') : 'none'}`,
    );
  }
  const [name, inner] = entries[0]!;
  const type = typeOf(name);
  switch (type) {
    case 'S':
    case 'B':
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'N':
      return toNumber(inner, path);
    case 'L':
      if (!Array.isArray(inner)) throw new AttributeValueError(path, 'L must hold a list');
      return inner.map((element, index) => fromAttributeValue(element, `${path}[${index}]`));
    case 'M':
      if (!isRecord(inner)) throw new AttributeValueError(path, 'M must hold an object');
      return fromAttributeValues(inner, `${path}.`);
    case 'SS':
    case 'BS':
    case 'NS':
      if (!Array.isArray(inner)) throw new AttributeValueError(path, `${type} must hold a list`);
      return type === 'NS' ? inner.map((n, index) => toNumber(n, `${path}[${index}]`)) : [...inner];
    default:
      throw new AttributeValueError(path, `unknown attribute type ${JSON.stringify(name)}`);
  }
}

/** Converts an item (`{"name": {"S": "x"}, …}`), keeping the attribute order. */
export function fromAttributeValues(item: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item))
    result[name] = fromAttributeValue(value, `${prefix}${name}`);
  return result;
}
