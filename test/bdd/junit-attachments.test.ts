/**
 * The JUnit report a CI page shows: cucumber with the project's default profile (its formatters,
 * steps and hooks; only the report paths moved to a temporary directory) runs one failing and one
 * passing scenario on the embedded sandbox, and the XML is read with a parser we did not write.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT as ROOT, runCucumber } from '../helpers/cucumber.ts';

const RULE = `    Given the routing rule:
      | source_prefix      | probe/      |
      | pipeline_name      | JUNIT_PROBE |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | delivered/  |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file             | lines |
      | probe/report.csv | 3     |
    Then recipient "analytics" receives in "destination":
      | key                  | content                  |
      | delivered/report.csv | same as probe/report.csv |
`;

const FEATURE = `Feature: JUnit evidence probe

  Scenario: A delivery checked against the wrong keys
${RULE}    And the bucket "destination" holds exactly these keys under "delivered/":
      | key                     |
      | delivered/not-there.csv |

  Scenario: A delivery that passes
${RULE}`;

let dir: string;
let relativeDir: string;
let code: number | null;
let output = '';
let junit: string;

beforeAll(async () => {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  dir = await mkdtemp(path.join(ROOT, '.tmp', 'junit-'));
  relativeDir = path.relative(ROOT, dir);
  await writeFile(path.join(dir, 'probe.feature'), FEATURE);
  // The default profile as it is, with every report written here instead of reports/.
  await writeFile(
    path.join(dir, 'cucumber.mjs'),
    `import profile from '../../cucumber.mjs';
export default {
  ...profile,
  format: profile.format.map((format) =>
    Array.isArray(format) ? [format[0], format[1].replace(/^reports\\//, '${relativeDir}/')] : format,
  ),
};
`,
  );
  const run = runCucumber(path.join(relativeDir, 'cucumber.mjs'), [path.join(relativeDir, 'probe.feature')], {
    EGRESS_TARGET: 'embedded',
  });
  code = (await run.exited).code;
  output = run.output();
  junit = await readFile(path.join(dir, 'cucumber-junit.xml'), 'utf8').catch(() => '');
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuite as {
    name: string;
    tests: string;
    failures: string;
    testcase: TestCase[];
  };

interface TestCase {
  name: string;
  failure?: { message: string };
  'system-out': string;
}

describe("the JUnit report of cucumber's default profile", () => {
  it('is written for a run with a failing scenario, which fails the run', () => {
    expect(code, output.slice(-2000)).toBe(1);
    expect(junit, output.slice(-2000)).not.toBe('');
    expect(XMLValidator.validate(junit)).toBe(true);
  });

  it("carries the failing scenario's steps, sandbox trace and logs in its <system-out>", () => {
    const suite = parse(junit);
    expect(suite).toMatchObject({ name: 'egress-sandbox', tests: '2', failures: '1' });
    const failing = suite.testcase.find((c) => c.name === 'A delivery checked against the wrong keys');
    expect(failing?.failure?.message).toMatch(/deepEqual|deep-equal|Expected values to be/);
    const out = failing!['system-out'];
    expect(out).toMatch(/^Given the routing rule:?\.+passed$/m);
    expect(out).toMatch(
      /^And the bucket "destination" holds exactly these keys under "delivered\/":?\.+failed$/m,
    );
    const trace = out.slice(out.indexOf('--- sandbox-trace.txt ---'));
    expect(trace).toMatch(
      /\[event\] S3 event ObjectCreated:Put for s3:\/\/source\/bdd-[^ ]+\/probe\/pipeline_success\.flag/,
    );
    expect(trace).toMatch(/\[transfer\] .*delivered\/report\.csv/);
    const logs = out.slice(out.indexOf('--- sandbox-logs.ndjson ---'));
    expect(logs.split('\n')[1]).toMatch(/^\{".*"\}$/);
  });

  it('carries the trace of a passing scenario too, without its logs', () => {
    const suite = parse(junit);
    const passing = suite.testcase.find((c) => c.name === 'A delivery that passes');
    expect(passing?.failure).toBeUndefined();
    expect(passing!['system-out']).toContain('--- sandbox-trace.txt ---');
    expect(passing!['system-out']).toMatch(/\[transfer\] .*delivered\/report\.csv/);
    expect(passing!['system-out']).not.toContain('--- sandbox-logs.ndjson ---');
  });
});
