import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromAttributeValues,
  type ImportResult,
  importRoutingItems,
  readTemplateValuesFile,
  type TemplateValues,
  TerraformItemError,
  TerraformSyntaxError,
} from '../../src/terraform/index.ts';
import { renderFixture } from './fixtures/generate.ts';

const FIXTURES = path.resolve('test/terraform/fixtures');
const TEMPLATE_VALUES = path.join(FIXTURES, 'template-values.yml');

type Item = Record<string, unknown>;

/** The fixture's items without `_note`, the one annotation the import words differently. */
function withoutNotes(items: readonly Item[]): Item[] {
  return items.map(({ _note, ...rest }) => rest);
}

let dir: string;
let roundTrip: ImportResult;
let templateValues: TemplateValues;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tf-import-'));
  templateValues = await readTemplateValuesFile(TEMPLATE_VALUES);
  roundTrip = await importRoutingItems([FIXTURES], { templateValues, workspace: 'sandbox', env: {} });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a small configuration and imports it. */
async function importConfig(
  name: string,
  files: Record<string, string>,
  options = {},
): Promise<ImportResult> {
  const root = path.join(dir, name);
  await mkdir(root, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, file), text);
  return importRoutingItems([root], { env: {}, ...options });
}

const ITEM = (extra: string) => `
  item = <<ITEM
  {
    "source_prefix":  {"S": "\${each.key}/"},
    "pipeline_name":  {"S": "P"},
    "transfer_type":  {"S": "S3"},
    "source_bucket":  {"S": "src"},
    "destination_bucket": {"S": "dst"}${extra}
  }
  ITEM`;

describe('egress routes import-tf: the round trip against config/rules/routing-items.json', () => {
  it('reproduces the 97 items exactly (values, attribute order, _resource, _for_each), modulo _note', async () => {
    const fixture = JSON.parse(await readFile('config/rules/routing-items.json', 'utf8')) as Item[];
    const imported = roundTrip.items.map((item) => item.item);
    expect(imported).toHaveLength(97);
    expect(JSON.stringify(withoutNotes(imported))).toBe(JSON.stringify(withoutNotes(fixture)));
    // _note is on exactly the items the fixture annotates, and says what stood in for what.
    expect(imported.filter((item) => item._note).map((item) => item._resource)).toEqual(
      fixture.filter((item) => item._note).map((item) => item._resource),
    );
    expect(imported[0]?._note).toBe(
      'for_each over local.rtg_pdm_queries is not resolvable (data.aws_secretsmanager_secret_version.rtg_pdm_queries.secret_string: data sources are only known at plan time), so it is kept as ONE entry. ' +
        'Placeholders: each.value.source_prefix -> "rtg-pdm-queries-source-prefix", each.value.destination_prefix -> "rtg-pdm-queries-destination-prefix", ' +
        'each.value.decrypt -> "rtg-pdm-queries-decrypt", each.value.rewrap_datakey -> "rtg-pdm-queries-rewrap-datakey", ' +
        'each.value.encrypting_key_ssm_parm_name -> "rtg-pdm-queries-encrypting-key-ssm-parm-name". ' +
        'Boolean-typed attributes holding a placeholder string: rtg-pdm-queries-decrypt, rtg-pdm-queries-rewrap-datakey',
    );
  });

  it('resolves table_name from the table resource and reports every placeholder with its reason', () => {
    expect(new Set(roundTrip.items.map((item) => item.table))).toEqual(new Set(['data-egress']));
    expect(
      new Set(
        roundTrip.placeholders
          .filter((use) => !use.expression.startsWith('each.'))
          .map((use) => use.placeholder),
      ),
    ).toEqual(new Set(['published-bucket', 'htme-s3-bucket', 'dataworks-model-published-bucket']));
    expect(roundTrip.placeholders.find((use) => use.placeholder === 'published-bucket')?.reason).toBe(
      'data sources are only known at plan time',
    );
  });

  it('the committed fixture is what the generator renders', async () => {
    for (const [name, text] of Object.entries(renderFixture())) {
      expect(await readFile(path.join(FIXTURES, name), 'utf8'), name).toBe(text);
    }
  });

  it('without the template values, the 64 items whose buckets come from terraform.tf.j2 keep placeholders, each reported with its items', async () => {
    const result = await importRoutingItems([FIXTURES], { workspace: 'sandbox', env: {} });
    expect(result.templates).toEqual([
      {
        file: path.join(FIXTURES, 'terraform.tf.j2'),
        missing: ['opsmi', 'oneservice', 'pdm_rtg', 'terraform.terraform_version'],
      },
    ]);
    const fromTemplate = result.placeholders.filter((use) => use.expression.startsWith('local.'));
    expect(new Set(fromTemplate.map((use) => use.address)).size).toBe(64);
    expect(new Set(fromTemplate.map((use) => use.placeholder))).toEqual(
      new Set(['opsmi-bucket-name', 'oneservice-bucket-name', 'pdm-rtg-bucket-name', 'pdm-rtg-rtg-role-arn']),
    );
    expect(fromTemplate.find((use) => use.address === 'cbol_data_egress_config')).toEqual({
      address: 'cbol_data_egress_config',
      expression: 'local.opsmi[local.environment].bucket_name',
      placeholder: 'opsmi-bucket-name',
      reason:
        'no element "sandbox"; terraform.tf.j2 builds local.opsmi from the template value "opsmi", which was not given (--template-values FILE or --template-value opsmi.<environment>.<attribute>=VALUE)',
    });
    const cbol = result.items.find((item) => item.address === 'cbol_data_egress_config');
    expect(cbol?.item.destination_bucket).toBe('opsmi-bucket-name');
  });

  it('with the template values, every local of terraform.tf.j2 is concrete: only remote state and secrets stay placeholders', () => {
    const locals = roundTrip.placeholders.filter((use) => use.expression.startsWith('local.'));
    expect(locals).toEqual([]);
    const rtg = roundTrip.items.find((item) => item.address === 'pdm_rtg_data_egress_config');
    expect(rtg?.item).toMatchObject({
      destination_bucket: 'pdm-rtg-destination',
      role_arn: 'pdm-rtg-role-arn',
    });
  });

  it('the workspace chooses the environment, as terraform.workspace does (default → development)', async () => {
    const production = await importRoutingItems([FIXTURES], {
      templateValues,
      workspace: 'production',
      env: {},
    });
    const cbol = (result: ImportResult) =>
      result.items.find((item) => item.address === 'cbol_data_egress_config');
    expect(cbol(production)?.item.destination_bucket).toBe('dwx-production-opsmi-egress');
    expect(
      production.items.find((item) => item.address === 'pdm_rtg_data_egress_config')?.item.role_arn,
    ).toBe('arn:aws:iam::000000000000:role/rtg-egress');
    // No workspace given: Terraform's "default", which the original maps to "development".
    const development = await importRoutingItems([FIXTURES], {
      templateValues: { ...templateValues, opsmi: { development: { bucket_name: 'dev-opsmi' } } },
      env: {},
    });
    expect(cbol(development)?.item.destination_bucket).toBe('dev-opsmi');
  });
});

