import type { DateStamps } from '../egress/plan/dates.ts';
import type { RoutingItemRecord } from '../rule-tools/items.ts';
import { listRules } from '../rule-tools/list.ts';
import { splitReason, validateItems } from '../rule-tools/validate.ts';
import type { LastMatch } from './rule-activity.ts';

/*
 * The dashboard's rules panel: every item of the live table as the service sees it — valid or
 * not (with each column at fault), its warnings (a column it does not read, with the near miss),
 * whether it is invalid on purpose (the demo's), and when it last matched a flag. Pure.
 */

/** One rule of the panel. */
export interface RuleView {
  readonly pipeline: string;
  readonly sourcePrefix: string;
  readonly recipient: string;
  readonly type: string;
  readonly source: string;
  readonly destination: string;
  readonly flags: readonly string[];
  /** `valid`; `invalid` (takes no action); `demonstration` (invalid on purpose, the demo's). */
  readonly status: 'valid' | 'invalid' | 'demonstration';
  /** Why the service rejects it, column by column. */
  readonly problems: readonly { readonly field: string; readonly message: string }[];
  /** What it accepts but is probably not meant (an unknown column, with the near miss). */
  readonly warnings: readonly { readonly field: string; readonly message: string }[];
  readonly demonstration?: string | undefined;
  readonly lastMatch?: LastMatch | undefined;
}

export interface RulesViewContext {
  readonly stamps: DateStamps;
  readonly lastMatch: (key: { sourcePrefix: unknown; pipelineName: unknown }) => LastMatch | undefined;
  readonly demonstration: (key: { sourcePrefix: unknown; pipelineName: unknown }) => string | undefined;
}

/** Every rule, invalid ones first (then by source, as `egress routes list` orders them). */
export function rulesView(records: readonly RoutingItemRecord[], context: RulesViewContext): RuleView[] {
  const byLabel = new Map(records.map((record) => [record.label, record]));
  const warnings = new Map(
    validateItems(records, context.stamps).warnings.map((finding) => [finding.label, finding.problems]),
  );
  const views = listRules([...records]).map((row): RuleView => {
    const item = byLabel.get(row.label)?.item ?? {};
    const key = { sourcePrefix: item.source_prefix, pipelineName: item.pipeline_name };
    const demonstration = row.valid ? undefined : context.demonstration(key);
    return {
      pipeline: row.pipeline,
      sourcePrefix: typeof item.source_prefix === 'string' ? item.source_prefix : String(item.source_prefix),
      recipient: row.recipient,
      type: row.type,
      source: row.source,
      destination: row.destination,
      flags: row.flags.filter((flag) => flag !== 'INVALID'),
      status: row.valid ? 'valid' : demonstration ? 'demonstration' : 'invalid',
      problems: row.reason ? splitReason(row.reason) : [],
      warnings: warnings.get(row.label) ?? [],
      ...(demonstration ? { demonstration } : {}),
      lastMatch: context.lastMatch(key),
    };
  });
  const rank = { invalid: 0, demonstration: 1, valid: 2 } as const;
  return views
    .map((view, index) => ({ view, index }))
    .sort((a, b) => rank[a.view.status] - rank[b.view.status] || a.index - b.index)
    .map(({ view }) => view);
}
