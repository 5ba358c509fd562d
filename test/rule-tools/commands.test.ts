import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadEnvironmentFile, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { registerRoutesCommand } from '../../src/cli/commands/routes.ts';
import { UserError } from '../../src/cli/errors.ts';
import type { Edge } from '../../src/edge/index.ts';
import { startEdge } from '../../src/edge/index.ts';

const RULES = path.resolve('config/rules/routing-items.json');

/** Runs `egress routes <args>` in-process; returns what it printed and the error it threw, if any. */
async function routes(args: string[]): Promise<{ out: string; error?: unknown }> {
  const program = new Command('egress').exitOverride();
  registerRoutesCommand(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    printed.push(parts.join(' '));
  });
  try {
    await program.parseAsync(['routes', ...args], { from: 'user' });
    return { out: printed.join('\n') };
  } catch (error) {
    return { out: printed.join('\n'), error };
  } finally {
    log.mockRestore();
  }
}

let dir: string;
let edge: Edge;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'routes-cli-'));
  edge = await startEdge({ port: 0 });
  await provisionEnvironment(edge.target, await loadEnvironmentFile('config/sandbox/rules.yml'));
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('egress routes list', () => {
  it('tables every rule from a file, with a count by type', async () => {
    const { out, error } = await routes(['list', '--rules', RULES]);
    expect(error).toBeUndefined();
    const lines = out.split('\n');
    expect(lines[2]).toMatch(/^pipeline\s+recipient\s+type\s+source\s+destination\s+flags$/);
    expect(out).toMatch(
      /\nCBOL\s+CBOL\s+S3\s+s3:\/\/published-bucket\/dataegress\/cbol-report\/\$TODAYS_DATE\/\*\s+s3:\/\/opsmi-destination\/cbol\/\$TODAYS_DATE\/\s+decrypt\n/,
    );
    expect(out).toMatch(
      /\nRIS_SFT\s+DSP\s+SFT\s+s3:\/\/htme-s3-bucket\/\S+\s+\/data-egress\/RIS\s+decrypt,timestamp,control\n/,
    );
    expect(lines.at(-1)).toBe('97 rules: 86 S3, 10 SFT, 1 invalid (egress routes validate says why)');
  });

  it('reads the live table through --endpoint and prints JSON with --json', async () => {
    const { out } = await routes(['list', '--endpoint', edge.endpoint, '--json']);
    const rows = JSON.parse(out) as { pipeline: string; valid: boolean }[];
    expect(rows).toHaveLength(97);
    expect(rows.filter((row) => !row.valid).map((row) => row.pipeline)).toEqual(['PDM_RTG']);
  });
});

describe('egress routes validate', () => {
  it('names the invalid rule and each column at fault, and exits 2', async () => {
    const { out, error } = await routes(['validate', '--rules', RULES]);
    expect(out).toContain(
      [
        '✗ PDM_RTG "rtg-pdm-queries-source-prefix" [pdm_rtg_data_egress_config] (routing-items.json[0]) is invalid and takes no action:',
        '    decrypt: expected a boolean (BOOL) or nothing, got string "rtg-pdm-queries-decrypt"',
        '    rewrap_datakey: expected a boolean (BOOL) or nothing, got string "rtg-pdm-queries-rewrap-datakey"',
      ].join('\n'),
    );
    expect(out.split('\n').at(-1)).toBe('97 items: 96 valid, 1 invalid, 0 with warnings');
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      '1 of 97 routing items are invalid: PDM_RTG "rtg-pdm-queries-source-prefix" [pdm_rtg_data_egress_config]',
    );
  });

  it('passes valid items, warning about likely mistakes the service accepts', async () => {
    const file = path.join(dir, 'items.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          source_prefix: 'a/',
          pipeline_name: 'A',
          transfer_type: 'S3',
          source_bucket: 'src',
          destination_bucket: 'dst',
          destinaton_prefix: 'typo/',
        },
        {
          source_prefix: 'b/',
          pipeline_name: 'B',
          transfer_type: 'sft',
          source_bucket: 'src',
          compress_fmt: 'gz',
        },
        {
          source_prefix: 'c/',
          pipeline_name: 'C',
          transfer_type: 'S3',
          source_bucket: 'src',
          destination_bucket: 'src',
          destination_prefix: 'c/out/',
        },
        { source_prefix: 'a/', pipeline_name: 'A', transfer_type: 'SFT', source_bucket: 'src' },
      ]),
    );
    const { out, error } = await routes(['validate', '--rules', file]);
    expect(error).toBeUndefined();
    expect(out).toContain(
      '! A "a/" (items.json[0]):\n    destinaton_prefix: not a column the egress service reads; did you mean destination_prefix?',
    );
    expect(out).toContain(
      '    compress_fmt: set but compress is not true: nothing is compressed and no suffix is added',
    );
    expect(out).toContain(
      '    destination_prefix: writes under its own source prefix "c/" in the same bucket: every flag would send its own output again',
    );
    expect(out).toContain(
      '    source_prefix+pipeline_name: the same key as items.json[0]: a table keeps only one of them',
    );
    expect(out.split('\n').at(-1)).toBe('4 items: 4 valid, 0 invalid, 4 with warnings');
  });

  it('reads DynamoDB JSON (scan output, lower-case bool as Terraform writes it)', async () => {
    const file = path.join(dir, 'scan.json');
    await writeFile(
      file,
      JSON.stringify({
        Items: [
          {
            source_prefix: { S: 'x/' },
            pipeline_name: { S: 'X' },
            transfer_type: { S: 'S3' },
            source_bucket: { S: 'src' },
            destination_bucket: { S: 'dst' },
            decrypt: { bool: 'yes' },
          },
        ],
      }),
    );
    const { out } = await routes(['validate', '--rules', file, '--json']);
    expect(JSON.parse(out).invalid[0].problems).toEqual([
      { field: 'decrypt', message: 'expected a boolean (BOOL) or nothing, got string "yes"' },
    ]);
  });
});

