/**
 * A generated rule-set feature must be able to fail, and say why: the fixture's feature is generated,
 * then two of its rules are changed in the rules file (a destination moved, compression switched
 * on for an SFT rule whose file names do not show it), and cucumber runs it on the embedded target.
 * Exactly those two scenarios fail, each naming the rule, the object, what was expected and what
 * arrived instead; every other scenario passes — so every kind of check in the fixture (re-wrap,
 * encrypted and re-wrapped manifests, zlib, HHmmss names, SFT through the agent, shared and
 * overlapping prefixes, a failing sample, an invalid item) is run once against the real pipeline.
 * A second feature loads the same rules without "allowing invalid rules" and must fail on the item.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { PROJECT_ROOT as ROOT, runCucumber } from '../helpers/cucumber.ts';

let dir: string;
beforeAll(async () => {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  dir = await mkdtemp(path.join(ROOT, '.tmp', 'rule-set-run-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ScenarioResult {
  readonly name: string;
  readonly status: string;
  readonly messages: readonly string[];
}

/** Each scenario's worst step status and its error messages, from cucumber's message stream. */
function results(ndjson: string): ScenarioResult[] {
  const pickles = new Map<string, string>();
  const testCases = new Map<string, string>();
  const started = new Map<string, string>();
  const byPickle = new Map<string, { status: string; messages: string[] }>();
  const rank = ['PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const envelope = JSON.parse(line);
    if (envelope.pickle) pickles.set(envelope.pickle.id, envelope.pickle.name);
    if (envelope.testCase) testCases.set(envelope.testCase.id, envelope.testCase.pickleId);
    if (envelope.testCaseStarted)
      started.set(envelope.testCaseStarted.id, envelope.testCaseStarted.testCaseId);
    if (envelope.testStepFinished) {
      const pickle = testCases.get(started.get(envelope.testStepFinished.testCaseStartedId)!)!;
      const result = envelope.testStepFinished.testStepResult;
      const entry = byPickle.get(pickle) ?? { status: 'PASSED', messages: [] };
      if (rank.indexOf(result.status) > rank.indexOf(entry.status)) entry.status = result.status;
      if (result.message) entry.messages.push(result.message);
      byPickle.set(pickle, entry);
    }
  }
  return [...byPickle.entries()].map(([pickle, entry]) => ({ name: pickles.get(pickle)!, ...entry }));
}

