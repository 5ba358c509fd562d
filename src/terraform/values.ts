/**
 * Values of the Terraform subset the import evaluates: JSON-like data, plus {@link Unresolved} for
 * anything only known at plan or apply time (remote state, data sources, secrets) or not given.
 */

/** A value the import cannot know; it carries the readable placeholder that stands in for it. */
export class Unresolved {
  constructor(
    /** The expression as written (`data.terraform_remote_state.common.outputs.published_bucket.id`). */
    readonly expression: string,
    /** Why it cannot be known (`data sources are only known at plan time`). */
    readonly reason: string,
    /** The readable stand-in (`published-bucket`), see `placeholders.ts`. */
    readonly placeholder: string,
  ) {}
}

export type TfValue = string | number | boolean | null | TfValue[] | { [key: string]: TfValue } | Unresolved;

export function isUnresolved(value: unknown): value is Unresolved {
  return value instanceof Unresolved;
}

export function isObject(value: unknown): value is { [key: string]: TfValue } {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Unresolved)
  );
}

/** The first unresolved value inside `value` (deeply), if any. */
export function findUnresolved(value: TfValue): Unresolved | undefined {
  if (value instanceof Unresolved) return value;
  if (Array.isArray(value)) {
    for (const element of value) {
      const found = findUnresolved(element);
      if (found) return found;
    }
  } else if (isObject(value)) {
    for (const element of Object.values(value)) {
      const found = findUnresolved(element);
      if (found) return found;
    }
  }
  return undefined;
}

/** Terraform's string conversion for interpolation: strings as is, numbers and bools as text. */
export function toTemplateString(value: TfValue, expression: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(
    `${expression}: cannot interpolate ${value === null ? 'null' : 'a collection'} into a string`,
  );
}

/** `rtg_pdm_queries` → `rtg-pdm-queries`: the readable form placeholders use. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
