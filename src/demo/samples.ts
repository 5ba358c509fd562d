import { gzipSync } from 'node:zlib';
import type { DateStamps } from '../egress/plan/dates.ts';
import { FLAG_SUFFIX } from '../egress/plan/naming.ts';

/*
 * The demo's sample data: a few real pipelines of the original rule set (config/rules/
 * routing-items.json), each with the files a producer would write and its pipeline_success.flag.
 * Pure: what is published where, and how big, for one processing day.
 */

/** One object a producer writes. */
export interface SampleObject {
  readonly key: string;
  /** Small bodies are given; large ones are generated as a stream of `size` bytes. */
  readonly body?: Buffer | undefined;
  readonly size: number;
  /** Write it as an HTME object (AES-CTR under a DKS data key, envelope in the S3 metadata). */
  readonly htme: boolean;
}

/** One pipeline run: data objects, then the flag that starts the egress. */
export interface SamplePipeline {
  /** What a stakeholder sees it as. */
  readonly title: string;
  /** The rule it exercises (pipeline_name in the table). */
  readonly pipeline: string;
  readonly bucket: string;
  readonly objects: readonly SampleObject[];
  readonly flagKey: string;
}

/** The original's test content (behaviour §9): `X,ENCRYPTED,CBOL,REPORT,LINE,NUMBER,<i>` lines. */
function reportLines(id: string, count: number): Buffer {
  return Buffer.from(
    Array.from({ length: count }, (_, i) => `${id},ENCRYPTED,CBOL,REPORT,LINE,NUMBER,${i}`).join('\n'),
  );
}

function csv(header: string, rows: number, row: (i: number) => string): Buffer {
  return Buffer.from(`${header}\n${Array.from({ length: rows }, (_, i) => row(i)).join('\n')}\n`);
}

/** Bytes of the large sample: above the embedded S3's 11 MiB single-request limit, so multipart. */
export const LARGE_SAMPLE_BYTES = 24 * 1024 * 1024;

/** One line of the large sample; the file is this line repeated (cheap to generate, any size). */
export function largeSampleLine(index: number): string {
  return `${String(index).padStart(9, '0')},claimant-${index % 9973},payment,${(index * 37) % 100000}.00,GBP\n`;
}

export function samplePipelines(stamps: DateStamps, largeBytes = LARGE_SAMPLE_BYTES): SamplePipeline[] {
  const day = stamps.isoDate;
  const compact = stamps.compactDate;
  const cbolPrefix = `dataegress/cbol-report/${day}/`;
  const sasPrefix = `dataegress/sas/health/export/${day}/`;
  const risPrefix = 'dataegress/RIS_DSP_Manual/';
  const onePrefix = `dataegress/oneservice/${day}/`;
  const small = (key: string, body: Buffer, htme: boolean): SampleObject => ({
    key,
    body,
    size: body.length,
    htme,
  });
  return [
    {
      title: 'CBOL report to OpsMI (S3, HTME-encrypted, decrypted through the DKS)',
      pipeline: 'CBOL',
      bucket: 'published-bucket',
      objects: [
        small(`${cbolPrefix}cbol-report-${compact}-part-001.csv.enc`, reportLines('A', 100), true),
        small(`${cbolPrefix}cbol-report-${compact}-part-002.csv.enc`, reportLines('B', 100), true),
      ],
      flagKey: `${cbolPrefix}${FLAG_SUFFIX}`,
    },
    {
      title: 'SAS health extract (SFT: sas directory → SFT agent → stub NiFi → stub-hdfs)',
      pipeline: 'SAS_HEALTH_SFT',
      bucket: 'published-bucket',
      objects: [
        small(
          `${sasPrefix}health-extract-${compact}.csv`,
          csv(
            'claim_id,region,outcome',
            200,
            (i) => `${100000 + i},region-${i % 12},${i % 3 ? 'paid' : 'pending'}`,
          ),
          false,
        ),
      ],
      flagKey: `${sasPrefix}${FLAG_SUFFIX}`,
    },
    {
      title: 'RIS subset file (SFT: RIS → copied to RIS and CRE by the first matching route)',
      pipeline: 'RIS_DSP_Manual',
      bucket: 'published-bucket',
      objects: [
        small(
          `${risPrefix}db.core.claimant-045-070-000001.${compact}.txt.gz.enc`,
          gzipSync(
            csv(
              '{"_id": …}',
              150,
              (i) => `{"_id": {"claimantId": "c-${i}"}, "nino": "AA${String(i).padStart(6, '0')}A"}`,
            ),
          ),
          true,
        ),
      ],
      flagKey: `${risPrefix}${FLAG_SUFFIX}`,
    },
    {
      title: `OneService extract, ${Math.round(largeBytes / 1024 / 1024)} MiB (S3, multipart, with progress)`,
      pipeline: 'ONESERVICE',
      bucket: 'published-bucket',
      objects: [{ key: `${onePrefix}oneservice-extract-${compact}.csv`, size: largeBytes, htme: false }],
      flagKey: `${onePrefix}${FLAG_SUFFIX}`,
    },
  ];
}
