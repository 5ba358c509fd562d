import { describe, expect, it } from 'vitest';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { planDataObject, planDataObjectNaming } from '../../src/egress/plan/destinations.ts';
import { targetKey, traceTargetKey } from '../../src/egress/plan/naming.ts';
import { listingIncludes, planListedObject, planRule } from '../../src/egress/plan/rule-plan.ts';
import { resolveRule } from '../../src/egress/rules/matching.ts';
import { parseRoutingItem } from '../../src/egress/rules/schema.ts';
import {
  expectedDeliveriesForRule,
  keyUnderPrefix,
  recordsFromItems,
  sampleFlagKey,
  sampleForItem,
  traceSftDelivery,
} from '../../src/rule-tools/index.ts';
import { sandboxSftAgentConfig } from '../../src/sft/sandbox-config.ts';

const STAMPS = dateStamps(new Date('2021-09-01T12:34:56Z'), 'UTC');
const SFT_CONFIG = sandboxSftAgentConfig({ nifiUrl: 'https://127.0.0.1:8091' });

function resolved(overrides: Record<string, unknown>) {
  const result = parseRoutingItem({
    source_prefix: 'in/',
    pipeline_name: 'P',
    transfer_type: 'S3',
    source_bucket: 'src',
    destination_bucket: 'dst',
    destination_prefix: 'out/',
    ...overrides,
  });
  if (!result.ok) throw new Error(result.invalid.reason);
  return resolveRule(result.rule, STAMPS);
}

describe('the naming trace is the naming', () => {
  it.each([
    ['out/', 'a/b/report.csv.enc', true, 'gz'],
    ['/', 'opsmi/x.csv', false, undefined],
    ['', 'x.csv', false, 'z'],
    ['a//', 'x/y.csv.enc', false, undefined],
  ] as const)('prefix %j, name %j, decrypt %s, %s', (prefix, name, decrypt, compression) => {
    const options = { destinationPrefix: prefix, decrypt, compression };
    const traced = traceTargetKey(name, options);
    expect(traced.key).toBe(targetKey(name, options));
    expect(traced.steps.at(-1)?.result ?? name).toBe(traced.key);
  });

  it('records each step that changed the name, in order', () => {
    const rule = resolved({ decrypt: true, compress: true, compress_fmt: 'gz', timestamp_files: true });
    const { destination, steps } = planDataObjectNaming(rule, 'in/sub/report.csv.enc');
    expect(destination).toEqual(planDataObject(rule, 'in/sub/report.csv.enc'));
    expect(steps).toEqual([
      { step: 'timestamp', result: 'in/sub/report.20210901.csv.enc' },
      { step: 'file-name', result: 'report.20210901.csv.enc' },
      { step: 'destination-prefix', result: 'out/report.20210901.csv.enc' },
      { step: 'strip-enc', result: 'out/report.20210901.csv' },
      { step: 'compression-suffix', result: 'out/report.20210901.csv.gz' },
    ]);
  });
});

describe('planListedObject and planRule: what a rule does with what it lists', () => {
  it.each([
    ['in/x.csv', 'send'],
    ['in/pipeline_success.flag', 'skip'],
    ['in/db.x-pipeline_success.flag', 'skip'],
    ['in/folder/', 'skip'],
  ])('S3 rule, %j → %s', (key, action) => {
    expect(planListedObject(resolved({}), key).action).toBe(action);
  });

  it('refuses, at planning, an SFT directory that would leave the SFT root (the sink refuses it too)', () => {
    const decision = planListedObject(
      resolved({ transfer_type: 'SFT', destination_prefix: '/data-egress/../etc' }),
      'in/x.csv',
    );
    expect(decision).toEqual({ action: 'refuse', reason: expect.stringMatching(/'\.\.' segment/) });
  });

  it('the control lines are what was sent; a control file name that cannot be written fails the rule', () => {
    const rule = resolved({
      transfer_type: 'SFT',
      destination_prefix: '/x/',
      control_file_prefix: 'c.control',
    });
    const plan = planRule(rule, ['in/a.csv', 'in/pipeline_success.flag', 'in/b.csv']);
    expect(plan.outcome).toBe('completes');
    expect(plan.controlEntries).toEqual(['a.csv', 'b.csv']);
    expect(plan.controlFile).toEqual({
      kind: 'control',
      destination: { transferType: 'SFT', directory: '/x/', fileName: 'c.control' },
    });
    const refused = planRule(resolved({ transfer_type: 'SFT', control_file_prefix: '..' }), ['in/a.csv']);
    expect(refused.outcome).toBe('fails');
    expect(refused.failures).toEqual([expect.stringMatching(/^control file: /)]);
  });

  it('lists the rule’s own bucket under its resolved prefix', () => {
    const rule = resolved({ source_prefix: 'in/$TODAYS_DATE/*' });
    expect(listingIncludes(rule, 'src', 'in/2021-09-01/a/b.csv')).toBe(true);
    expect(listingIncludes(rule, 'other', 'in/2021-09-01/a/b.csv')).toBe(false);
    expect(listingIncludes(rule, 'src', 'in/2021-08-31/b.csv')).toBe(false);
  });
});

