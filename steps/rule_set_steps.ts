/**
 * A team's own rule set as Gherkin (docs/bdd.md, "Your own rule set"): load the rules from a file
 * with the loader `egress routes` uses, publish every rule's sample and flag in one wave, and check
 * each rule's deliveries on the bytes. The features these steps run are written by
 * `npx egress routes scenarios --rules FILE` (src/rule-tools/scenarios/); features/deployed-rules.feature
 * is the original deployment's 97 items.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { AfterAll, type DataTable, Given, Then, When } from '@cucumber/cucumber';
import { dateStamps } from '../src/egress/plan/dates.ts';
import { describeRuleKey } from '../src/egress/rules/rule.ts';
import {
  type LoadedRules,
  loadRules,
  type RoutingItemRecord,
  RuleSourceError,
  validateItems,
} from '../src/rule-tools/index.ts';
import {
  COMPLETION_FILE_NAMES,
  DELIVERY_COLUMNS,
  expandDatePlaceholders,
  type FlagVerdict,
  parseControlContent,
  parseDataContent,
  parseManifestContent,
  RULE_SET_STEPS,
  scopeSourceKey,
} from '../src/rule-tools/scenarios/index.ts';
import { waitFor } from '../src/util/wait.ts';
import type { PipelineEvent } from './support/pipeline-events.ts';
import {
  checkControlRow,
  checkDataRow,
  checkManifestRow,
  checkNothingElse,
  expectedWrite,
  flagOutcome,
  ruleCheck,
} from './support/rule-set/checks.ts';
import { type RuleSetWave, removeRuleSetWaves, ruleSetWave } from './support/rule-set/wave.ts';
import type { EgressWorld } from './support/world.ts';

interface RuleSet {
  readonly file: string;
  readonly records: readonly RoutingItemRecord[];
}

/** Read once per file and run (the Background repeats for every scenario). */
const loads = new Map<string, Promise<LoadedRules>>();

async function loadRuleSet(world: EgressWorld, file: string, allowInvalid: boolean): Promise<void> {
  const absolute = path.resolve(file);
  let loading = loads.get(absolute);
  if (!loading) {
    loading = loadRules({ rules: absolute });
    loads.set(absolute, loading);
  }
  let loaded: LoadedRules;
  try {
    loaded = await loading;
  } catch (error) {
    if (error instanceof RuleSourceError)
      throw new Error(`cannot read the routing rules from ${file}: ${error.message}`);
    throw error;
  }
  const report = validateItems(loaded.records, dateStamps(new Date(), process.env.TZ || 'UTC'));
  if (!allowInvalid && report.invalid.length > 0) {
    const items = report.invalid.map(
      (finding) =>
        `  ${finding.label} ${finding.rule} is invalid:\n${finding.problems.map((p) => `    ${p.field}: ${p.message}`).join('\n')}`,
    );
    throw new Error(
      `${report.invalid.length} of ${report.total} routing items in ${file} are invalid, so the service would report and ignore them:\n${items.join('\n')}\n` +
        `To test a rule set that has invalid items, say: Given the routing rules from "${file}", allowing invalid rules`,
    );
  }
  world.notes.set('ruleSet', { file, records: loaded.records } satisfies RuleSet);
}

Given(RULE_SET_STEPS.rulesFrom, async function (this: EgressWorld, file: string) {
  await loadRuleSet(this, file, false);
});

Given(RULE_SET_STEPS.rulesFromAllowingInvalid, async function (this: EgressWorld, file: string) {
  await loadRuleSet(this, file, true);
});

When(RULE_SET_STEPS.publish, { timeout: 300_000 }, async function (this: EgressWorld) {
  const ruleSet = this.notes.get('ruleSet') as RuleSet | undefined;
  assert.ok(ruleSet, 'load the rules first: Given the routing rules from "<file>"');
  const wave = await ruleSetWave(this.target, ruleSet.file, ruleSet.records);
  this.notes.set('ruleSetWave', wave);
  this.attach(
    `rule set ${ruleSet.file}: ${wave.samples.size} samples and ${wave.flags.length} flags under ${wave.scope}/, ` +
      `published at ${wave.flagsPublishedAt.toISOString()}; ${wave.outcomes.size} flag messages handled within ${(wave.waitedMs / 1000).toFixed(1)} s`,
    { mediaType: 'text/plain', fileName: 'rule-set-wave.txt' },
  );
});

function waveOf(world: EgressWorld): RuleSetWave {
  const wave = world.notes.get('ruleSetWave') as RuleSetWave | undefined;
  assert.ok(wave, `publish the samples first: When ${RULE_SET_STEPS.publish}`);
  return wave;
}

function labelOf(wave: RuleSetWave, pipeline: string, prefix: string): string {
  const record = [...wave.records]
    .reverse()
    .find((entry) => entry.item.pipeline_name === pipeline && entry.item.source_prefix === prefix);
  return record
    ? `${record.label}${record.resource ? ` [${record.resource}]` : ''}`
    : 'not in the rules file';
}

