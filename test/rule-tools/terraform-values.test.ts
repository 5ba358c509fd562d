import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  givenTerraformFlags,
  importOptionsFor,
  loadRules,
  NO_TERRAFORM_VALUES,
  parseTerraformValues,
  RuleSourceError,
  type TerraformValueFlags,
  TerraformValuesError,
  terraformValueArguments,
} from '../../src/rule-tools/index.ts';

/** The Terraform value flags every rules-source command shares, read once (issues #18, #19, #21, #22). */

const FIXTURES = path.resolve('test/terraform/fixtures');
/** Scratch files of the cases that need a file on disk. */
const dir = await mkdtemp(path.join(os.tmpdir(), 'terraform-values-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('parseTerraformValues', () => {
  it.each<[string, TerraformValueFlags, unknown]>([
    ['no flags', {}, NO_TERRAFORM_VALUES],
    [
      'every flag',
      {
        varFile: ['a.tfvars', 'b.tfvars.json'],
        var: ['env=prod', 'list=["a", "b"]', 'env=later', 'empty='],
        templateValues: 'values.yml',
        templateValue: ['opsmi.sandbox.bucket_name=x=y'],
        workspace: 'sandbox',
      },
      {
        varFiles: ['a.tfvars', 'b.tfvars.json'],
        variables: { env: 'later', list: '["a", "b"]', empty: '' },
        templateValuesFile: 'values.yml',
        templateValueAssignments: [{ path: 'opsmi.sandbox.bucket_name', value: 'x=y' }],
        workspace: 'sandbox',
      },
    ],
    [
      'a name with dashes, spaces around it',
      { var: [' my-var =v'] },
      { ...NO_TERRAFORM_VALUES, variables: { 'my-var': 'v' } },
    ],
  ])('reads %s', (_case, flags, expected) => {
    expect(parseTerraformValues(flags)).toEqual({
      templateValuesFile: undefined,
      workspace: undefined,
      ...(expected as object),
    });
  });

  it.each<[TerraformValueFlags, string]>([
    [{ var: ['no-equals'] }, '--var "no-equals": expected name=value'],
    [{ var: ['=value'] }, '--var "=value": expected name=value'],
    [{ var: ['1st=value'] }, '--var "1st=value": expected name=value'],
    [{ var: ['a.b=value'] }, '--var "a.b=value": expected name=value'],
    [{ templateValue: ['x'] }, '--template-value "x": expected path.to.name=value'],
    [{ templateValue: ['a..b=1'] }, '--template-value "a..b=1": expected path.to.name=value'],
    [{ varFile: [''] }, '--var-file: expected a file name, got an empty one'],
    [{ templateValues: ' ' }, '--template-values: expected a file name, got an empty one'],
    [{ workspace: '' }, '--workspace: expected a workspace name, got an empty one'],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => parseTerraformValues(flags)).toThrow(new TerraformValuesError(message));
  });

  it('names the flags given, and gives them back as arguments in the order of the help', () => {
    const values = parseTerraformValues({
      workspace: 'w',
      templateValue: ['a.b=c'],
      var: ['x=1'],
      varFile: ['f.tfvars'],
    });
    expect(givenTerraformFlags(values)).toEqual(['--var-file', '--var', '--template-value', '--workspace']);
    expect(givenTerraformFlags(NO_TERRAFORM_VALUES)).toEqual([]);
    expect(terraformValueArguments(values)).toEqual([
      '--var-file',
      'f.tfvars',
      '--var',
      'x=1',
      '--template-value',
      'a.b=c',
      '--workspace',
      'w',
    ]);
  });
});

