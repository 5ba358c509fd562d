import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderTerraformTemplate,
  setTemplateValue,
  type TemplateValues,
  TerraformSyntaxError,
} from '../../src/terraform/index.ts';

const FIXTURE_TEMPLATE = path.resolve('test/terraform/fixtures/terraform.tf.j2');

describe('rendering Terraform kept as a Jinja template (terraform.tf.j2)', () => {
  it.each<[string, string, TemplateValues, string, string[]]>([
    [
      'a loop over a map, whitespace as Jinja2 defaults leave it',
      'm = {\n{%- for k, v in m.items() %}\n  {{ k }} = "{{ v }}"\n{%- endfor %}\n}\n',
      { m: { a: '1', b: '2' } },
      'm = {\n  a = "1"\n  b = "2"\n}',
      [],
    ],
    [
      'a looped value not given: an empty loop',
      'm = {\n{%- for k, v in m.items() %}x{% endfor %}\n}',
      {},
      'm = {\n}',
      ['m'],
    ],
    ['a nested value not given: empty text', 'v = "{{ a.b }}"', {}, 'v = ""', ['a.b']],
    [
      'loop variables are not template values',
      '{% for env, s in e.items() %}{% for k, v in s.items() %}{{ env }}.{{ k }}={{ v }};{% endfor %}{% endfor %}',
      { e: { dev: { x: '1' } } },
      'dev.x=1;',
      [],
    ],
  ])('%s', (_name, template, values, expected, missing) => {
    expect(renderTerraformTemplate('t.tf.j2', template, values)).toEqual({ text: expected, missing });
  });

  it('names the file when the template does not parse', () => {
    expect(() => renderTerraformTemplate('broken.tf.j2', '{% for x in %}', {})).toThrow(TerraformSyntaxError);
    expect(() => renderTerraformTemplate('broken.tf.j2', '{% for x in %}', {})).toThrow(/broken\.tf\.j2/);
  });

  it.each([
    ['opsmi.development.bucket_name=my-bucket', { opsmi: { development: { bucket_name: 'my-bucket' } } }],
    ['a=b=c', { a: 'b=c' }],
  ])('--template-value %s', (assignment, expected) => {
    const values: TemplateValues = {};
    setTemplateValue(values, assignment);
    expect(values).toEqual(expected);
  });

  it.each(['no-equals', '=x', 'a..b=1'])('refuses --template-value %s', (assignment) => {
    expect(() => setTemplateValue({}, assignment)).toThrow(/expected path\.to\.name=value/);
  });
});

/** Python's Jinja2, which the original renders with, when this machine has it (CI does). */
function pythonJinja2(): boolean {
  try {
    execFileSync('python3', ['-c', 'import jinja2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const havePython = pythonJinja2();
if (!havePython) console.warn('template.test.ts: python3 with jinja2 not found, the parity check is skipped');

describe.skipIf(!havePython)('parity with Python Jinja2 (bootstrap_terraform.py)', () => {
  it('renders the fixture template byte for byte as jinja2.Template(...).render(values) does', () => {
    const values = {
      terraform: { terraform_version: '1.3.9' },
      opsmi: { sandbox: { bucket_name: 'o' }, production: { bucket_name: 'p', account_id: '1' } },
      oneservice: {},
      pdm_rtg: { sandbox: { bucket_name: 'r', rtg_role_arn: 'arn' } },
    };
    const python = execFileSync(
      'python3',
      [
        '-c',
        'import jinja2, json, sys; t = jinja2.Template(open(sys.argv[1]).read()); sys.stdout.write(t.render(json.loads(sys.argv[2])))',
        FIXTURE_TEMPLATE,
        JSON.stringify(values),
      ],
      { encoding: 'utf8' },
    );
    const ours = renderTerraformTemplate('terraform.tf.j2', readFileSync(FIXTURE_TEMPLATE, 'utf8'), values);
    expect(ours.text).toBe(python);
  });
});