describe('egress routes import-tf: expressions and for_each', () => {
  it('expands for_each over a variable list (the RIS shape) into one item per collection, in key order', async () => {
    const result = await importConfig(
      'ris',
      {
        'main.tf': `
variable "collections" { type = list(string) }
resource "aws_dynamodb_table_item" "ris" {
  table_name = "data-egress"
  for_each = nonsensitive(toset([for c in var.collections : c if c != "NOT_SET"]))
${ITEM(`,
    "control_file_prefix": {"S": "\${each.key}-$TODAYS_DATE.control"},
    "decrypt": {"bool": true}`)}
}`,
      },
      {
        varFiles: [
          await writeVars('ris.tfvars.json', {
            collections: ['db.core.contract', 'NOT_SET', 'db.core.claimant'],
          }),
        ],
      },
    );
    expect(result.items.map((item) => item.item)).toEqual([
      {
        _resource: 'ris["db.core.claimant"]',
        source_prefix: 'db.core.claimant/',
        pipeline_name: 'P',
        transfer_type: 'S3',
        source_bucket: 'src',
        destination_bucket: 'dst',
        control_file_prefix: 'db.core.claimant-$TODAYS_DATE.control',
        decrypt: true,
      },
      {
        _resource: 'ris["db.core.contract"]',
        source_prefix: 'db.core.contract/',
        pipeline_name: 'P',
        transfer_type: 'S3',
        source_bucket: 'src',
        destination_bucket: 'dst',
        control_file_prefix: 'db.core.contract-$TODAYS_DATE.control',
        decrypt: true,
      },
    ]);
  });

  it('expands for_each over a map of objects in locals, with unquoted booleans from each.value', async () => {
    const result = await importConfig('pdm', {
      'main.tf': `
locals {
  queries = [
    { source_prefix = "pdm/a", decrypt = true },
    { source_prefix = "pdm/b", decrypt = false },
  ]
}
resource "aws_dynamodb_table_item" "pdm" {
  for_each = { for q in local.queries : q.source_prefix => q }
${ITEM(`,
    "decrypt": {"bool": \${each.value.decrypt}},
    "note":    {"S": "\${upper(each.value.source_prefix)} \${format("%s-%d", "x", 2)}"}`)}
}`,
    });
    expect(
      result.items.map((item) => [item.address, item.item.source_prefix, item.item.decrypt, item.item.note]),
    ).toEqual([
      ['pdm["pdm/a"]', 'pdm/a/', true, 'PDM/A x-2'],
      ['pdm["pdm/b"]', 'pdm/b/', false, 'PDM/B x-2'],
    ]);
  });

  it('--var wins over TF_VAR_ and the variables files, as terraform plan -var does; HCL for collections', async () => {
    const files = {
      'main.tf': `
variable "env" { default = "from-default" }
variable "prefixes" { type = list(string) }
resource "aws_dynamodb_table_item" "x" {
  for_each = toset(var.prefixes)
  item = <<ITEM
  {"source_prefix": {"S": "\${each.key}/\${var.env}/"}, "pipeline_name": {"S": "P"}}
  ITEM
}`,
    };
    const result = await importConfig('vars', files, {
      env: { TF_VAR_env: 'from-env' },
      varFiles: [await writeVars('vars.tfvars.json', { env: 'from-file', prefixes: ['a'] })],
      variables: { env: 'from-flag', prefixes: '["b", "c"]' },
    });
    expect(result.items.map((item) => item.item.source_prefix)).toEqual(['b/from-flag/', 'c/from-flag/']);
  });

  it('count = 0 leaves a resource out; conditionals and terraform.workspace are evaluated', async () => {
    const result = await importConfig(
      'count',
      {
        'main.tf': `
resource "aws_dynamodb_table_item" "prod_only" {
  count = terraform.workspace == "production" ? 1 : 0
  item = <<ITEM
  {"source_prefix": {"S": "p/"}, "pipeline_name": {"S": "P"}}
  ITEM
}
resource "aws_dynamodb_table_item" "always" {
  item = <<ITEM
  {"source_prefix": {"S": "\${terraform.workspace}/"}, "pipeline_name": {"S": "A"}}
  ITEM
}`,
      },
      { workspace: 'qa' },
    );
    expect(result.skipped).toEqual([{ address: 'prod_only', reason: 'count = 0' }]);
    expect(result.items.map((item) => item.item)).toEqual([
      { _resource: 'always', source_prefix: 'qa/', pipeline_name: 'A' },
    ]);
  });

  it('ignores commented-out resources', async () => {
    const names = roundTrip.items.map((item) => item.address);
    expect(names).not.toContain('htme_full_rtg_data_egress_config');
    expect(names).not.toContain('htme_incremental_rtg_data_egress_config');
  });

  it('names the file when the HCL does not parse', async () => {
    await expect(importConfig('bad', { 'broken.tf': 'resource "x" "y" {\n  a = \n}\n' })).rejects.toThrow(
      TerraformSyntaxError,
    );
    await expect(importConfig('bad2', { 'broken.tf': 'resource "x" "y" {\n  a = \n}\n' })).rejects.toThrow(
      /broken\.tf/,
    );
  });

  it('names the resource when the item is not JSON or has an unknown attribute type', async () => {
    await expect(
      importConfig('notjson', {
        'main.tf':
          'resource "aws_dynamodb_table_item" "broken" {\n  item = <<ITEM\n  {"a": {"S": "x"},}\n  ITEM\n}\n',
      }),
    ).rejects.toThrow(/main\.tf: broken: item is not JSON once evaluated/);
    await expect(
      importConfig('badtype', {
        'main.tf':
          'resource "aws_dynamodb_table_item" "odd" {\n  item = <<ITEM\n  {"a": {"X": "x"}}\n  ITEM\n}\n',
      }),
    ).rejects.toThrow(TerraformItemError);
  });
});

