import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironmentFile, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { runCli } from '../helpers/cli.ts';

/** `npx egress routes map …` as a user runs it. */
async function map(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = runCli(['routes', 'map', ...args], env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

let dir: string;
let edge: Edge;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'routes-map-'));
  edge = await startEdge({ port: 0 });
  await provisionEnvironment(edge.target, await loadEnvironmentFile('config/sandbox/rules.yml'));
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('egress routes map', () => {
  it('writes the Mermaid map of a rules file to --out', async () => {
    const out = path.join(dir, 'map.mmd');
    const { code, output } = await map([
      '--rules',
      'config/rules/routing-items.json',
      '--format',
      'mermaid',
      '--date',
      '2026-11-24',
      '--out',
      out,
    ]);
    expect({ code, output }).toMatchObject({
      code: 0,
      output: expect.stringContaining('wrote the routing map (mermaid)'),
    });
    const text = await readFile(out, 'utf8');
    expect(text.split('\n').slice(0, 2)).toEqual([
      '%% Routing map: 97 of 97 rules on 2026-11-24',
      'flowchart LR',
    ]);
    expect(text).toContain('n2["ap_preproc_journal  S3 · decrypt"]');
  });

  it('prints DOT on standard output, filtered', async () => {
    const { code, output } = await map([
      '--rules',
      'config/rules/routing-items.json',
      '--format',
      'dot',
      '--type',
      'SFT',
    ]);
    expect(code).toBe(0);
    expect(output).toMatch(/^\/\/ Routing map: 10 of 97 rules on \d{4}-\d{2}-\d{2}\ndigraph routing_map \{/);
  });

  it('reads Terraform through the importer, naming the values that stayed placeholders', async () => {
    // Two items in the original's shape: one with a remote-state bucket (unknown here), one plain.
    const terraform = path.join(dir, 'terraform');
    await mkdir(terraform, { recursive: true });
    await writeFile(
      path.join(terraform, 'items.tf'),
      [
        'variable "environment" { default = "sandbox" }',
        'resource "aws_dynamodb_table_item" "cbol" {',
        '  table_name = "data-egress"',
        '  hash_key   = "source_prefix"',
        '  range_key  = "pipeline_name"',
        '  item = <<ITEM',
        '  {',
        '    "source_prefix":      {"S": "dataegress/cbol-report/$TODAYS_DATE/*"},',
        '    "pipeline_name":      {"S": "CBOL"},',
        '    "recipient_name":     {"S": "CBOL"},',
        '    "transfer_type":      {"S": "S3"},',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Terraform interpolation, written as Terraform has it
        '    "source_bucket":      {"S": "${data.terraform_remote_state.common.outputs.published_bucket.id}"},',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Terraform interpolation, written as Terraform has it
        '    "destination_bucket": {"S": "opsmi-${var.environment}"},',
        '    "destination_prefix": {"S": "cbol/$TODAYS_DATE/"},',
        '    "decrypt":            {"bool": true}',
        '  }',
        '  ITEM',
        '}',
        'resource "aws_dynamodb_table_item" "sas" {',
        '  table_name = "data-egress"',
        '  hash_key   = "source_prefix"',
        '  range_key  = "pipeline_name"',
        '  item = <<ITEM',
        '  {',
        '    "source_prefix":      {"S": "dataegress/sas/health/$TODAYS_DATE/*"},',
        '    "pipeline_name":      {"S": "SAS_HEALTH_SFT"},',
        '    "recipient_name":     {"S": "SAS"},',
        '    "transfer_type":      {"S": "SFT"},',
        '    "source_bucket":      {"S": "published-bucket"},',
        '    "destination_prefix": {"S": "/data-egress/sas/"}',
        '  }',
        '  ITEM',
        '}',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'tf.mmd');
    const { code, output } = await map(['--rules', terraform, '--format', 'mermaid', '--out', out]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/is not known here and reads "published-bucket"/);
    const text = await readFile(out, 'utf8');
    expect(text).toContain('%% Routing map: 2 of 2 rules');
    expect(text).toContain('subgraph g1["s3://published-bucket/dataegress/"]');
    expect(text).toContain('["s3://opsmi-sandbox/cbol/$TODAYS_DATE/"]');
    expect(text).toContain('(["SAS"])');
  });

  it('maps the live table at an endpoint', async () => {
    const { code, output } = await map([
      '--endpoint',
      edge.endpoint,
      '--format',
      'mermaid',
      '--recipient',
      'DSP',
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain('%% Routing map: 3 of 97 rules');
  });

  it('refuses an unknown format with exit code 2', async () => {
    const { code, output } = await map(['--rules', 'config/rules/routing-items.json', '--format', 'png']);
    expect(code).toBe(2);
    expect(output).toContain('--format png is not one of svg, mermaid, dot');
  });
});
