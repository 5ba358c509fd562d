import { describe, expect, it } from 'vitest';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import {
  matchFlags,
  matchRules,
  resolveSourcePrefix,
  sourcePrefixMatches,
} from '../../src/egress/rules/matching.ts';
import { ruleFrom, SPEC_STAMPS } from './support/rules.ts';

describe('matching a flag key to rules (behaviour §2.2, today 2021-09-01)', () => {
  it.each([
    // [rule source_prefix, after substitution, flag key, match?]  — the worked examples of behaviour §2.2
    [
      'dataegress/cbol-report/$TODAYS_DATE/*',
      'dataegress/cbol-report/2021-09-01/',
      'dataegress/cbol-report/2021-09-01/pipeline_success.flag',
      true,
    ],
    [
      'source/prefix/$TODAYS_DATE/',
      'source/prefix/2021-09-01/',
      'source/prefix/2021-09-01/pipeline_success.flag',
      true,
    ],
    ['today/$TODAYS_DATE', 'today/2021-09-01', 'today/2021-09-01/pipeline_success.flag', true],
    [
      'collections/$TODAYS_DATE/incremental/database.collection5-',
      'collections/2021-09-01/incremental/database.collection5-',
      'collections/2021-09-01/incremental/database.collection5-pipeline_success.flag',
      true,
    ],
    ['opsmi/', 'opsmi/', 'opsmi/anything/pipeline_success.flag', true],
    [
      'dataegress/cbol-report/$TODAYS_DATE/*',
      'dataegress/cbol-report/2021-09-01/',
      'dataegress/cbol-report/2021-08-31/pipeline_success.flag',
      false,
    ],
    // Edge cases of the same rules.
    ['*', '', 'anything/pipeline_success.flag', true],
    ['', '', 'anything/pipeline_success.flag', true],
    ['a/**', 'a/*', 'a/x/pipeline_success.flag', false], // only ONE trailing * is removed
    ['a/**', 'a/*', 'a/*/pipeline_success.flag', true],
    ['a/*/b/', 'a/*/b/', 'a/x/b/pipeline_success.flag', false], // * elsewhere is literal
    ['Opsmi/', 'Opsmi/', 'opsmi/x/pipeline_success.flag', false], // case-sensitive
    [
      'x/$TODAYS_DATE/$TODAYS_DATE/',
      'x/2021-09-01/2021-09-01/',
      'x/2021-09-01/2021-09-01/pipeline_success.flag',
      true,
    ],
    [
      'x/$TODAYS_YYYYMMDD_FORMATTED_DATE/',
      'x/$TODAYS_YYYYMMDD_FORMATTED_DATE/',
      'x/20210901/pipeline_success.flag',
      false,
    ],
    [
      'collections/$TODAYS_DATE/incremental/database.collection5',
      'collections/2021-09-01/incremental/database.collection5',
      'collections/2021-09-01/incremental/database.collection50-pipeline_success.flag',
      true, // a plain prefix test: collection50 starts with collection5
    ],
    [
      'collections/$TODAYS_DATE/incremental/database.collection5-',
      'collections/2021-09-01/incremental/database.collection5-',
      'collections/2021-09-01/incremental/database.collection50-pipeline_success.flag',
      false, // …which the trailing '-' of the deployed rules prevents
    ],
  ])('rule %j → %j; flag %j matches: %s', (pattern, resolved, flagKey, matches) => {
    expect(resolveSourcePrefix(pattern, SPEC_STAMPS)).toBe(resolved);
    expect(sourcePrefixMatches(resolved, flagKey)).toBe(matches);
  });

  it('fires every overlapping rule, in scan order, including #sft rows', () => {
    const rules = [
      ruleFrom({ source_prefix: 'dataegress/ers/', pipeline_name: 'ERS' }),
      ruleFrom({ source_prefix: 'dataegress/ers/', pipeline_name: 'ERS#sft', transfer_type: 'SFT' }),
      ruleFrom({ source_prefix: 'dataegress/', pipeline_name: 'ALL' }),
      ruleFrom({ source_prefix: 'dataegress/other/', pipeline_name: 'OTHER' }),
    ];
    const matched = matchRules(rules, 'dataegress/ers/x/pipeline_success.flag', SPEC_STAMPS);
    expect(matched.map((resolved) => resolved.rule.key.pipelineName)).toEqual(['ERS', 'ERS#sft', 'ALL']);
  });

  it('resolves prefixes with the message time, and the destination with all three placeholders', () => {
    const rules = [
      ruleFrom({
        source_prefix: 'collections/$TODAYS_DATE/incremental/database.collection5-',
        destination_prefix:
          'd/$TODAYS_DATE/$TODAYS_YYYYMMDD_FORMATTED_DATE/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE/',
      }),
    ];
    const stamps = dateStamps(new Date('2021-09-01T07:08:09Z'), 'UTC');
    const [resolved] = matchRules(
      rules,
      'collections/2021-09-01/incremental/database.collection5-pipeline_success.flag',
      stamps,
    );
    expect(resolved?.sourcePrefix).toBe('collections/2021-09-01/incremental/database.collection5-');
    expect(resolved?.destinationPrefix).toBe('d/2021-09-01/20210901/20210901_070809/');
  });

  it('a flag that arrives after midnight no longer matches a dated rule', () => {
    const rules = [ruleFrom({ source_prefix: 'dataegress/cbol-report/$TODAYS_DATE/*' })];
    const nextDay = dateStamps(new Date('2021-09-02T00:00:01Z'), 'UTC');
    expect(matchRules(rules, 'dataegress/cbol-report/2021-09-01/pipeline_success.flag', nextDay)).toEqual([]);
  });
});

