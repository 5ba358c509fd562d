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
  /** Object sets beside the workload's, each under its own prefix: see {@link withExtraObjects}. */
  readonly extras?: readonly ExtraObjects[];
}

/**
 * Objects under a prefix of their own (`chaos/<name>/`), with their own flag and two plain rules:
 * `EXTRAS3` copies them to `out/<name>/`, `EXTRASFT` writes them to the SFT route directory, whence
 * the agent sends them to NiFi. Never encrypted, no control file, no manifest: every output holds
 * its source's bytes ({@link extraReference}). Kept out of the workload's prefix so that the
 * workload's control file and manifest stay those of the clean run, and so that a set whose rules
 * must fail (duplicate names) fails only its own rules. File names must differ from the
 * workload's and from other sets' (they share the SFT directory).
 */
export interface ExtraObjects {
  /** `[a-z0-9-]`, not `data`: names the prefix and the S3 destination. */
  readonly name: string;
  readonly prefix: string;
  readonly flag: string;
  readonly objects: readonly WorkloadObject[];
}

/** The workload plus one {@link ExtraObjects} set; `objects` are named relative to its prefix. */
export function withExtraObjects(
  workload: Workload,
  name: string,
  objects: readonly { name: string; body: Buffer }[],
): Workload {
  if (!/^[a-z0-9-]+$/.test(name) || `chaos/${name}/` === workload.prefix) {
    throw new Error(`extra object set name ${JSON.stringify(name)} is not usable`);
  }
  const prefix = `chaos/${name}/`;
  const set: ExtraObjects = {
    name,
    prefix,
    flag: `${prefix}pipeline_success.flag`,
    objects: objects.map((object) => ({ key: `${prefix}${object.name}`, body: object.body })),
  };
  return { ...workload, extras: [...(workload.extras ?? []), set] };
}

/** Output id → SHA-256 of every output of the extra sets: plain copies, so their sources' bytes. */
export function extraReference(workload: Workload, expected: readonly ExpectedOutput[]): Map<string, string> {
  const bodies = new Map(
    (workload.extras ?? []).flatMap((set) => set.objects.map((object) => [object.key, object.body] as const)),
  );
  const reference = new Map<string, string>();
  for (const output of expected) {
    const body = output.source ? bodies.get(output.source.key) : undefined;
    if (body) reference.set(output.id, createHash('sha256').update(body).digest('hex'));
  }
  return reference;
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
    ...(workload.extras ?? []).flatMap((set) => {
      const base = {
        source_prefix: set.prefix,
        recipient_name: 'chaos',
        source_bucket: targets.sourceBucket,
      };
      return [
        {
          ...base,
          pipeline_name: 'EXTRAS3',
          transfer_type: 'S3',
          destination_bucket: targets.destinationBucket,
          destination_prefix: `out/${set.name}/`,
        },
        { ...base, pipeline_name: 'EXTRASFT', transfer_type: 'SFT', destination_prefix: SAS_ROUTE.directory },
      ];
    }),
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
  const sets = [workload, ...(workload.extras ?? [])];
  for (const item of rules) {
    const parsed = parseRoutingItem(item);
    if (!parsed.ok) throw new Error(`workload rule is invalid: ${parsed.invalid.reason}`);
    const resolved = resolveRule(parsed.rule, stamps);
    // The set whose prefix the rule lists; its flag fires the rule (the workload's by default).
    const set = sets.find((candidate) => candidate.prefix === resolved.sourcePrefix) ?? workload;
    const flags = [set.flag];
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
    const plan = (key: string): ReturnType<typeof planDataObject> => {
      try {
        return planDataObject(resolved, key);
      } catch (error) {
        // A name the service refuses to plan (one the SFT agent ignores) is still an output to
        // account for: under its base name, it must end dead-lettered with the refusal.
        if (parsed.rule.transferType !== 'SFT') throw error;
        const fileName = key.slice(key.lastIndexOf('/') + 1);
        return { transferType: 'SFT', directory: resolved.destinationPrefix, fileName };
      }
    };
    for (const object of set.objects) {
      const target = targetOf(plan(object.key));
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
