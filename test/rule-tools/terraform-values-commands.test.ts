import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanRoutingTable } from '../../src/rule-tools/index.ts';
import { readSandboxState, sandboxTarget } from '../../src/rule-tools/rule-source.ts';
import { type CliProcess, EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

/*
 * Issues #18 item 2, #19 item 5, #21 item 3, #22 item 1: a team's Terraform, with the values
 * `import-tf` takes, read by every command that takes a rules source — as a user runs them.
 */

const FIXTURES = 'test/terraform/fixtures';
const VALUES = ['--template-values', `${FIXTURES}/template-values.yml`, '--workspace', 'sandbox'];
/** The advice printed while the template values are missing: it must be gone once they are given. */
const TEMPLATE_ADVICE = /template value|opsmi-bucket-name/;

async function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  const process = runCli(args, EPHEMERAL_PORTS);
  const { code } = await process.exited;
  return { code, output: process.output() };
}

let dir: string;
let stateDir: string;
let sandbox: CliProcess | undefined;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tf-values-cli-'));
  stateDir = path.join(dir, 'state');
});
afterAll(async () => {
  if (sandbox?.child.exitCode === null) {
    sandbox.child.kill('SIGTERM');
    await sandbox.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

/** The running sandbox's routing table. */
async function tableItems(): Promise<Record<string, unknown>[]> {
  const state = await readSandboxState(stateDir);
  return scanRoutingTable(sandboxTarget(state), state.table);
}

function cbolBucket(items: readonly Record<string, unknown>[]): unknown {
  return items.find((item) => item.pipeline_name === 'CBOL')?.destination_bucket;
}

describe('Terraform rules with values', () => {
  it('routes map: without values the advice names --template-values; with them, the real buckets and no advice', async () => {
    const without = await cli(['routes', 'map', '--rules', FIXTURES, '--format', 'mermaid']);
    expect(without.code).toBe(0);
    expect(without.output).toContain('--template-values FILE');
    expect(without.output).toContain('opsmi-bucket-name');

    const { code, output } = await cli([
      'routes',
      'map',
      '--rules',
      FIXTURES,
      ...VALUES,
      '--format',
      'mermaid',
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain('s3://opsmi-destination/cbol/');
    expect(output).not.toMatch(TEMPLATE_ADVICE);
  });

  it('sandbox --rules: loads the evaluated items at start', async () => {
    sandbox = runCli(
      ['sandbox', '--no-demo', '--state-dir', stateDir, '--rules', FIXTURES, ...VALUES],
      EPHEMERAL_PORTS,
    );
    const output = await sandbox.waitForOutput(/sandbox ready/, 90_000);
    expect(output).toMatch(/loaded 97 routing items from Terraform \S+fixtures into table data-egress/);
    expect(output).not.toMatch(TEMPLATE_ADVICE);
    expect(cbolBucket(await tableItems())).toBe('opsmi-destination');
  }, 120_000);

  it('routes load: loads the items evaluated with other values into the running sandbox', async () => {
    const { code, output } = await cli([
      'routes',
      'load',
      FIXTURES,
      ...VALUES,
      '--template-value',
      'opsmi.sandbox.bucket_name=opsmi-from-load',
      '--state-dir',
      stateDir,
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /loaded 97 routing items from Terraform \S+fixtures into table data-egress .*: 0 created, 2 updated, 95 unchanged/,
    );
    expect(output).not.toMatch(TEMPLATE_ADVICE);
    expect(cbolBucket(await tableItems())).toBe('opsmi-from-load');
  });

  it('routes scenarios: writes the evaluated items next to the feature, and the Background reads them', async () => {
    const out = path.join(dir, 'tf.feature');
    const { code, output } = await cli(['routes', 'scenarios', '--rules', FIXTURES, ...VALUES, '--out', out]);
    expect(code, output).toBe(0);
    const feature = await readFile(out, 'utf8');
    expect(feature).toContain(`Given the routing rules from "${path.join(dir, 'tf.rules.json')}"`);
    expect(feature).toContain(
      `--rules ${FIXTURES} --template-values ${FIXTURES}/template-values.yml --workspace sandbox --out ${out}`,
    );
    expect(feature).toContain('opsmi-destination');
    expect(feature).not.toContain('opsmi-bucket-name');
    const items = JSON.parse(await readFile(path.join(dir, 'tf.rules.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    expect(items).toHaveLength(97);
    expect(items.find((item) => item.pipeline_name === 'CBOL')?.destination_bucket).toBe('opsmi-destination');
  });

  const map = (...flags: string[]) => ['routes', 'map', '--rules', FIXTURES, ...flags];
  const load = (...flags: string[]) => ['routes', 'load', FIXTURES, ...flags];
  const start = (...flags: string[]) => ['sandbox', '--no-demo', ...flags];
  it.each<[string[], string]>([
    [map('--var', 'no-equals'), '--var "no-equals": expected name=value'],
    [
      map('--var', 'environment=x'),
      '--var environment: the configuration declares no variable "environment" (it declares none)',
    ],
    [map('--var-file', 'no-such.tfvars'), '--var-file no-such.tfvars: no such file'],
    [map('--template-values', 'no-such.yml'), '--template-values no-such.yml: no such file'],
    [map('--template-value', 'opsmi'), '--template-value "opsmi": expected path.to.name=value'],
    [map('--workspace', ''), '--workspace: expected a workspace name, got an empty one'],
    [
      ['routes', 'map', '--rules', 'config/rules/routing-items.json', '--workspace', 'sandbox'],
      '--workspace: only for Terraform rules (a .tf file or a directory), and config/rules/routing-items.json is not Terraform',
    ],
    [load('--var-file', 'no-such.tfvars'), '--var-file no-such.tfvars: no such file'],
    [
      load('--template-value', 'opsmi.sandbox.bucket_name'),
      '--template-value "opsmi.sandbox.bucket_name": expected path.to.name=value',
    ],
    [['routes', 'scenarios', '--rules', FIXTURES, '--workspace', 'sandbox'], '--workspace needs --out FILE'],
    [
      start('--rules', FIXTURES, '--template-values', 'no-such.yml'),
      '--template-values no-such.yml: no such file',
    ],
    [start('--workspace', 'sandbox'), '--workspace: only with --rules DIR'],
  ])('%j: exit 2, one line naming the flag, nothing loaded', async (args, message) => {
    const where = args[0] === 'sandbox' ? path.join(dir, 'refused-state') : stateDir;
    const before = await tableItems();
    const { code, output } = await cli([
      ...args,
      ...(args[1] === 'load' || args[0] === 'sandbox' ? ['--state-dir', where] : []),
    ]);
    expect(code, output).toBe(2);
    expect(output).toContain(`egress: ${message}`);
    expect(output).not.toMatch(/\n\s+at |sandbox ready|edge listening/);
    expect(await tableItems()).toEqual(before);
  });
});
