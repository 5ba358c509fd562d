import { createHash } from 'node:crypto';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { planControlFile, planDataObject, planManifest } from '../../src/egress/plan/destinations.ts';
import { resolveRule } from '../../src/egress/rules/matching.ts';
import { parseRoutingItem } from '../../src/egress/rules/schema.ts';
import type { ExpectedOutput } from './accounting.ts';

/** One source object of a workload. */
export interface WorkloadObject {
  readonly key: string;
  readonly body: Buffer;
}

/** What a chaos run moves: objects under one prefix, the flag that announces them, the rules. */
export interface Workload {
  readonly prefix: string;
  readonly flag: string;
  /** The plaintext of each object (what every output must reproduce). */
  readonly objects: readonly WorkloadObject[];
  /**
   * Uploaded as HTME objects (AES-CTR under a fresh DKS data key each, with `iv`, `ciphertext`,
   * `datakeyencryptionkeyid` metadata), and every rule decrypts: the outputs are the plaintext.
   */
  readonly encrypted?: boolean;
}

/** Where the workload's SFT rule lands and what the sandbox's SFT agent route does with it. */
export const SAS_ROUTE = {
  /** The rule's `destination_prefix`; also the agent route's `source`. */
  directory: '/data-egress/sas/',
  /** The route `internal/DandARed/inbound/Dataworks/UCFS/tactical` posts here; NiFi stores under it. */
  nifiPath: 'internal/DandARed/inbound/Dataworks/UCFS/tactical',
  /** The route's `errorFolder`, relative to sftRoot. */
  errorFolder: 'data-egress/error/sas',
} as const;

/** Deterministic bytes: the same seed gives the same content in every run (clean or faulted). */
export function deterministicBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function csv(seed: string, lines: number): Buffer {
  return Buffer.from(
    Array.from({ length: lines }, (_, index) => `${seed},${index},ENCRYPTED,CBOL,REPORT,LINE`).join('\n'),
  );
}

/**
 * `small`: 11 objects, ~90 KiB (inside `npm test`); `standard`: 13 objects up to 9 MiB; `large`:
 * + 24 MiB; `htme`: the small objects uploaded HTME-encrypted, decrypted by every rule.
 */
export type WorkloadKind = 'small' | 'standard' | 'large' | 'htme';

/**
 * The chaos workload: objects under `chaos/data/` from 0 bytes to 9 MiB (two multipart parts),
 * names with a space, all printable ASCII (the SFT agent refuses other names by design). `small`
 * leaves out the 1 MiB and 9 MiB objects; `large` adds a 24 MiB one, so a transfer lasts long
 * enough to be interrupted.
 */
export function standardWorkload(kind: WorkloadKind = 'standard'): Workload {
  const prefix = 'chaos/data/';
  const objects: WorkloadObject[] = [
    { key: `${prefix}empty.csv`, body: Buffer.alloc(0) },
    { key: `${prefix}one.txt`, body: Buffer.from('1') },
    ...Array.from({ length: 6 }, (_, index) => ({
      key: `${prefix}small-${String(index + 1).padStart(2, '0')}.csv`,
      body: csv(`small-${index}`, 20 + index * 17),
    })),
    { key: `${prefix}with space.csv`, body: csv('space', 40) },
    { key: `${prefix}db.core.claimant-001.txt.enc`, body: deterministicBytes('enc', 4096) },
    { key: `${prefix}binary.bin`, body: deterministicBytes('binary', 64 * 1024) },
  ];
  if (kind === 'standard' || kind === 'large') {
    objects.push(
      { key: `${prefix}medium.bin`, body: deterministicBytes('medium', 1024 * 1024) },
      { key: `${prefix}large.bin`, body: deterministicBytes('large', 9 * 1024 * 1024) },
    );
  }
  if (kind === 'large')
    objects.push({ key: `${prefix}huge.bin`, body: deterministicBytes('huge', 24 * 1024 * 1024) });
  return { prefix, flag: `${prefix}pipeline_success.flag`, objects, encrypted: kind === 'htme' };
}

/** Names of one world's resources that the rules refer to. */
export interface RuleTargets {
  sourceBucket: string;
  destinationBucket: string;
  nifiBucket: string;
}

