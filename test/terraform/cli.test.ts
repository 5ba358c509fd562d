import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEnvironment, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { registerRoutesCommand } from '../../src/cli/commands/routes.ts';
import { UserError } from '../../src/cli/errors.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { scanRoutingTable } from '../../src/rule-tools/index.ts';

const FIXTURES = path.resolve('test/terraform/fixtures');

async function run(args: string[]): Promise<{ err: string; error?: unknown }> {
  const program = new Command('egress').exitOverride();
  registerRoutesCommand(program);
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    printed.push(parts.join(' '));
  });
  try {
    await program.parseAsync(['routes', 'import-tf', ...args], { from: 'user' });
    return { err: printed.join('\n') };
  } catch (error) {
    return { err: printed.join('\n'), error };
  } finally {
    spy.mockRestore();
  }
}

let dir: string;
let edge: Edge;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'import-cli-'));
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

describe('egress routes import-tf', () => {
  it('writes the items with --out and tells which values are placeholders', async () => {
    const out = path.join(dir, 'items.json');
    const { err, error } = await run([
      FIXTURES,
      '--template-values',
      path.join(FIXTURES, 'template-values.yml'),
      '--workspace',
      'sandbox',
      '--out',
      out,
    ]);
    expect(error).toBeUndefined();
    const items = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>[];
    expect(items).toHaveLength(97);
    expect(err).toContain(
      'imported 97 routing items from data-egress.tf, locals.tf, terraform.tf.j2 (variables: none)',
    );
    expect(err).toContain(
      '  data.terraform_remote_state.common.outputs.published_bucket.id → "published-bucket"  (data sources are only known at plan time)',
    );
  });

  it('loads the items into the routing table with --load', async () => {
    const { err, error } = await run([
      path.join(FIXTURES, 'data-egress.tf'),
      path.join(FIXTURES, 'locals.tf'),
      path.join(FIXTURES, 'terraform.tf.j2'),
      '--template-values',
      path.join(FIXTURES, 'template-values.yml'),
      '--template-value',
      'opsmi.sandbox.bucket_name=opsmi-from-flag',
      '--workspace',
      'sandbox',
      '--load',
      '--endpoint',
      edge.endpoint,
    ]);
    expect(error).toBeUndefined();
    expect(err).toContain(
      `loaded 97 items into table data-egress at ${edge.endpoint} (1 invalid for the egress service: egress routes validate says why)`,
    );
    const items = await scanRoutingTable(edge.target, 'data-egress');
    expect(items).toHaveLength(97);
    const cbol = items.find((item) => item.pipeline_name === 'CBOL');
    expect(cbol).toEqual({
      source_prefix: 'dataegress/cbol-report/$TODAYS_DATE/*',
      pipeline_name: 'CBOL',
      recipient_name: 'CBOL',
      transfer_type: 'S3',
      source_bucket: 'published-bucket',
      destination_bucket: 'opsmi-from-flag',
      destination_prefix: 'cbol/$TODAYS_DATE/',
      decrypt: true,
      rewrap_datakey: false,
      encrypting_key_ssm_parm_name: '',
    });
  });

  it('without the template values, names each placeholder that stays and the items that hold it', async () => {
    const { err, error } = await run([FIXTURES, '--workspace', 'sandbox', '--out', path.join(dir, 'x.json')]);
    expect(error).toBeUndefined();
    expect(err).toContain(
      '  terraform.tf.j2: rendered without the template values opsmi, oneservice, pdm_rtg, terraform.terraform_version',
    );
    expect(err).toContain('values could not be known and hold placeholders, in 97 of 97 items:');
    expect(err).toContain(
      '  local.opsmi[local.environment].bucket_name → "opsmi-bucket-name"  (no element "sandbox"; terraform.tf.j2 builds local.opsmi from the template value "opsmi", which was not given',
    );
    expect(err).toContain('    in 2 items: opsmi_data_egress_config, cbol_data_egress_config');
  });

  it.each<[string[], string | RegExp]>([
    [[FIXTURES, '--var', 'no-equals'], '--var "no-equals": expected name=value'],
    [[FIXTURES, '--template-value', 'x'], '--template-value "x": expected path.to.name=value'],
    [
      [FIXTURES, '--template-values', path.join(os.tmpdir(), 'no-such-values.yml')],
      /--template-values \S+no-such-values\.yml: no such file/,
    ],
    [
      [FIXTURES, '--var-file', path.join(os.tmpdir(), 'no-such.tfvars')],
      /--var-file \S+no-such\.tfvars: no such file/,
    ],
    [
      [FIXTURES, '--var', 'env=x'],
      '--var env: the configuration declares no variable "env" (it declares none)',
    ],
    [[path.join(os.tmpdir(), 'no-such-dir-tf')], 'does not exist'],
    [[FIXTURES, '--out', 'x.json', '--load'], 'give --out FILE or --load, not both'],
    [[FIXTURES, '--load'], '--load needs --sandbox DIR or --endpoint URL'],
  ])('reports %j as a user error', async (args, message) => {
    const saved = process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL;
    try {
      const { error } = await run(args);
      expect(error).toBeInstanceOf(UserError);
      if (typeof message === 'string') expect((error as Error).message).toContain(message);
      else expect((error as Error).message).toMatch(message);
    } finally {
      if (saved !== undefined) process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});
