import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironment, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
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
let edge: Edge;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tf-values-cli-'));
  edge = await startEdge({ port: 0 });
  await provisionEnvironment(
    edge.target,
    await parseEnvironment('tables: [{ name: data-egress }]', 'inline.yml'),
  );
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

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

  it('routes load: loads the evaluated items into the table at an endpoint', async () => {
    const { code, output } = await cli(['routes', 'load', FIXTURES, ...VALUES, '--endpoint', edge.endpoint]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/loaded 97 routing items from Terraform \S+fixtures into table data-egress/);
    expect(output).not.toMatch(TEMPLATE_ADVICE);
    const items = await scanRoutingTable(edge.target, 'data-egress');
    expect(items.find((item) => item.pipeline_name === 'CBOL')?.destination_bucket).toBe('opsmi-destination');
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

  it('sandbox --rules: loads the evaluated items at start', async () => {
    const stateDir = path.join(dir, 'state');
    let sandbox: CliProcess | undefined;
    try {
      sandbox = runCli(
        ['sandbox', '--no-demo', '--state-dir', stateDir, '--rules', FIXTURES, ...VALUES],
        EPHEMERAL_PORTS,
      );
      const output = await sandbox.waitForOutput(/sandbox ready/, 90_000);
      expect(output).toMatch(/loaded 97 routing items from Terraform \S+fixtures into table data-egress/);
      expect(output).not.toMatch(TEMPLATE_ADVICE);
      const state = await readSandboxState(stateDir);
      const items = await scanRoutingTable(sandboxTarget(state), state.table);
      expect(items.find((item) => item.pipeline_name === 'CBOL')?.destination_bucket).toBe(
        'opsmi-destination',
      );
    } finally {
      if (sandbox?.child.exitCode === null) {
        sandbox.child.kill('SIGTERM');
        await sandbox.exited;
      }
    }
  }, 120_000);

  it.each<[string, string[], string]>([
    [
      'routes map',
      ['routes', 'map', '--rules', FIXTURES, '--var', 'no-equals'],
      '--var "no-equals": expected name=value',
    ],
    [
      'routes map',
      ['routes', 'map', '--rules', FIXTURES, '--var', 'environment=x'],
      '--var environment: the configuration declares no variable "environment" (it declares none)',
    ],
    [
      'routes map',
      ['routes', 'map', '--rules', FIXTURES, '--var-file', 'no-such.tfvars'],
      '--var-file no-such.tfvars: no such file',
    ],
    [
      'routes map',
      ['routes', 'map', '--rules', FIXTURES, '--template-values', 'no-such.yml'],
      '--template-values no-such.yml: no such file',
    ],
    [
      'routes map',
      ['routes', 'map', '--rules', FIXTURES, '--template-value', 'opsmi'],
      '--template-value "opsmi": expected path.to.name=value',
    ],
    [
      'routes map',
      ['routes', 'map', '--rules', 'config/rules/routing-items.json', '--workspace', 'sandbox'],
      '--workspace: only for Terraform rules (a .tf file or a directory), and config/rules/routing-items.json is not Terraform',
    ],
    [
      'routes load',
      ['routes', 'load', FIXTURES, '--var-file', 'no-such.tfvars'],
      '--var-file no-such.tfvars: no such file',
    ],
    [
      'routes scenarios',
      ['routes', 'scenarios', '--rules', FIXTURES, '--workspace', 'sandbox'],
      '--workspace needs --out FILE',
    ],
    [
      'sandbox',
      ['sandbox', '--no-demo', '--rules', FIXTURES, '--template-values', 'no-such.yml'],
      '--template-values no-such.yml: no such file',
    ],
    ['sandbox', ['sandbox', '--no-demo', '--workspace', 'sandbox'], '--workspace: only with --rules DIR'],
  ])('%s %j: exit 2, one line naming the flag, nothing loaded', async (_command, args, message) => {
    const stateDir = path.join(dir, 'refused-state');
    const extra =
      args[0] === 'sandbox'
        ? ['--state-dir', stateDir]
        : args[1] === 'load'
          ? ['--endpoint', edge.endpoint]
          : [];
    const before = (await scanRoutingTable(edge.target, 'data-egress')).length;
    const { code, output } = await cli([...args, ...extra]);
    expect(code, output).toBe(2);
    expect(output).toContain(`egress: ${message}`);
    expect(output).not.toMatch(/\n\s+at |sandbox ready|edge listening/);
    expect((await scanRoutingTable(edge.target, 'data-egress')).length).toBe(before);
  });
});
