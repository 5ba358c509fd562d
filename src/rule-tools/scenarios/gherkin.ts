import { s3Url } from '../../egress/plan/locations.ts';
import { destinationKeyPrefix } from '../../egress/plan/naming.ts';
import type { EgressRule } from '../../egress/rules/rule.ts';
import { ruleBadges } from '../list.ts';
import {
  arrivalCell,
  manifestCell,
  renderArrival,
  renderControlContent,
  renderDataContent,
  renderManifestContent,
} from './cells.ts';
import type { DeliveryRow, RuleScenario, RuleSetPlan } from './expectations.ts';

/*
 * Renders a rule set's plan as a Gherkin feature: a Background that loads the rules and publishes
 * every sample and flag at once, then one scenario per item with the table of what it delivers.
 * The step texts here are the ones steps/rule_set_steps.ts defines.
 */

/** The words of the steps, shared with their definitions. */
export const RULE_SET_STEPS = {
  rulesFrom: 'the routing rules from {string}',
  rulesFromAllowingInvalid: 'the routing rules from {string}, allowing invalid rules',
  publish: "every rule's sample is published, then the flags that fire them",
  delivers: 'the rule {string} for {string} delivers, after the flag {string}:',
  fails: 'the rule {string} for {string} fails, after the flag {string}, and its message is kept for retry:',
  invalid: 'the item {string} for {string} is reported invalid and ignored:',
  invalidWithFlag:
    'the item {string} for {string} is reported invalid and ignored, and the flag {string} ends as {string}:',
} as const;

/** Table headers of a delivery table. */
export const DELIVERY_COLUMNS = {
  file: 'file',
  writtenTo: 'written to',
  arrivesAt: 'arrives at',
  content: 'content',
} as const;

/** What the `file` column says for the completion files. */
export const COMPLETION_FILE_NAMES = { control: 'control file', manifest: 'manifest' } as const;

/** Options of {@link renderRuleSetFeature}. */
export interface FeatureOptions {
  /** The rules file as the Background names it (relative to where cucumber runs, or absolute). */
  readonly rulesPath: string;
  /** The command that regenerates the feature, for its header. */
  readonly command: string;
}

/** A Gherkin string argument: `"…"` with `"` and `\` escaped. */
function quoted(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** Fills a step text's `{string}` slots in order. */
function step(template: string, ...values: string[]): string {
  let index = 0;
  return template.replaceAll('{string}', () => quoted(values[index++] ?? ''));
}

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', '\\n');
}

/** Rewrites the text of a line or cell before layout (the generator puts date placeholders in). */
type Rewrite = (text: string) => string;

/** A Gherkin table, columns padded to line up. */
function table(rows: readonly (readonly string[])[], indent: string, rewrite: Rewrite): string[] {
  const escaped = rows.map((row) => row.map((text) => cell(rewrite(text))));
  const widths = escaped[0]!.map((_, column) =>
    Math.max(...escaped.map((row) => [...(row[column] ?? '')].length)),
  );
  return escaped.map(
    (row) =>
      `${indent}| ${row.map((text, column) => text + ' '.repeat(widths[column]! - [...text].length)).join(' | ')} |`,
  );
}

function destinationOf(rule: EgressRule): string {
  return rule.transferType === 'SFT'
    ? `SFT ${rule.destinationPrefix}`
    : s3Url(rule.destinationBucket ?? '', destinationKeyPrefix(rule.destinationPrefix));
}

function titleOf(scenario: Extract<RuleScenario, { kind: 'delivers' }>): string {
  const { rule } = scenario;
  const badges = ruleBadges(rule);
  return (
    `Rule ${scenario.index}: ${rule.key.pipelineName} (${rule.transferType}) sends ` +
    `${s3Url(rule.sourceBucket, rule.key.sourcePrefix)} to ${destinationOf(rule)}` +
    `${rule.recipientName ? ` for ${rule.recipientName}` : ''}${badges.length ? ` [${badges.join(', ')}]` : ''}`
  );
}

function fileColumn(row: DeliveryRow): string {
  if (row.kind === 'data' || row.kind === 'data-fails') return row.sourceKey;
  return COMPLETION_FILE_NAMES[row.kind];
}

function contentColumn(row: DeliveryRow, transferType: 'S3' | 'SFT'): string {
  switch (row.kind) {
    case 'data':
      return renderDataContent(row.content);
    case 'data-fails':
      return renderDataContent({ fails: row.reason });
    case 'control':
      return renderControlContent(row.entries);
    case 'manifest':
      return renderManifestContent(manifestCell(row.manifest, transferType));
  }
}

function writtenColumn(row: DeliveryRow): string {
  if (row.kind === 'data-fails') return 'nothing';
  return row.written.transferType === 'SFT' ? row.written.path : renderArrival(arrivalCell(row.arrival));
}

