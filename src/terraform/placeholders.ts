import { kebab } from './values.ts';

/*
 * Readable placeholders for values the import cannot know — the same names the fixture
 * (config/rules/routing-items.json) uses, derived from the expression alone:
 *
 * | expression                                                   | placeholder                         |
 * |--------------------------------------------------------------|-------------------------------------|
 * | data.terraform_remote_state.<state>.outputs.<name>[.id|…]    | <name> in kebab case: published-bucket |
 * | data.<type>.<name>.<attribute>                                | <name>-<attribute>                  |
 * | each.value.<attribute> (for_each not resolvable)             | <collection>-<attribute>: rtg-pdm-queries-source-prefix |
 * | each.key / each.value (for_each not resolvable)              | the for expression's value variable, else <collection>: ris-collection |
 * | var.<name> / local.<name>[…].<attribute>                     | <name>-<attribute> (index keys left out) |
 * | anything else                                                | the names of the expression, joined |
 *
 * `<collection>` is the local or variable the for_each iterates (`local.rtg_pdm_queries`), found
 * inside wrappers such as `nonsensitive(toset([for x in local.y : x]))`.
 */

/** One step of a traversal: `.name` or `[index]`. */
export interface TraversalStep {
  readonly kind: 'name' | 'index';
  readonly segment: string;
}

/** What a for_each that could not be resolved iterates, for `each.*` placeholders. */
export interface ForEachShape {
  /** `rtg_pdm_queries` for `local.rtg_pdm_queries`. */
  readonly collection: string;
  /** The value variable of a for expression (`ris_collection`), when there is one. */
  readonly valueVariable?: string | undefined;
  /** The collection as written (`local.rtg_pdm_queries`). */
  readonly reference?: string | undefined;
}

function names(steps: readonly TraversalStep[]): string[] {
  return steps.filter((step) => step.kind === 'name').map((step) => step.segment);
}

export function placeholderFor(steps: readonly TraversalStep[], forEach?: ForEachShape): string {
  const [root, ...rest] = names(steps);
  if (root === 'each' && forEach) {
    const [which, ...attributes] = rest;
    if (which === 'value' && attributes.length > 0) {
      return kebab([forEach.collection, ...attributes].join('_'));
    }
    return kebab(forEach.valueVariable ?? forEach.collection);
  }
  if (root === 'data' && rest[0] === 'terraform_remote_state') {
    const outputs = rest.indexOf('outputs');
    const output = outputs >= 0 ? rest[outputs + 1] : undefined;
    if (output) return kebab(output);
  }
  if (root === 'data' && rest.length >= 2) return kebab(rest.slice(1).join('_'));
  if ((root === 'var' || root === 'local') && rest.length > 0) return kebab(rest.join('_'));
  return kebab([root, ...rest].join('_')) || 'unresolved';
}