/** A rule's deliveries, row by row; every row is checked and every failing row is reported. */
async function checkRule(
  world: EgressWorld,
  pipeline: string,
  prefix: string,
  flagKey: string,
  table: DataTable,
  outcome: 'completes' | 'fails',
): Promise<void> {
  const wave = waveOf(world);
  const rule = wave.rules.get(describeRuleKey({ sourcePrefix: prefix, pipelineName: pipeline }));
  const label = labelOf(wave, pipeline, prefix);
  if (!rule) {
    throw new Error(
      `Rule ${pipeline} for ${JSON.stringify(prefix)}: the rules file has no valid rule with this key any more (${label}): the rules changed since the feature was generated, so regenerate it (npx egress routes scenarios)`,
    );
  }
  const check = ruleCheck(world.target, wave, rule, label);
  const { flag, outcome: handled } = flagOutcome(check, flagKey);
  const problems: string[] = [];
  if (outcome === 'fails' && handled.action !== 'retained') {
    problems.push(
      `${check.who}: the message of its flag s3://${flag.bucket}/${flag.key} should be kept for retry, but it was ${handled.action} as "${handled.reason}"`,
    );
  }
  const rows = table.hashes();
  const writes: string[] = [];
  for (const row of rows) {
    const file = row[DELIVERY_COLUMNS.file] ?? '';
    if (file === 'nothing') continue;
    const arrivesAt = row[DELIVERY_COLUMNS.arrivesAt] ?? '';
    const writtenTo = row[DELIVERY_COLUMNS.writtenTo];
    const content = row[DELIVERY_COLUMNS.content] ?? '';
    try {
      if (file === COMPLETION_FILE_NAMES.control) {
        await checkControlRow(check, { writtenTo, arrivesAt, entries: parseControlContent(content) });
      } else if (file === COMPLETION_FILE_NAMES.manifest) {
        await checkManifestRow(check, { writtenTo, arrivesAt, manifest: parseManifestContent(content) });
      } else {
        await checkDataRow(check, { file, writtenTo, arrivesAt, content: parseDataContent(content) });
      }
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (arrivesAt !== 'nothing') {
      const write = expectedWrite(check, { writtenTo, arrivesAt });
      if (write) writes.push(write);
    }
  }
  try {
    await checkNothingElse(check, writes);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

Then(
  RULE_SET_STEPS.delivers,
  { timeout: 180_000 },
  async function (this: EgressWorld, pipeline: string, prefix: string, flag: string, table: DataTable) {
    await checkRule(this, pipeline, prefix, flag, table, 'completes');
  },
);

Then(
  RULE_SET_STEPS.fails,
  { timeout: 180_000 },
  async function (this: EgressWorld, pipeline: string, prefix: string, flag: string, table: DataTable) {
    await checkRule(this, pipeline, prefix, flag, table, 'fails');
  },
);

/** An invalid item: reported with each problem, and no action taken under its key. */
async function checkInvalid(
  world: EgressWorld,
  pipeline: string,
  prefix: string,
  table: DataTable,
  flag?: { key: string; verdict: FlagVerdict },
): Promise<void> {
  const wave = waveOf(world);
  const who = `Item ${pipeline} for ${JSON.stringify(prefix)} (${labelOf(wave, pipeline, prefix)})`;
  if (wave.rules.has(describeRuleKey({ sourcePrefix: prefix, pipelineName: pipeline }))) {
    throw new Error(
      `${who}: the feature expects it to be invalid, but it is a valid rule now: the rules changed since the feature was generated, so regenerate it (npx egress routes scenarios)`,
    );
  }
  const scopedPrefix = scopeSourceKey(wave.scope, prefix);
  const problems = table
    .hashes()
    .map((row) => `${row.column}: ${expandDatePlaceholders(row.problem ?? '', wave.stamps)}`);
  const since = () => world.target.events.since(wave.eventMark);
  const report = await waitFor(
    async () =>
      (await since()).find(
        (event): event is Extract<PipelineEvent, { type: 'invalid-rule' }> =>
          event.type === 'invalid-rule' &&
          event.sourcePrefix === scopedPrefix &&
          event.pipelineName === pipeline,
      ),
    { timeoutMs: 5_000, intervalMs: 100, description: `the report that ${pipeline} is invalid` },
  ).catch(() => undefined);
  if (!report) {
    throw new Error(
      `${who}: the service should report it invalid (${problems.join('; ')}), but it did not report it.`,
    );
  }
  const missing = problems.filter((problem) => !report.reason.includes(problem));
  if (missing.length > 0) {
    throw new Error(
      `${who}: the service reports it invalid with "${report.reason}", which does not say: ${missing.join('; ')}`,
    );
  }
  const scopedKey = describeRuleKey({ sourcePrefix: scopedPrefix, pipelineName: pipeline });
  const actions = (await since()).filter((event) => event.type === 'transferred' && event.rule === scopedKey);
  assert.deepEqual(
    actions,
    [],
    `${who}: an invalid item must take no action, but the service wrote files for it`,
  );
  if (flag) {
    const { flag: published, outcome } = flagOutcome({ wave, who }, flag.key);
    if (outcome.reason !== flag.verdict) {
      throw new Error(
        `${who}: the message of its flag s3://${published.bucket}/${published.key} should end as "${flag.verdict}", but it was ${outcome.action} as "${outcome.reason}".`,
      );
    }
  }
}

Then(
  RULE_SET_STEPS.invalid,
  async function (this: EgressWorld, pipeline: string, prefix: string, table: DataTable) {
    await checkInvalid(this, pipeline, prefix, table);
  },
);

Then(
  RULE_SET_STEPS.invalidWithFlag,
  async function (
    this: EgressWorld,
    pipeline: string,
    prefix: string,
    flag: string,
    verdict: string,
    table: DataTable,
  ) {
    await checkInvalid(this, pipeline, prefix, table, { key: flag, verdict: verdict as FlagVerdict });
  },
);

AfterAll({ timeout: 60_000 }, async () => {
  await removeRuleSetWaves();
});
