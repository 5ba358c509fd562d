import { type DateStamps, dateStamps } from '../../egress/plan/dates.ts';
import type { SftContext } from '../explain.ts';
import type { RoutingItemRecord } from '../items.ts';
import { planRuleSet } from './expectations.ts';
import { type FeatureOptions, renderRuleSetFeature } from './gherkin.ts';

/*
 * `egress routes scenarios`: a feature that holds on any day. The rule set is planned for two far
 * apart instants and every rendering of each instant's date is replaced by a placeholder the steps
 * expand at run time (`<today>`, `<ymd>`, `<hhmmss>`); if the two texts still differ, some date
 * reached the text in a form the placeholders cannot express, and the generator says so rather
 * than writing a feature that only passes on one day.
 */

/** The rules cannot be written as a feature that holds on every day. */
export class RuleSetGenerationError extends Error {
  override readonly name = 'RuleSetGenerationError';
}

/** The placeholders of a generated feature. */
export const DATE_PLACEHOLDERS = { isoDate: '<today>', compactDate: '<ymd>', time: '<hhmmss>' } as const;

/** Two instants whose renderings occur nowhere else: different years, months, days and clock times. */
const PROBE_INSTANTS = [new Date('2091-03-17T22:47:53Z'), new Date('2093-11-05T05:06:07Z')] as const;

/** Replaces every rendering of `stamps` in `text` with the feature's placeholders. */
export function templateDates(text: string, stamps: DateStamps): string {
  return text
    .replaceAll(stamps.compactDateTime, `${DATE_PLACEHOLDERS.compactDate}_${DATE_PLACEHOLDERS.time}`)
    .replaceAll(stamps.isoDate, DATE_PLACEHOLDERS.isoDate)
    .replaceAll(stamps.compactDate, DATE_PLACEHOLDERS.compactDate);
}

/**
 * The day's values of `<today>` and `<ymd>` in a feature's text (`<hhmmss>` stays: it is the time
 * the pipeline processed the flag, which only the delivered key tells).
 */
export function expandDatePlaceholders(text: string, stamps: DateStamps): string {
  return text
    .replaceAll(DATE_PLACEHOLDERS.isoDate, stamps.isoDate)
    .replaceAll(DATE_PLACEHOLDERS.compactDate, stamps.compactDate);
}

/** A generated feature and how many scenarios of each kind it has. */
export interface GeneratedFeature {
  readonly text: string;
  /** Items with a delivery scenario, invalid items (reported and ignored), items without one. */
  readonly counts: { readonly delivers: number; readonly invalid: number; readonly untestable: number };
}

/** The feature of a rule set, valid on any day. */
export function generateRuleSetFeature(
  records: readonly RoutingItemRecord[],
  sft: SftContext,
  options: FeatureOptions,
): GeneratedFeature {
  const plans = PROBE_INSTANTS.map((instant) => {
    const stamps = dateStamps(instant, 'UTC');
    return { stamps, plan: planRuleSet(records, stamps, sft) };
  });
  const [first, second] = plans.map(({ stamps, plan }) =>
    renderRuleSetFeature(plan, options, (text) => templateDates(text, stamps)),
  );
  if (first !== second) {
    const a = first!.split('\n');
    const b = second!.split('\n');
    const line = a.findIndex((text, index) => text !== b[index]);
    throw new RuleSetGenerationError(
      `the expectations depend on the day in a way the placeholders <today>, <ymd> and <hhmmss> cannot express (line ${line + 1}: ${JSON.stringify(a[line])} on one day, ${JSON.stringify(b[line])} on another)`,
    );
  }
  const count = (kind: string) =>
    plans[0]!.plan.scenarios.filter((scenario) => scenario.kind === kind).length;
  return {
    text: first!,
    counts: { delivers: count('delivers'), invalid: count('invalid'), untestable: count('untestable') },
  };
}