describe('importOptionsFor', () => {
  it('lays the --template-value assignments over the file', async () => {
    const options = await importOptionsFor(
      parseTerraformValues({
        templateValues: path.join(FIXTURES, 'template-values.yml'),
        templateValue: ['opsmi.sandbox.bucket_name=from-flag', 'extra.x=1'],
        workspace: 'sandbox',
      }),
    );
    expect(options.workspace).toBe('sandbox');
    expect(options.templateValues).toMatchObject({
      opsmi: {
        sandbox: { bucket_name: 'from-flag' },
        production: { bucket_name: 'dwx-production-opsmi-egress' },
      },
      extra: { x: '1' },
    });
  });

  it.each<[string, (dir: string) => Promise<TerraformValueFlags>, RegExp]>([
    [
      'a missing --var-file',
      async (d) => ({ varFile: [path.join(d, 'none.tfvars')] }),
      /^--var-file \S+none\.tfvars: no such file$/,
    ],
    ['a directory as --var-file', async (d) => ({ varFile: [d] }), /^--var-file \S+: not a file$/],
    [
      'a missing --template-values',
      async (d) => ({ templateValues: path.join(d, 'none.yml') }),
      /^--template-values \S+none\.yml: no such file$/,
    ],
    [
      '--template-values that are not a mapping',
      async (d) => {
        const file = path.join(d, 'list.yml');
        await writeFile(file, '- a\n- b\n');
        return { templateValues: file };
      },
      /^--template-values: \S+list\.yml: expected a mapping of template values$/,
    ],
  ])('refuses %s, naming the flag and the file', async (_case, flags, message) => {
    await expect(importOptionsFor(parseTerraformValues(await flags(dir)))).rejects.toThrow(message);
  });
});

describe('loadRules with Terraform values', () => {
  it('evaluates the fixture with the values: the placeholders are replaced, the template advice is gone', async () => {
    const without = await loadRules({ rules: FIXTURES });
    const cbolWithout = without.records.find((record) => record.item.pipeline_name === 'CBOL');
    expect(cbolWithout?.item.destination_bucket).toBe('opsmi-bucket-name');
    expect(without.notes?.join('\n')).toContain('--template-values FILE');

    const loaded = await loadRules({
      rules: FIXTURES,
      terraform: parseTerraformValues({
        templateValues: path.join(FIXTURES, 'template-values.yml'),
        workspace: 'sandbox',
      }),
    });
    const cbol = loaded.records.find((record) => record.item.pipeline_name === 'CBOL');
    expect(cbol?.item.destination_bucket).toBe('opsmi-destination');
    expect(loaded.notes?.join('\n')).not.toMatch(/template value|opsmi-bucket-name/);
  });

  it('sets a declared variable with --var and refuses an undeclared one', async () => {
    const terraform = path.join(dir, 'vars');
    await rm(terraform, { recursive: true, force: true });
    await mkdir(terraform);
    await writeFile(
      path.join(terraform, 'main.tf'),
      [
        'variable "environment" { default = "development" }',
        'resource "aws_dynamodb_table_item" "x" {',
        '  item = <<ITEM',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Terraform interpolation, as Terraform has it
        '  {"source_prefix": {"S": "p/"}, "pipeline_name": {"S": "P"}, "destination_bucket": {"S": "out-${var.environment}"}}',
        '  ITEM',
        '}',
        '',
      ].join('\n'),
    );
    const loaded = await loadRules({
      rules: terraform,
      terraform: parseTerraformValues({ var: ['environment=production'] }),
    });
    expect(loaded.records[0]?.item.destination_bucket).toBe('out-production');
    await expect(
      loadRules({ rules: terraform, terraform: parseTerraformValues({ var: ['enviroment=production'] }) }),
    ).rejects.toThrow(
      new RuleSourceError(
        '--var enviroment: the configuration declares no variable "enviroment" (declared: environment)',
      ),
    );
  });

  it.each<[string, string | undefined, string]>([
    [
      'a JSON rules file',
      'config/rules/routing-items.json',
      '--workspace: only for Terraform rules (a .tf file or a directory), and config/rules/routing-items.json is not Terraform',
    ],
    [
      'a table (no --rules)',
      undefined,
      '--workspace: only for Terraform rules: give them with --rules DIR (a .tf file or a directory)',
    ],
  ])('refuses values for %s before reading anything', async (_case, rules, message) => {
    await expect(
      loadRules({
        rules,
        endpoint: 'http://127.0.0.1:1',
        terraform: parseTerraformValues({ workspace: 'w' }),
      }),
    ).rejects.toThrow(new RuleSourceError(message));
  });
});
