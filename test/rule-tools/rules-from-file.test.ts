import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type CliProcess, cliOutcome, EPHEMERAL_PORTS } from '../helpers/cli.ts';
import { awsCli, startSandbox } from '../helpers/sandbox.ts';

/*
 * Issue 18 item 2, as a data engineer meets it: `egress sandbox --rules FILE` loads the team's
 * rules at start, `egress routes load FILE` loads more into the running sandbox, and the AWS CLI
 * (a client this project did not write) sees them in the table and drives a flag through them.
 */

let dir: string;
let stateDir: string;
let sandbox: CliProcess;
let state: SandboxState;

const aws = (args: string[]) => awsCli(state, args);

async function tableItems(): Promise<Record<string, Record<string, unknown>>[]> {
  const stdout = await aws(['dynamodb', 'scan', '--table-name', state.table]);
  return JSON.parse(stdout).Items;
}

const cli = (args: string[]) => cliOutcome(args, EPHEMERAL_PORTS);

const ITEMS = [
  {
    source_prefix: 'team/report/',
    pipeline_name: 'TEAM_REPORT',
    recipient_name: 'TEAM',
    transfer_type: 'S3',
    source_bucket: 'source',
    destination_bucket: 'destination',
    destination_prefix: 'team-out/',
  },
  {
    source_prefix: 'team/typo/',
    pipeline_name: 'TEAM_TYPO',
    transfer_type: 'S3',
    source_bucket: 'source',
    destination_bucket: 'destination',
    destination_prefx: 'typo-out/',
  },
  {
    source_prefix: 'team/bad/',
    pipeline_name: 'TEAM_BAD',
    transfer_type: 'S3',
    source_bucket: 'source',
    destination_bucket: 'destination',
    decrypt: 'true',
  },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rules-file-'));
  stateDir = path.join(dir, 'state');
  const rules = path.join(dir, 'team-rules.json');
  await writeFile(rules, JSON.stringify(ITEMS, null, 2));
  ({ cli: sandbox, state } = await startSandbox(stateDir, { args: ['--no-demo', '--rules', rules] }));
}, 90_000);
afterAll(async () => {
  if (sandbox?.child.exitCode === null) {
    sandbox.child.kill('SIGTERM');
    await sandbox.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('egress sandbox --rules FILE', () => {
  it('loads the file at start and says which items the service will reject or misread, by item and field', () => {
    const out = sandbox.output();
    expect(out).toMatch(
      /loaded 3 routing items from \S+team-rules\.json into table data-egress at http:\/\/127\.0\.0\.1:\d+: 3 created/,
    );
    expect(out).toContain('✗ TEAM_BAD "team/bad/" (team-rules.json[2]) is invalid and takes no action:');
    expect(out).toContain('decrypt: expected a boolean (BOOL) or nothing, got string "true"');
    expect(out).toContain('! TEAM_TYPO "team/typo/" (team-rules.json[1]):');
    expect(out).toContain(
      'destination_prefx: not a column the egress service reads; did you mean destination_prefix?',
    );
  });

  it('puts them in the table the AWS CLI reads, and the service routes a flag by them, warning of the near miss when it reads it', async () => {
    const items = await tableItems();
    expect(items.map((item) => item.pipeline_name?.S).sort()).toEqual([
      'TEAM_BAD',
      'TEAM_REPORT',
      'TEAM_TYPO',
    ]);
    const bad = items.find((item) => item.pipeline_name?.S === 'TEAM_BAD')!;
    expect(bad.decrypt).toEqual({ S: 'true' }); // stored as the team has it, for the service to reject

    const data = path.join(dir, 'report.csv');
    await writeFile(data, 'id,value\n1,a\n');
    await aws(['s3', 'cp', data, 's3://source/team/report/report.csv']);
    await aws(['s3', 'cp', data, 's3://source/team/report/pipeline_success.flag']);
    await waitFor(
      async () => {
        const stdout = await aws([
          's3api',
          'list-objects-v2',
          '--bucket',
          'destination',
          '--prefix',
          'team-out/',
        ]);
        return stdout.includes('team-out/report.csv');
      },
      { timeoutMs: 30_000, description: 's3://destination/team-out/report.csv' },
    );
    const log = await readFile(state.logs, 'utf8');
    expect(log).toMatch(
      /"pipelineName":"TEAM_TYPO".*routing item has attributes the service does not read: destination_prefx: not a column the egress service reads; did you mean destination_prefix\?/,
    );
  }, 180_000);
});

describe('egress routes load FILE', () => {
  it('loads Terraform into the running sandbox, then an `aws dynamodb scan` export with --replace makes the table equal the export', async () => {
    const exported = await aws(['dynamodb', 'scan', '--table-name', state.table]);
    const exportFile = path.join(dir, 'export.json');
    await writeFile(exportFile, exported);

    const terraform = await cli(['routes', 'load', 'test/terraform/fixtures', '--state-dir', stateDir]);
    expect(terraform.code).toBe(0);
    expect(terraform.output).toMatch(
      /loaded 97 routing items from Terraform \S+fixtures into table data-egress .*: 97 created/,
    );
    expect(terraform.output).toMatch(
      /note: Terraform each\.value\.source_prefix is not known here and reads "rtg-pdm-queries-source-prefix"/,
    );
    expect(terraform.output).toMatch(/✗ PDM_RTG .* is invalid and takes no action/);
    expect(await tableItems()).toHaveLength(100);

    const replaced = await cli(['routes', 'load', exportFile, '--state-dir', stateDir, '--replace']);
    expect(replaced.code).toBe(0);
    expect(replaced.output).toMatch(
      /loaded 3 routing items .*: 0 created, 0 updated, 3 unchanged, 97 removed/,
    );
    expect(await tableItems()).toHaveLength(3);
  }, 180_000);

  it('refuses, exit 2 and nothing written, items no table can store — naming the item and the field', async () => {
    const file = path.join(dir, 'no-key.json');
    await writeFile(
      file,
      JSON.stringify([
        { ...ITEMS[0], pipeline_name: 'NEW' },
        { ...ITEMS[0], pipeline_name: undefined },
      ]),
    );
    const { code, output } = await cli(['routes', 'load', file, '--state-dir', stateDir]);
    expect(code).toBe(2);
    expect(output).toContain('1 routing items cannot be stored in table data-egress');
    expect(output).toContain(
      `no-key.json[1] <pipeline_name undefined> "team/report/": pipeline_name: the table's key: expected a string, got nothing`,
    );
    expect(output).not.toMatch(/\n\s+at /);
    expect((await tableItems()).map((item) => item.pipeline_name?.S)).not.toContain('NEW');
  });

  it('with --strict, refuses a file with an item the service would reject', async () => {
    const file = path.join(dir, 'strict.json');
    await writeFile(file, JSON.stringify([{ ...ITEMS[0], pipeline_name: 'STRICT' }, ITEMS[2]]));
    const { code, output } = await cli(['routes', 'load', file, '--state-dir', stateDir, '--strict']);
    expect(code).toBe(2);
    expect(output).toMatch(/1 of 2 routing items are invalid for the egress service \(--strict\)/);
    expect(output).toContain(
      'strict.json[1] TEAM_BAD "team/bad/": decrypt: expected a boolean (BOOL) or nothing, got string "true"',
    );
    expect((await tableItems()).map((item) => item.pipeline_name?.S)).not.toContain('STRICT');
  });

  it.each([
    ['a file that is not JSON', 'broken.json', '[{"source_prefix": ', /broken\.json: .*JSON/],
    [
      'Terraform with a syntax error',
      'broken.tf',
      'resource "aws_dynamodb_table_item" "x" {\n  item = <<ITEM\n',
      /broken\.tf/,
    ],
    ['a missing file', undefined, undefined, /cannot read routing items from \S+missing\.json: ENOENT/],
  ])('exits 2 with one line for %s', async (_case, name, text, message) => {
    const file = path.join(dir, name ?? 'missing.json');
    if (text !== undefined) await writeFile(file, text);
    const { code, output } = await cli(['routes', 'load', file, '--state-dir', stateDir]);
    expect(code).toBe(2);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('exits 2 when no sandbox runs in the state directory', async () => {
    const { code, output } = await cli([
      'routes',
      'load',
      'config/rules/routing-items.json',
      '--state-dir',
      path.join(dir, 'empty'),
    ]);
    expect(code).toBe(2);
    expect(output).toMatch(
      /no sandbox is running in \S+empty; start one with: npx egress sandbox --state-dir/,
    );
  });

  it('refuses a sandbox start whose --rules file has an item no table can store, before starting anything', async () => {
    const file = path.join(dir, 'start-no-key.json');
    await writeFile(file, JSON.stringify([{ pipeline_name: 'X', transfer_type: 'S3' }]));
    const other = path.join(dir, 'other-state');
    const { code, output } = await cli(['sandbox', '--no-demo', '--state-dir', other, '--rules', file]);
    expect(code).toBe(2);
    expect(output).toContain(
      "start-no-key.json[0] X <source_prefix undefined>: source_prefix: the table's key: expected a string, got nothing",
    );
    expect(output).not.toMatch(/edge listening/);
  });
});