describe('egress routes explain', () => {
  it('explains a key over the live table as JSON', async () => {
    const { out } = await routes([
      'explain',
      'dataegress/cbol-report/2026-11-24/pipeline_success.flag',
      '--endpoint',
      edge.endpoint,
      '--date',
      '2026-11-24',
      '--json',
    ]);
    const explanation = JSON.parse(out);
    expect(explanation.kind).toBe('flag');
    expect(explanation.matches).toHaveLength(1);
    expect(explanation.matches[0].object.destination).toEqual({
      transferType: 'S3',
      bucket: 'opsmi-destination',
      key: 'cbol/2026-11-24/example.csv',
      url: 's3://opsmi-destination/cbol/2026-11-24/example.csv',
    });
  });

  it('uses a sandbox’s stub NiFi, bucket and SFT root with --sandbox', async () => {
    const stateDir = path.join(dir, 'state');
    const sftRoot = path.join(stateDir, 'sft-root');
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      path.join(stateDir, 'sandbox.json'),
      JSON.stringify({
        region: 'eu-west-2',
        aws: { endpoint: edge.endpoint, accessKeyId: 'test', secretAccessKey: 'test' },
        table: 'data-egress',
        nifi: { url: 'https://127.0.0.1:18091', bucket: 'stub-hdfs-demo' },
        sftRoot,
      }),
    );
    const { out } = await routes([
      'explain',
      'dataegress/best-start/2026-11-24/grants.csv',
      '--sandbox',
      stateDir,
      '--date',
      '2026-11-24',
    ]);
    expect(out).toContain(
      `s3://published-bucket/dataegress/best-start/2026-11-24/grants.csv → ${sftRoot}/data-egress/sas/grants.csv`,
    );
    expect(out).toContain(
      'httpRequest POST https://127.0.0.1:18091/internal/DandARed/inbound/Dataworks/UCFS/tactical',
    );
    expect(out).toContain(
      'stub NiFi stores s3://stub-hdfs-demo/internal/DandARed/inbound/Dataworks/UCFS/tactical/grants.csv',
    );
  });

  it.each([
    [
      ['explain', 'k', '--rules', RULES, '--date', '2026-02-30'],
      '--date 2026-02-30 is not a day in the form YYYY-MM-DD',
    ],
    [
      ['explain', 'k', '--rules', path.join(os.tmpdir(), 'no-such-rules.json')],
      'cannot read routing items from',
    ],
    [
      ['list', '--sandbox', path.join(os.tmpdir(), 'no-such-sandbox')],
      'does not exist: is a sandbox running',
    ],
  ])('reports a user error for %j', async (args, message) => {
    const { error } = await routes(args);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(message);
  });

  it('reports a missing table as a user error', async () => {
    const { error } = await routes(['list', '--endpoint', edge.endpoint, '--table', 'nope']);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`table nope does not exist at ${edge.endpoint}`);
  });
});