describe('matchFlags: the routing decision for one message', () => {
  const rules = [
    ruleFrom({ source_prefix: 'dataegress/ers/', pipeline_name: 'ERS' }),
    ruleFrom({ source_prefix: 'dataegress/', pipeline_name: 'ALL' }),
    ruleFrom({ source_prefix: 'other/', pipeline_name: 'OTHER' }),
  ];
  const invalid = [
    {
      key: { sourcePrefix: 'dataegress/ers/', pipelineName: 'BROKEN' },
      reason: 'decrypt: expected a boolean',
    },
    { key: { sourcePrefix: 42, pipelineName: 'NO_PREFIX' }, reason: 'source_prefix: expected a string' },
  ];

  it.each([
    {
      what: 'one flag, overlapping rules',
      flags: ['dataegress/ers/x/pipeline_success.flag'],
      rules: ['ERS', 'ALL'],
      unmatched: [],
      invalid: ['dataegress/ers/x/pipeline_success.flag BROKEN'],
    },
    {
      what: 'two flags firing the same rule: it runs once, in first-match order',
      flags: ['dataegress/a/pipeline_success.flag', 'dataegress/ers/pipeline_success.flag'],
      rules: ['ALL', 'ERS'],
      unmatched: [],
      invalid: ['dataegress/ers/pipeline_success.flag BROKEN'],
    },
    {
      what: 'a flag no rule matches is named; the others still fire',
      flags: ['nowhere/pipeline_success.flag', 'other/pipeline_success.flag'],
      rules: ['OTHER'],
      unmatched: ['nowhere/pipeline_success.flag'],
      invalid: [],
    },
  ])('$what', (row) => {
    const decided = matchFlags({ rules, invalid }, row.flags, SPEC_STAMPS);
    expect(decided.rules.map((resolved) => resolved.rule.key.pipelineName)).toEqual(row.rules);
    expect(decided.unmatchedFlags).toEqual(row.unmatched);
    expect(decided.invalidMatches.map((m) => `${m.flagKey} ${String(m.invalid.key.pipelineName)}`)).toEqual(
      row.invalid,
    );
  });
});
