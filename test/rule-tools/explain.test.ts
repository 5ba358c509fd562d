import { describe, expect, it } from 'vitest';
import {
  type Explanation,
  explainKey,
  formatExplanation,
  processingDay,
  type RuleMatch,
  recordsFromItems,
  type SftContext,
  stubHdfsTargets,
} from '../../src/rule-tools/index.ts';
import { sandboxSftAgentConfig } from '../../src/sft/sandbox-config.ts';
import { DEPLOYED_RULES } from './support/deployed-rules.ts';

const REAL_RULES = DEPLOYED_RULES;
const DAY = processingDay('2026-11-24', 'UTC');
const SFT: SftContext = {
  config: sandboxSftAgentConfig({ nifiUrl: 'https://127.0.0.1:8091' }),
  nifiBucket: 'stub-hdfs-local',
};

function explain(key: string, extra: { bucket?: string; exampleName?: string } = {}): Explanation {
  return explainKey(REAL_RULES, key, { stamps: DAY, sft: SFT, ...extra });
}

/** Where the match's object goes, as one string: an S3 URL or an SFT path. */
function destinationOf(match: RuleMatch): string {
  const destination = match.object.destination;
  if (!destination) return `error: ${match.object.error}`;
  return destination.transferType === 'S3' ? destination.url : destination.path;
}

/** Every stub-hdfs object the match's object ends at. */
function stubHdfsOf(match: RuleMatch): string[] {
  const destination = match.object.destination;
  if (destination?.transferType !== 'SFT' || !destination.delivery) return [];
  return stubHdfsTargets(destination.delivery).map((target) => `s3://${target.bucket}/${target.key}`);
}