describe('a generated rule-set feature fails exactly where the rules no longer do what it says', () => {
  it('moving one rule’s destination and compressing another’s SFT files fail those two scenarios, saying what arrived instead', async () => {
    // Generate from the fixture as it is, then change two rules: the feature now describes rules
    // that are not the ones stored.
    const rules = path.relative(ROOT, path.join(dir, 'rules.json'));
    const feature = path.relative(ROOT, path.join(dir, 'rules.feature'));
    await copyFile(path.join(ROOT, 'test/rule-tools/fixtures/rule-set.json'), path.join(ROOT, rules));
    const generate = runCli(['routes', 'scenarios', '--rules', rules, '--out', feature]);
    expect((await generate.exited).code, generate.output()).toBe(0);
    const items = JSON.parse(await readFile(path.join(ROOT, rules), 'utf8')) as Record<string, unknown>[];
    const claimant = items.find((item) => item.pipeline_name === 'CLAIMANT')!;
    claimant.destination_prefix = 'collections-moved/$TODAYS_DATE/incremental/';
    const sharedSft = items.find((item) => item.pipeline_name === 'SHARED#sft')!;
    Object.assign(sharedSft, { compress: true, compress_fmt: 'gz' });
    await writeFile(path.join(ROOT, rules), JSON.stringify(items, null, 2));
    // Loading those rules without "allowing invalid rules" must fail on the invalid item.
    const strict = path.relative(ROOT, path.join(dir, 'strict.feature'));
    await writeFile(
      path.join(ROOT, strict),
      `Feature: A rule set with an invalid item\n  Scenario: Loading it without allowing invalid rules\n    Given the routing rules from "${rules}"\n`,
    );
    const messages = path.join(dir, 'messages.ndjson');
    await writeFile(
      path.join(dir, 'cucumber.mjs'),
      `export default { import: ['steps/**/*.ts'], format: ['summary', ['message', ${JSON.stringify(messages)}]], strict: true, forceExit: true };\n`,
    );
    const run = runCucumber(path.join(dir, 'cucumber.mjs'), [feature, strict], {
      EGRESS_TARGET: 'embedded',
      // Its own call log, so the suite's reports/aws-calls.ndjson stays the real run's.
      EGRESS_AWS_CALL_LOG: path.join(dir, 'aws-calls.ndjson'),
    });
    const { code } = await run.exited;
    const output = run.output();
    expect(code, output).toBe(1);

    const scenarios = results(await readFile(messages, 'utf8'));
    expect(scenarios, output).toHaveLength(14);
    const failed = scenarios.filter((scenario) => scenario.status !== 'PASSED');
    expect(
      failed.map((scenario) => scenario.name),
      output,
    ).toEqual([
      expect.stringMatching(/^Rule 2: CLAIMANT \(S3\)/),
      expect.stringMatching(/^Rule 9: SHARED#sft \(SFT\)/),
      'Loading it without allowing invalid rules',
    ]);
    expect(failed.map((scenario) => scenario.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);

    // Which rule, which object, what was expected, what arrived instead.
    const [moved, compressed, strictLoad] = failed.map((scenario) =>
      scenario.messages.join('\n').replace(/^Error: /, ''),
    ) as [string, string, string];
    expect(moved).toMatch(
      /^Rule CLAIMANT for "rule-set\/collections\/\$TODAYS_DATE\/incremental\/db\.core\.claimant-" \(rules\.json\[2\]\): the object s3:\/\/rule-set-source\/bdd-[0-9a-f]{8}\/rule-set\/collections\/\d{4}-\d{2}-\d{2}\/incremental\/db\.core\.claimant-claimant-[0-9a-f]{6}\.csv\.enc should arrive at s3:\/\/rule-set-destination\/bdd-[0-9a-f]{8}\/collections\/\d{4}-\d{2}-\d{2}\/incremental\/db\.core\.claimant-claimant-[0-9a-f]{6}\.\d{8}\.csv as the sample, decrypted, but the service did not write it there\. Instead: the rule wrote it to s3:\/\/rule-set-destination\/bdd-[0-9a-f]{8}\/collections-moved\/\d{4}-\d{2}-\d{2}\/incremental\/db\.core\.claimant-claimant-[0-9a-f]{6}\.\d{8}\.csv\./,
    );
    expect(moved).toMatch(
      /\nRule CLAIMANT .*: its control file should be written to s3:\/\/rule-set-destination\/bdd-[0-9a-f]{8}\/collections\/.*\.control, but it was not\. Instead: the service wrote it to s3:\/\/rule-set-destination\/bdd-[0-9a-f]{8}\/collections-moved\//,
    );
    // Each difference is said once: the writes named as "instead" are not repeated as unexpected.
    expect(moved.split('\n').filter((line) => line.startsWith('Rule CLAIMANT'))).toHaveLength(2);
    expect(compressed).toMatch(
      /^Rule SHARED#sft for "rule-set\/shared\/" \(rules\.json\[9\]\): the object s3:\/\/source\/bdd-[0-9a-f]{8}\/rule-set\/shared\/shared-[0-9a-f]{6}\.csv arrived at s3:\/\/stub-hdfs-local\/internal\/DandARed\/inbound\/Dataworks\/UCFS\/tactical\/shared-[0-9a-f]{6}\.csv, but its bytes are not the sample’s: expected the sample, got \d+ bytes: gzip of the sample as published\./,
    );
    expect(compressed.split('\n').filter((line) => line.startsWith('Rule SHARED#sft'))).toHaveLength(2);
    expect(strictLoad).toContain('1 of 14 routing items in');
    expect(strictLoad).toContain(
      'rules.json[13] STRING_BOOLEAN "rule-set/typo/" is invalid:\n    decrypt: expected a boolean (BOOL) or nothing, got string "true"',
    );
    expect(strictLoad).toContain(`say: Given the routing rules from "${rules}", allowing invalid rules`);
  }, 180_000);
});
