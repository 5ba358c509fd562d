import fc from 'fast-check';
import type { DateStamps } from '../../../src/egress/plan/dates.ts';
import { isFlagKey } from '../../../src/egress/plan/naming.ts';
import { resolveSourcePrefix } from '../../../src/egress/rules/matching.ts';
import { keyUnderPrefix, sampleFlagKey } from '../../../src/rule-tools/index.ts';

/*
 * Generated routing items, objects and flags for the property tests: prefixes with and without
 * placeholders and a trailing `*`, destination prefixes the original's naming (behaviour §3.3) treats specially (``, `/`,
 * `a//`, `/abs`), SFT directories that are watched, unwatched or would leave the root, names with
 * dots, `.enc`, spaces, non-ASCII, hidden names, directory markers and flag-like names.
 */

export const PREFIX_PIECES = [
  'a/',
  'data/',
  '$TODAYS_DATE/',
  'incremental/',
  'db.core.claimant-',
  'x',
  '$TODAYS_YYYYMMDD_FORMATTED_DATE/',
  '/lead',
  'sp ace/',
];
export const DESTINATION_PREFIXES = [
  '',
  '/',
  'out/',
  'out',
  '/abs/path',
  'a//',
  '$TODAYS_DATE/',
  'x/$TODAYS_YYYYMMDD_FORMATTED_DATE/',
  'y/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE',
  '/data-egress/sas/',
  '/data-egress/RIS',
  '/data-egress/../escape',
  'rel/dir/',
];
/** SFT directories with agent routes: tactical, the RIS pair, and pptest's renameFile. */
export const WATCHED_DIRECTORIES = ['/data-egress/sas/', '/data-egress/RIS', '/data-egress/pptest/'];
export const NAMES = [
  'f.csv',
  'f.csv.enc',
  'report.txt.gz.enc',
  'a.b/c.txt',
  'dir/',
  'deep/sub/file.json',
  'x-pipeline_success.flag',
  'pipeline_success.flag',
  'with space.csv',
  'plus+sign.csv',
  'file.',
  'ünïcode.csv',
  '.hidden.csv',
  'noext',
];

export const itemArbitrary = (index: number) =>
  fc
    .record(
      {
        source_prefix: fc
          .tuple(fc.array(fc.constantFrom(...PREFIX_PIECES), { maxLength: 3 }), fc.boolean())
          .map(([pieces, star]) => `${pieces.join('')}${star ? '*' : ''}`),
        transfer_type: fc.constantFrom('S3', 'SFT', 's3', 'sft'),
        source_bucket: fc.constantFrom('src-a', 'src-b'),
        destination_bucket: fc.constantFrom('dst-a', 'dst-b'),
        // Directories the SFT agent watches come up often, so files travel on to the stub NiFi.
        destination_prefix: fc.oneof(
          { arbitrary: fc.constantFrom(...DESTINATION_PREFIXES), weight: 2 },
          { arbitrary: fc.constantFrom(...WATCHED_DIRECTORIES), weight: 1 },
        ),
        decrypt: fc.boolean(),
        rewrap_datakey: fc.boolean(),
        encrypting_key_ssm_parm_name: fc.constantFrom('', '/egress/key'),
        compress: fc.boolean(),
        compress_fmt: fc.constantFrom('gz', 'z', 'zip', ''),
        timestamp_files: fc.boolean(),
        control_file_prefix: fc.constantFrom('ctl-$TODAYS_DATE.control', 'x.control.enc', '..', ''),
        manifest_file_name: fc.constantFrom('manifest-$TODAYS_DATE.csv', ''),
        role_arn: fc.constantFrom('', 'arn:aws:iam::123456789012:role/recipient'),
      },
      { requiredKeys: ['source_prefix', 'transfer_type', 'source_bucket'] },
    )
    .map((item) => ({ ...item, pipeline_name: `P${index}`, recipient_name: `R${index % 3}` }));

export const scenarioArbitrary = fc
  .integer({ min: 1, max: 4 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => itemArbitrary(index))))
  .chain((items) =>
    fc.record({
      items: fc.constant(items),
      now: fc.date({
        min: new Date('2001-01-01T00:00:00Z'),
        max: new Date('2098-12-31T23:59:59Z'),
        noInvalidDate: true,
      }),
      // Objects under the rules' prefixes (and a few elsewhere), some in the other bucket.
      objects: fc.array(
        fc.record({
          rule: fc.nat(items.length - 1),
          name: fc.constantFrom(...NAMES),
          otherBucket: fc.boolean(),
          stray: fc.boolean(),
        }),
        { maxLength: 6 },
      ),
      flags: fc.array(fc.record({ rule: fc.nat(items.length - 1), late: fc.boolean() }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
  );

export type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** How a scenario is made concrete: its names and buckets in one world. */
export interface ConcreteOptions {
  /** The processing day, and the day before (for late flags). */
  readonly stamps: DateStamps;
  readonly dayBefore: DateStamps;
  /** The source bucket a rule does NOT read, for objects put in the other bucket. */
  readonly otherBucket: (bucket: string) => string;
  /** A data object's name as put (a world may tag names to keep scenarios apart). */
  readonly name?: (name: string) => string;
  /** Where stray objects (under no rule's prefix) go. @defaultValue `elsewhere/` */
  readonly strayPrefix?: string;
  /** Leave out objects whose name is a flag's (they raise their own S3 events in a real world). */
  readonly withoutFlagNames?: boolean;
}

/**
 * A scenario's objects (each bucket holding a key once) and flag keys, for `items` — the
 * scenario's items as the world stores them (their source prefixes and buckets).
 */
export function concreteScenario(
  scenario: Scenario,
  items: readonly { readonly source_prefix?: unknown; readonly source_bucket: string }[],
  options: ConcreteOptions,
): { objects: { bucket: string; key: string }[]; flags: { bucket: string; key: string }[] } {
  const prefixOf = (index: number, day: DateStamps) =>
    resolveSourcePrefix(String(items[index]!.source_prefix), day);
  const objects = scenario.objects
    .filter((object) => !options.withoutFlagNames || !isFlagKey(object.name))
    .map((object) => {
      const own = items[object.rule]!.source_bucket;
      const bucket = object.otherBucket ? options.otherBucket(own) : own;
      const name = options.name ? options.name(object.name) : object.name;
      const key = object.stray
        ? `${options.strayPrefix ?? 'elsewhere/'}${name}`
        : keyUnderPrefix(prefixOf(object.rule, options.stamps), name);
      return { bucket, key };
    });
  const flags = scenario.flags.map((flag) => ({
    bucket: items[flag.rule]!.source_bucket,
    key: sampleFlagKey(prefixOf(flag.rule, flag.late ? options.dayBefore : options.stamps)),
  }));
  const distinct = (entries: { bucket: string; key: string }[]) => [
    ...new Map(entries.map((entry) => [`${entry.bucket}/${entry.key}`, entry])).values(),
  ];
  return { objects: distinct(objects), flags: distinct(flags) };
}