function deliveryTable(scenario: Extract<RuleScenario, { kind: 'delivers' }>, rewrite: Rewrite): string[] {
  const sft = scenario.rule.transferType === 'SFT';
  const header = [
    DELIVERY_COLUMNS.file,
    ...(sft ? [DELIVERY_COLUMNS.writtenTo] : []),
    DELIVERY_COLUMNS.arrivesAt,
    DELIVERY_COLUMNS.content,
  ];
  const rows = scenario.rows.map((row) => [
    fileColumn(row),
    ...(sft ? [writtenColumn(row)] : []),
    row.kind === 'data-fails' ? 'nothing' : renderArrival(arrivalCell(row.arrival)),
    contentColumn(row, scenario.rule.transferType),
  ]);
  return table([header, ...rows], '      ', rewrite);
}

function comment(scenario: RuleScenario): string {
  return `  # ${scenario.record.label}${scenario.record.resource ? ` [${scenario.record.resource}]` : ''}`;
}

function renderScenario(scenario: RuleScenario, rewrite: Rewrite): string[] {
  const item = scenario.record.item;
  if (scenario.kind === 'untestable') {
    return [
      rewrite(
        `${comment(scenario)}: ${String(item.pipeline_name)} ${JSON.stringify(item.source_prefix)} has no scenario: ${scenario.reason}`,
      ),
    ];
  }
  if (scenario.kind === 'invalid') {
    const name = String(item.pipeline_name);
    const prefix = String(item.source_prefix);
    const then =
      scenario.sample && scenario.flagVerdict
        ? step(RULE_SET_STEPS.invalidWithFlag, name, prefix, scenario.sample.flagKey, scenario.flagVerdict)
        : step(RULE_SET_STEPS.invalid, name, prefix);
    return [
      ...[
        comment(scenario),
        `  Scenario: Item ${scenario.index}: ${name} ${JSON.stringify(prefix)} is invalid, so it is reported and takes no action`,
        `    Then ${then}`,
      ].map(rewrite),
      ...table(
        [['column', 'problem'], ...scenario.problems.map((problem) => [problem.field, problem.message])],
        '      ',
        rewrite,
      ),
    ];
  }
  const { rule, sample } = scenario;
  const template = scenario.outcome === 'fails' ? RULE_SET_STEPS.fails : RULE_SET_STEPS.delivers;
  const lines = [
    comment(scenario),
    `  Scenario: ${titleOf(scenario)}`,
    `    Then ${step(template, rule.key.pipelineName, rule.key.sourcePrefix, sample.flagKey)}`,
  ].map(rewrite);
  if (scenario.rows.length === 0) {
    // Nothing listed (another rule's flag cannot make it send anything either): an empty table is
    // not Gherkin, so one row says so and the step checks that nothing of the rule was written.
    lines.push(...table([[DELIVERY_COLUMNS.file], ['nothing']], '      ', rewrite));
  } else {
    lines.push(...deliveryTable(scenario, rewrite));
  }
  return lines;
}

/**
 * The feature text of a planned rule set. `rewrite` changes every line and table cell before the
 * tables are laid out (`generateRuleSetFeature` puts the date placeholders in with it).
 */
export function renderRuleSetFeature(
  plan: RuleSetPlan,
  options: FeatureOptions,
  rewrite: Rewrite = (text) => text,
): string {
  const invalid = plan.scenarios.some((scenario) => scenario.kind === 'invalid');
  const rulesStep = step(
    invalid ? RULE_SET_STEPS.rulesFromAllowingInvalid : RULE_SET_STEPS.rulesFrom,
    options.rulesPath,
  );
  const counts = {
    delivers: plan.scenarios.filter((s) => s.kind === 'delivers').length,
    invalid: plan.scenarios.filter((s) => s.kind === 'invalid').length,
    untestable: plan.scenarios.filter((s) => s.kind === 'untestable').length,
  };
  const lines = [
    `# Generated by \`${options.command}\` — do not edit by hand: regenerate it when the rules change.`,
    `# ${plan.scenarios.length} items: ${counts.delivers} rules with a delivery scenario, ${counts.invalid} invalid, ${counts.untestable} without a scenario.`,
    '# <today>, <ymd> and <hhmmss> stand for the day and time the pipeline processes the flags (yyyy-MM-dd,',
    '# yyyyMMdd, HHmmss). Rule N / Item N is the item at index N of the file.',
    '@rule-set',
    `Feature: Every routing rule of ${options.rulesPath} delivers what it promises`,
    '  Each rule gets a sample object under the prefix it lists on the day of the run: an HTME-encrypted',
    '  file for a rule that decrypts or re-wraps, a plain one otherwise. Every sample is published first,',
    '  then every flag that fires them, all at once, so rules that share a prefix fire together and send',
    "  each other's samples, as the service does. Each scenario then checks one rule: every file it sends",
    '  arrives where the rule says (in the destination bucket, or through the SFT agent and the stub NiFi',
    '  in stub-hdfs), with the bytes checked: decrypted with the test’s keys, decompressed, and compared',
    "  with the sample. The expectations come from the egress service's own planning (`egress routes",
    '  explain`). The steps put every key under bdd-<run>/ in its bucket, so runs never see each other.',
    '',
    '  Background:',
    `    Given ${rulesStep}`,
    `    When ${RULE_SET_STEPS.publish}`,
  ].map(rewrite);
  for (const scenario of plan.scenarios) lines.push('', ...renderScenario(scenario, rewrite));
  return `${lines.join('\n')}\n`;
}