describe('rule samples', () => {
  it.each([
    ['dataegress/cbol-report/2021-09-01/', 'dataegress/cbol-report/2021-09-01/s.csv'],
    ['businessdata/incremental/ris-collection-', 'businessdata/incremental/ris-collection-s.csv'],
    ['collections/x/database.collection5_', 'collections/x/database.collection5_s.csv'],
    ['today/2021-09-01', 'today/2021-09-01/s.csv'],
    ['/dataworks-data-egress/sft', '/dataworks-data-egress/sft/s.csv'],
    ['', 's.csv'],
  ])('under %j: %j', (prefix, key) => {
    expect(keyUnderPrefix(prefix, 's.csv')).toBe(key);
    expect(sampleFlagKey(prefix)).toBe(keyUnderPrefix(prefix, 'pipeline_success.flag'));
  });

  it('samples a deployed RIS rule with today’s date, a concrete name and its per-collection flag', () => {
    const sample = sampleForItem(
      {
        source_prefix: 'businessdata/mongo/ucdata/$TODAYS_DATE/incremental/ris-collection-*',
        source_bucket: 'htme-s3-bucket',
        decrypt: true,
      },
      STAMPS,
    );
    expect(sample).toEqual({
      bucket: 'htme-s3-bucket',
      prefix: 'businessdata/mongo/ucdata/2021-09-01/incremental/ris-collection-',
      dataKey: 'businessdata/mongo/ucdata/2021-09-01/incremental/ris-collection-sample.csv.enc',
      flagKey: 'businessdata/mongo/ucdata/2021-09-01/incremental/ris-collection-pipeline_success.flag',
    });
    expect(sampleForItem({ source_prefix: 7, source_bucket: 'b' }, STAMPS)).toBeUndefined();
  });

  it('expected deliveries of one rule: the sample through the SFT agent to stub-hdfs, and its control file', () => {
    const [record] = recordsFromItems(
      [
        {
          source_prefix: 'businessdata/mongo/ucdata/$TODAYS_DATE/incremental/ris-collection-*',
          pipeline_name: 'RIS_SFT',
          recipient_name: 'DSP',
          transfer_type: 'SFT',
          source_bucket: 'htme-s3-bucket',
          destination_prefix: '/data-egress/RIS',
          decrypt: true,
          control_file_prefix: 'ris-collection-$TODAYS_DATE.control',
          timestamp_files: true,
        },
      ],
      'items',
    );
    const result = expectedDeliveriesForRule(record!, STAMPS, { config: SFT_CONFIG, nifiBucket: 'hdfs' });
    const where = 'internal/DSPRIS/inbound/Dataworks/UCFS/data';
    expect(result?.outcome.deliveries.map((d) => [d.kind, d.arrivals])).toEqual([
      [
        'data',
        [
          {
            kind: 's3',
            bucket: 'hdfs',
            key: `${where}/ris-collection-sample.20210901.csv.enc`,
            via: `SFT → ${where}`,
          },
        ],
      ],
      [
        'control',
        [
          {
            kind: 's3',
            bucket: 'hdfs',
            key: `${where}/ris-collection-20210901.control`,
            via: `SFT → ${where}`,
          },
        ],
      ],
    ]);
    expect(result?.outcome.deliveries[1]?.controlEntries).toEqual(['ris-collection-sample.20210901.csv.enc']);
  });
});

describe('the SFT leg, with the agent’s own functions', () => {
  it.each([
    ['/data-egress/sas/', 'x.csv', 'routed'],
    ['data-egress//sas', 'x.csv', 'routed'],
    ['/data-egress/nobody', 'x.csv', 'unwatched'],
  ])('%j / %j → %s', (directory, name, outcome) => {
    expect(traceSftDelivery(SFT_CONFIG, directory, name, 'hdfs').outcome).toBe(outcome);
  });

  it('refuses what the service refuses', () => {
    expect(() => traceSftDelivery(SFT_CONFIG, '/data-egress/../etc', 'x.csv', 'hdfs')).toThrow(
      /'\.\.' segment/,
    );
  });

  // Names the agent ignores are refused by the service itself (issue 12): never "sent" and stranded.
  it.each([
    ['.hidden.csv', /starts with "\."/],
    ['x.csv.partial', /ends with "\.partial"/],
  ])('refuses %j, a name the agent would ignore, as the service does', (name, reason) => {
    expect(() => traceSftDelivery(SFT_CONFIG, '/data-egress/sas', name, 'hdfs')).toThrow(reason);
  });

  it('a Unicode name travels in the filename header (as UTF-8) to the same key in stub-hdfs', () => {
    const delivery = traceSftDelivery(SFT_CONFIG, '/data-egress/sas/', 'отчёт ünï.csv', 'hdfs');
    const [step] = delivery.steps;
    expect(step).toMatchObject({ action: 'httpRequest' });
    expect(JSON.stringify(step)).toContain('отчёт ünï.csv');
    expect(JSON.stringify(step)).not.toContain('unsendable');
  });

  it('a name with a control character is refused by the service, as the agent could not send it', () => {
    expect(() => traceSftDelivery(SFT_CONFIG, '/data-egress/sas/', 'line\u0085break.csv', 'hdfs')).toThrow(
      /control character/,
    );
  });

  it('renameFile as the agent runs it (pptest: TEST_ in front)', () => {
    const delivery = traceSftDelivery(SFT_CONFIG, '/data-egress/pptest/', 'x.csv', 'hdfs');
    expect(delivery.steps[0]).toEqual({ action: 'renameFile', from: 'x.csv', to: 'TEST_x.csv' });
    expect(delivery.route?.errorFolder).toBe('/data-egress/error/pptest');
  });
});