describe('egress routes explain over the real rules (today 2026-11-24)', () => {
  it.each([
    {
      what: 'S3, $TODAYS_DATE and a trailing * (CBOL flag)',
      key: 'dataegress/cbol-report/2026-11-24/pipeline_success.flag',
      pipeline: 'CBOL',
      resolved: 'dataegress/cbol-report/2026-11-24/',
      dateExpanded: true,
      starRemoved: true,
      listing: 's3://published-bucket/dataegress/cbol-report/2026-11-24/',
      location: 's3://opsmi-destination/cbol/2026-11-24/',
      object: 'dataegress/cbol-report/2026-11-24/example.csv.enc',
      destination: 's3://opsmi-destination/cbol/2026-11-24/example.csv',
      stubHdfs: [],
    },
    {
      what: 'S3 data key under a dated prefix (CBOL report): .enc stripped',
      key: 'dataegress/cbol-report/2026-11-24/daily/report.csv.enc',
      pipeline: 'CBOL',
      resolved: 'dataegress/cbol-report/2026-11-24/',
      dateExpanded: true,
      starRemoved: true,
      listing: 's3://published-bucket/dataegress/cbol-report/2026-11-24/',
      location: 's3://opsmi-destination/cbol/2026-11-24/',
      object: 'dataegress/cbol-report/2026-11-24/daily/report.csv.enc',
      destination: 's3://opsmi-destination/cbol/2026-11-24/report.csv',
      stubHdfs: [],
    },
    {
      what: 'S3 to the bucket root, no placeholder and no * (OpsMI)',
      key: 'opsmi/weekly/ops.csv.enc',
      pipeline: 'OpsMI',
      resolved: 'opsmi/',
      dateExpanded: false,
      starRemoved: false,
      listing: 's3://published-bucket/opsmi/',
      location: 's3://opsmi-destination/',
      object: 'opsmi/weekly/ops.csv.enc',
      destination: 's3://opsmi-destination/ops.csv',
      stubHdfs: [],
    },
    {
      what: 'S3 with a dated destination (model 8 preprocessed data)',
      key: 'ap_ml/model_8/preprocessed_data/2026-11-24/pipeline_success.flag',
      pipeline: 'ap_preproc_model_8',
      resolved: 'ap_ml/model_8/preprocessed_data/2026-11-24/',
      dateExpanded: true,
      starRemoved: true,
      listing: 's3://published-bucket/ap_ml/model_8/preprocessed_data/2026-11-24/',
      location: 's3://dataworks-model-published-bucket/ap_ml/model_8/preprocessed_data/2026-11-24/',
      object: 'ap_ml/model_8/preprocessed_data/2026-11-24/example.csv.enc',
      destination:
        's3://dataworks-model-published-bucket/ap_ml/model_8/preprocessed_data/2026-11-24/example.csv',
      stubHdfs: [],
    },
    {
      what: 'SFT to sas, no decrypt (SAS health flag)',
      key: 'dataegress/sas/health/export/2026-11-24/pipeline_success.flag',
      pipeline: 'SAS_HEALTH_SFT',
      resolved: 'dataegress/sas/health/export/2026-11-24/',
      dateExpanded: true,
      starRemoved: true,
      listing: 's3://published-bucket/dataegress/sas/health/export/2026-11-24/',
      location: '/data-egress/sas',
      object: 'dataegress/sas/health/export/2026-11-24/example.csv',
      destination: '/data-egress/sas/example.csv',
      stubHdfs: ['s3://stub-hdfs-local/internal/DandARed/inbound/Dataworks/UCFS/tactical/example.csv'],
    },
    {
      what: 'SFT keeps .enc when decrypting (data warehouse)',
      key: 'dataegress/dwh/2026/claims.json.enc',
      pipeline: 'DWH-Transform-Json',
      resolved: 'dataegress/dwh/',
      dateExpanded: false,
      starRemoved: true,
      listing: 's3://published-bucket/dataegress/dwh/',
      location: '/data-egress/warehouse',
      object: 'dataegress/dwh/2026/claims.json.enc',
      destination: '/data-egress/warehouse/claims.json.enc',
      stubHdfs: ['s3://stub-hdfs-local/internal/DandARed/inbound/Dataworks/UCFS/data/claims.json.enc'],
    },
    {
      what: 'SFT to RIS: a subset file goes to both RIS and CRE (route #0, two writeFiles)',
      key: 'dataegress/RIS_DSP_Manual/db.core.claimant-045-070-000001.20261124.txt.gz.enc',
      pipeline: 'RIS_DSP_Manual',
      resolved: 'dataegress/RIS_DSP_Manual/',
      dateExpanded: false,
      starRemoved: true,
      listing: 's3://published-bucket/dataegress/RIS_DSP_Manual/',
      location: '/data-egress/RIS',
      object: 'dataegress/RIS_DSP_Manual/db.core.claimant-045-070-000001.20261124.txt.gz.enc',
      destination: '/data-egress/RIS/db.core.claimant-045-070-000001.20261124.txt.gz.enc',
      stubHdfs: [
        's3://stub-hdfs-local/internal/DSPRIS/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-000001.20261124.txt.gz.enc',
        's3://stub-hdfs-local/internal/CEHA/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-000001.20261124.txt.gz.enc',
      ],
    },
    {
      what: 'SFT to RIS with timestamp_files: a 4-letter extension gets the stamp at the end (site JSONs)',
      key: 'common-model-inputs/data/site/organisations.json',
      pipeline: 'RIS_SFT',
      resolved: 'common-model-inputs/data/site/',
      dateExpanded: false,
      starRemoved: true,
      listing: 's3://published-bucket/common-model-inputs/data/site/',
      location: '/data-egress/RIS',
      object: 'common-model-inputs/data/site/organisations.json',
      destination: '/data-egress/RIS/organisations.json.20261124',
      stubHdfs: [
        's3://stub-hdfs-local/internal/DSPRIS/inbound/Dataworks/UCFS/data/organisations.json.20261124',
      ],
    },
  ])('$what', (row) => {
    const explanation = explain(row.key);
    expect(explanation.matches.map((m) => m.rule.pipelineName)).toEqual([row.pipeline]);
    const [match] = explanation.matches as [RuleMatch];
    expect(match.prefix).toMatchObject({
      resolved: row.resolved,
      dateExpanded: row.dateExpanded,
      starRemoved: row.starRemoved,
    });
    expect(`s3://${match.listing.bucket}/${match.listing.prefix}`).toBe(row.listing);
    expect(match.location.transferType === 'S3' ? match.location.url : match.location.path).toBe(
      row.location,
    );
    expect(match.object.sourceKey).toBe(row.object);
    expect(destinationOf(match)).toBe(row.destination);
    expect(stubHdfsOf(match)).toEqual(row.stubHdfs);
  });

  it('names the control file and follows it through the SFT routes (site JSONs, RIS)', () => {
    const [match] = explain('common-model-inputs/data/site/pipeline_success.flag').matches as [RuleMatch];
    expect(match.controlFile?.destination).toMatchObject({
      transferType: 'SFT',
      path: '/data-egress/RIS/initial-organisation-files-20261124.control',
    });
    const control = match.controlFile?.destination;
    const delivery = control?.transferType === 'SFT' ? control.delivery : undefined;
    expect(delivery?.route?.name).toBe('internal/CRE/inbound/Dataworks/UCFS/data-CopyOtherThanSubsetToRIS');
    expect(match.manifest).toBeUndefined();
  });

  it('a data key names the flag that would send it', () => {
    const [match] = explain('dataegress/cbol-report/2026-11-24/report.csv').matches as [RuleMatch];
    expect(match.triggeredBy).toEqual(['dataegress/cbol-report/2026-11-24/pipeline_success.flag']);
    expect(
      explain('dataegress/cbol-report/2026-11-24/pipeline_success.flag').matches[0]?.triggeredBy,
    ).toBeUndefined();
  });

  it('a late flag matches nothing and is a near miss that names the day it would match on', () => {
    const explanation = explain('dataegress/cbol-report/2026-11-23/pipeline_success.flag');
    expect(explanation.matches).toEqual([]);
    expect(explanation.nearMisses).toEqual([
      expect.objectContaining({
        rule: expect.objectContaining({ pipelineName: 'CBOL' }),
        wouldMatchOn: '2026-11-23',
      }),
    ]);
    expect(explanation.summary).toBe(
      'no rule matches the flag dataegress/cbol-report/2026-11-23/pipeline_success.flag on 2026-11-24: the service would delete the message with a warning and send nothing',
    );
  });

  it('an item the service rejects is reported, never explained as a route', () => {
    const explanation = explain('rtg-pdm-queries-source-prefix/pipeline_success.flag');
    expect(explanation.matches).toEqual([]);
    expect(explanation.invalidItems).toBe(1);
    expect(explanation.invalidMatches).toEqual([
      expect.objectContaining({
        pipelineName: 'PDM_RTG',
        resource: 'pdm_rtg_data_egress_config',
        reason: expect.stringContaining('decrypt: expected a boolean (BOOL) or nothing'),
      }),
    ]);
  });

  it('the flag’s bucket does not change matching (as in the original) but is pointed out', () => {
    const [match] = explain('opsmi/x/pipeline_success.flag', { bucket: 'source' }).matches as [RuleMatch];
    expect(match.listing.note).toBe(
      'the flag is in bucket source, but the rule lists published-bucket: the event’s bucket is ignored, as in the original',
    );
  });

  it('a data key in another bucket is not sent: the rule lists its own bucket', () => {
    const explanation = explain('opsmi/x/ops.csv', { bucket: 'source' });
    expect(explanation.matches).toEqual([]);
    expect(explanation.nearMisses[0]?.reason).toBe(
      'the key is under the rule’s prefix, but the rule lists bucket published-bucket, not source',
    );
  });

  it('directory markers and unknown keys send nothing', () => {
    expect(explain('opsmi/weekly/').summary).toBe(
      'opsmi/weekly/ is a directory marker: the service never sends it',
    );
    expect(explain('nowhere/pipeline_success.flag').matches).toEqual([]);
  });

  it('overlapping rules all fire, in table order', () => {
    const records = recordsFromItems(
      [
        ...REAL_RULES.map((r) => r.item),
        {
          source_prefix: 'opsmi/weekly/',
          pipeline_name: 'OpsMI#sft',
          recipient_name: 'OpsMI',
          transfer_type: 'SFT',
          source_bucket: 'published-bucket',
          destination_prefix: '/data-egress/test/',
        },
      ],
      'items',
    );
    const explanation = explainKey(records, 'opsmi/weekly/pipeline_success.flag', { stamps: DAY, sft: SFT });
    expect(explanation.matches.map((m) => [m.rule.pipelineName, destinationOf(m)])).toEqual([
      ['OpsMI', 's3://opsmi-destination/example.csv'],
      ['OpsMI#sft', '/data-egress/test/example.csv'],
    ]);
    expect(stubHdfsOf(explanation.matches[1]!)).toEqual(['s3://stub-hdfs-local/DA/example.csv']);
  });

  it('--object picks the example file, with or without the listed prefix', () => {
    const byName = explain('dataegress/sas/health/export/2026-11-24/pipeline_success.flag', {
      exampleName: 'a.csv',
    });
    const byKey = explain('dataegress/sas/health/export/2026-11-24/pipeline_success.flag', {
      exampleName: 'dataegress/sas/health/export/2026-11-24/sub/a.csv',
    });
    expect(destinationOf(byName.matches[0]!)).toBe('/data-egress/sas/a.csv');
    expect(byKey.matches[0]?.object.sourceKey).toBe('dataegress/sas/health/export/2026-11-24/sub/a.csv');
  });

  it('prints the CBOL flag explanation exactly', () => {
    expect(formatExplanation(explain('dataegress/cbol-report/2026-11-24/pipeline_success.flag'))).toBe(
      [
        'key    dataegress/cbol-report/2026-11-24/pipeline_success.flag  (a flag)',
        'date   2026-11-24  ($TODAYS_DATE 2026-11-24, compact 20261124, with time 20261124_000000)',
        'rules  97 items, 1 invalid',
        '',
        'the flag dataegress/cbol-report/2026-11-24/pipeline_success.flag fires 1 rule on 2026-11-24: CBOL (S3)',
        '',
        '1. CBOL → CBOL by S3   [cbol_data_egress_config]',
        '   why        source_prefix "dataegress/cbol-report/$TODAYS_DATE/*"',
        '              $TODAYS_DATE → 2026-11-24: "dataegress/cbol-report/2026-11-24/*"',
        '              one trailing * removed: "dataegress/cbol-report/2026-11-24/"',
        '              "dataegress/cbol-report/2026-11-24/pipeline_success.flag" starts with "dataegress/cbol-report/2026-11-24/" ✓',
        '   lists      s3://published-bucket/dataegress/cbol-report/2026-11-24/ — every object under it (all pages, sub-folders too); flags and directory markers are skipped',
        '   writes     to s3://opsmi-destination/cbol/2026-11-24/ — each object under its file name',
        '   e.g.       s3://published-bucket/dataegress/cbol-report/2026-11-24/example.csv.enc → s3://opsmi-destination/cbol/2026-11-24/example.csv',
        '              file name          "example.csv.enc"',
        '              destination prefix "cbol/2026-11-24/example.csv.enc"',
        '              .enc removed       "cbol/2026-11-24/example.csv"',
        '   content    an unencrypted object: copied as it is',
        '              a client-side-encrypted object (x-amz-matdesc): decrypted (the envelope key unwrapped through the DKS), whatever decrypt says',
        '              an HTME object (datakeyencryptionkeyid, ciphertext, iv): decrypted: the data key unwrapped by the DKS, the body deciphered with AES-CTR',
        '              an HTME object without its iv: the object fails: incomplete HTME metadata: has datakeyencryptionkeyid, ciphertext but not iv, so it cannot be decrypted',
        '              no compression',
      ].join('\n'),
    );
  });

  it('prints the SFT chain of a sas file exactly', () => {
    const text = formatExplanation(explain('dataegress/sas/health/export/2026-11-24/pipeline_success.flag'));
    expect(text).toContain(
      [
        '   writes     into the SFT directory /data-egress/sas — each object under its file name',
        '   e.g.       s3://published-bucket/dataegress/sas/health/export/2026-11-24/example.csv → /data-egress/sas/example.csv',
        '              file name          "example.csv"',
        '   SFT agent',
        '              route #3 "internal/DandARed/inbound/Dataworks/UCFS/tactical" on /data-egress/sas takes "example.csv" (filenameRegex .*)',
        '                httpRequest POST https://127.0.0.1:8091/internal/DandARed/inbound/Dataworks/UCFS/tactical (filename "example.csv")',
        '                  stub NiFi stores s3://stub-hdfs-local/internal/DandARed/inbound/Dataworks/UCFS/tactical/example.csv',
        '                on failure (after retries) → /data-egress/error/sas; deleted from the directory once sent',
        '   content    an unencrypted object: copied as it is',
        '              a client-side-encrypted object (x-amz-matdesc): decrypted (the envelope key unwrapped through the DKS), whatever decrypt says',
        '              an HTME object (datakeyencryptionkeyid, ciphertext, iv): written still encrypted and WITHOUT its key metadata (SFT files carry none)',
        '              an HTME object without its iv: incomplete HTME metadata: has datakeyencryptionkeyid, ciphertext but not iv; sent as it is',
      ].join('\n'),
    );
  });
});
