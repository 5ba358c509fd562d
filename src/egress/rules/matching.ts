import type { DateStamps } from '../plan/dates.ts';
import { expandAllDatePlaceholders, expandSourcePrefix } from '../plan/placeholders.ts';
import { describeRuleKey, type EgressRule, type InvalidRule } from './rule.ts';

/**
 * A rule made concrete for one message: its date placeholders expanded with that message's single
 * "now". `sourcePrefix` is what the original called the specification's `sourcePrefix` — the
 * listed prefix, the `source_prefix` metric label and the input for the manifest's data product.
 */
export interface ResolvedRule {
  readonly rule: EgressRule;
  /** `source_prefix` with `$TODAYS_DATE` expanded and one trailing `*` removed. */
  readonly sourcePrefix: string;
  /** `destination_prefix` with all three date placeholders expanded (a trailing `*` stays). */
  readonly destinationPrefix: string;
  readonly stamps: DateStamps;
}

/**
 * Behaviour §2.2 steps 2–3: every `$TODAYS_DATE` → `yyyy-MM-dd`, then ONE trailing `*` removed; a `*`
 * anywhere else stays literal.
 */
export function resolveSourcePrefix(pattern: string, stamps: DateStamps): string {
  const expanded = expandSourcePrefix(pattern, stamps);
  return expanded.endsWith('*') ? expanded.slice(0, -1) : expanded;
}

/** Behaviour §2.2 step 4: a plain, case-sensitive prefix test — no glob, no regex. */
export function sourcePrefixMatches(resolvedSourcePrefix: string, flagKey: string): boolean {
  return flagKey.startsWith(resolvedSourcePrefix);
}

export function resolveRule(rule: EgressRule, stamps: DateStamps): ResolvedRule {
  return {
    rule,
    sourcePrefix: resolveSourcePrefix(rule.key.sourcePrefix, stamps),
    destinationPrefix: expandAllDatePlaceholders(rule.destinationPrefix, stamps),
    stamps,
  };
}

/**
 * The rules a flag key fires, in scan order. Overlapping rules all fire, and `""` or `*` match
 * every key, exactly as in the original.
 */
export function matchRules(
  rules: readonly EgressRule[],
  flagKey: string,
  stamps: DateStamps,
): ResolvedRule[] {
  // Only the source prefix decides a match; the rest of a rule is expanded for the ones that fire.
  return rules
    .filter((rule) => sourcePrefixMatches(resolveSourcePrefix(rule.key.sourcePrefix, stamps), flagKey))
    .map((rule) => resolveRule(rule, stamps));
}

/** What the flags of one message fire: see {@link matchFlags}. */
export interface FlagMatches {
  /** The rules to run, each ONCE even when several flags match it, in order of first match. */
  readonly rules: readonly ResolvedRule[];
  /** Flags that no valid rule matches: the service warns and sends nothing for them. */
  readonly unmatchedFlags: readonly string[];
  /** Invalid items whose prefix matches a flag: reported, never run (docs/reference/contracts.md#strict-rule-items). */
  readonly invalidMatches: readonly { readonly flagKey: string; readonly invalid: InvalidRule }[];
}

/**
 * The routing decision for one message (behaviour §1.4 with the fixes of §10): every flag key is
 * matched against every rule with the message's single `stamps`; a rule matched by several flags
 * runs once (the original ran it once per key); invalid items that would have matched are named.
 */
export function matchFlags(
  ruleSet: { readonly rules: readonly EgressRule[]; readonly invalid: readonly InvalidRule[] },
  flagKeys: readonly string[],
  stamps: DateStamps,
): FlagMatches {
  const matched = new Map<string, ResolvedRule>();
  const unmatchedFlags: string[] = [];
  const invalidMatches: { flagKey: string; invalid: InvalidRule }[] = [];
  for (const flagKey of flagKeys) {
    const rules = matchRules(ruleSet.rules, flagKey, stamps);
    for (const invalid of ruleSet.invalid) {
      if (
        typeof invalid.key.sourcePrefix === 'string' &&
        sourcePrefixMatches(resolveSourcePrefix(invalid.key.sourcePrefix, stamps), flagKey)
      ) {
        invalidMatches.push({ flagKey, invalid });
      }
    }
    if (rules.length === 0) unmatchedFlags.push(flagKey);
    for (const resolved of rules) matched.set(describeRuleKey(resolved.rule.key), resolved);
  }
  return { rules: [...matched.values()], unmatchedFlags, invalidMatches };
}