describe('DynamoDB attribute-value JSON → plain items', () => {
  it.each([
    [{ a: { S: 'x' } }, { a: 'x' }],
    [
      { a: { bool: true }, b: { BOOL: false }, c: { Bool: true } },
      { a: true, b: false, c: true },
    ],
    [{ a: { N: '42' } }, { a: 42 }],
    [{ a: { NULL: true } }, { a: null }],
    [{ a: { L: [{ S: 'x' }, { N: '1' }] } }, { a: ['x', 1] }],
    [{ a: { M: { b: { S: 'y' } } } }, { a: { b: 'y' } }],
    [
      { a: { SS: ['x', 'y'] }, b: { NS: ['1'] } },
      { a: ['x', 'y'], b: [1] },
    ],
    // A placeholder where a boolean belongs stays a string: the egress schema reports the item.
    [{ a: { bool: 'rtg-pdm-queries-decrypt' } }, { a: 'rtg-pdm-queries-decrypt' }],
  ])('%j → %j', (input, expected) => {
    expect(fromAttributeValues(input)).toEqual(expected);
  });

  it('names the attribute at fault', () => {
    expect(() => fromAttributeValues({ decrypt: { S: 'x', N: '1' } })).toThrow(
      'decrypt: an attribute value has exactly one type key, got S, N',
    );
    expect(() => fromAttributeValues({ tags: { L: [{ Q: 1 }] } })).toThrow(
      'tags[0]: unknown attribute type "Q"',
    );
  });
});

async function writeVars(name: string, values: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(values));
  return file;
}
