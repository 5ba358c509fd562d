import { dateStamps } from '../../../src/egress/plan/dates.ts';
import { type ResolvedRule, resolveRule } from '../../../src/egress/rules/matching.ts';
import type { EgressRule } from '../../../src/egress/rules/rule.ts';
import { parseRoutingItem } from '../../../src/egress/rules/schema.ts';

/** A routing item in document form with the columns every test needs. */
export function routingItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_prefix: 'source/prefix/',
    pipeline_name: 'TEST',
    recipient_name: 'recipient',
    transfer_type: 'S3',
    source_bucket: 'source',
    destination_bucket: 'destination',
    destination_prefix: 'out/',
    ...overrides,
  };
}

/** Parses an item that the test expects to be valid. */
export function ruleFrom(overrides: Record<string, unknown> = {}): EgressRule {
  const result = parseRoutingItem(routingItem(overrides));
  if (!result.ok) throw new Error(`test rule is invalid: ${result.invalid.reason}`);
  return result.rule;
}

/** 2021-09-01 12:34:56 UTC, the date of the worked examples in docs/reference/egress-behaviour.md. */
export const SPEC_NOW = new Date('2021-09-01T12:34:56Z');
export const SPEC_STAMPS = dateStamps(SPEC_NOW, 'UTC');

export function resolvedFrom(overrides: Record<string, unknown> = {}, now: Date = SPEC_NOW): ResolvedRule {
  return resolveRule(ruleFrom(overrides), dateStamps(now, 'UTC'));
}