/**
 * The workload's three routing items (the original's DynamoDB item format):
 * - `S3PLAIN`: a plain copy to `out/plain/`, with a control file;
 * - `S3GZ`: gzip to `out/gz/`, with a plaintext manifest;
 * - `SFT`: to `/data-egress/sas/`, which the sandbox SFT agent sends to the stub NiFi.
 * No date placeholders and no timestamps, so every run names its outputs the same way.
 */
export function workloadRules(workload: Workload, targets: RuleTargets): Record<string, unknown>[] {
  const common = {
    source_prefix: workload.prefix,
    recipient_name: 'chaos',
    source_bucket: targets.sourceBucket,
    ...(workload.encrypted ? { decrypt: true } : {}),
  };
  return [
    {
      ...common,
      pipeline_name: 'S3PLAIN',
      transfer_type: 'S3',
      destination_bucket: targets.destinationBucket,
      destination_prefix: 'out/plain/',
      control_file_prefix: 'chaos-data.ctl',
    },
    {
      ...common,
      pipeline_name: 'S3GZ',
      transfer_type: 'S3',
      destination_bucket: targets.destinationBucket,
      destination_prefix: 'out/gz/',
      compress: true,
      compress_fmt: 'gz',
      manifest_file_name: 'chaos-manifest',
    },
    { ...common, pipeline_name: 'SFT', transfer_type: 'SFT', destination_prefix: SAS_ROUTE.directory },
  ];
}

/**
 * Every output the workload should produce, named with the service's own planning functions
 * (`planDataObject`, `planControlFile`, `planManifest`) so the accounting cannot drift from the
 * service's naming. `sftMode` says whether an SFT agent carries the SFT files on to the stub NiFi
 * (`agent`) or they stay in the SFT directory (`files`).
 */
export function expectedOutputs(
  workload: Workload,
  rules: readonly Record<string, unknown>[],
  targets: RuleTargets,
  sftMode: 'agent' | 'files',
  now: Date = new Date(),
): ExpectedOutput[] {
  const stamps = dateStamps(now, 'UTC');
  const outputs: ExpectedOutput[] = [];
  const flags = [workload.flag];
  for (const item of rules) {
    const parsed = parseRoutingItem(item);
    if (!parsed.ok) throw new Error(`workload rule is invalid: ${parsed.invalid.reason}`);
    const resolved = resolveRule(parsed.rule, stamps);
    const rule = `${parsed.rule.key.sourcePrefix}|${parsed.rule.key.pipelineName}`;
    const targetOf = (destination: ReturnType<typeof planDataObject>): ExpectedOutput['target'] => {
      if (destination.transferType === 'S3') {
        return { kind: 's3', bucket: destination.bucket, key: destination.key };
      }
      const staged = `${destination.directory.replace(/^\/+|\/+$/g, '')}/${destination.fileName}`;
      if (sftMode === 'files') return { kind: 'sft-file', path: staged };
      return {
        kind: 'sft-agent',
        staged,
        name: destination.fileName,
        nifiBucket: targets.nifiBucket,
        nifiKey: `${SAS_ROUTE.nifiPath}/${destination.fileName}`,
        errorFolder: SAS_ROUTE.errorFolder,
      };
    };
    // The same id whether the SFT file stays put or an agent carries it on: the bytes are the same.
    const idOf = (target: ExpectedOutput['target']) =>
      target.kind === 's3'
        ? `${parsed.rule.key.pipelineName}:${target.key}`
        : `${parsed.rule.key.pipelineName}:${target.kind === 'sft-file' ? target.path.slice(target.path.lastIndexOf('/') + 1) : target.name}`;
    for (const object of workload.objects) {
      const target = targetOf(planDataObject(resolved, object.key));
      outputs.push({
        id: idOf(target),
        rule,
        flags,
        source: { bucket: targets.sourceBucket, key: object.key },
        target,
      });
    }
    for (const [kind, destination] of [
      ['control', planControlFile(resolved)],
      ['manifest', planManifest(resolved)],
    ] as const) {
      if (!destination) continue;
      const target = targetOf(destination);
      outputs.push({ id: idOf(target), rule, flags, kind, target });
    }
  }
  return outputs;
}
