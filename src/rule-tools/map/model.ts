import type { DateStamps } from '../../egress/plan/dates.ts';
import { destinationKeyPrefix } from '../../egress/plan/naming.ts';
import { describeRuleKey } from '../../egress/rules/rule.ts';
import { explainKey, type PlannedDestination, type SftContext } from '../explain.ts';
import { checkItems, type RoutingItemRecord } from '../items.ts';
import { ruleBadges } from '../list.ts';
import { type RuleSample, sampleFor, sampleForItem } from '../samples.ts';
import type { SftDelivery } from '../sft-delivery.ts';

/*
 * The routing map's model: every rule of a table with where its files go, computed by
 * `egress routes explain` (so by the service's planning) on the rule's own sample — a data object
 * under today's prefix and the flag that fires it. Pure: rules and stamps in, model out. The
 * diagram (graph.ts) and its renderings only arrange this.
 */

/** One step of an SFT file's way through the agent: a route, and the directory it watches. */
export interface MapRouteStep {
  readonly name: string;
  readonly index: number;
  /** The directory the route watches, from the SFT root (`/data-egress/RIS`). */
  readonly directory: string;
}

/** Where one of a rule's SFT files ends: the routes it passes, then stub-hdfs, or where it stays. */
export interface MapSftPath {
  readonly routes: readonly MapRouteStep[];
  readonly end:
    | {
        readonly kind: 'nifi';
        /** The stub NiFi path the agent POSTs to (`/internal/DSPRIS/inbound/Dataworks/UCFS/data`). */
        readonly path: string;
        readonly bucket: string;
        /** The stub-hdfs key prefix the file lands under (`internal/DSPRIS/…/data/`). */
        readonly keyPrefix: string;
      }
    | { readonly kind: 'stays'; readonly directory: string; readonly why: string }
    | { readonly kind: 'fails'; readonly reason: string };
}

/** Where a rule writes: as stored (placeholders kept) and as today. */
export type MapDestination =
  | { readonly kind: 'S3'; readonly bucket: string; readonly keyPrefix: string; readonly today: string }
  | { readonly kind: 'SFT'; readonly directory: string; readonly today: string };

export interface MapRule {
  /** `source_prefix|pipeline_name`, as the service names rules. */
  readonly id: string;
  readonly pipelineName: string;
  readonly recipient: string;
  /** `S3` or `SFT` (as stored, for an invalid item). */
  readonly transferType: string;
  readonly source: { readonly bucket: string; readonly prefix: string };
  /** decrypt, rewrap, gz, z, timestamp, control, manifest…, role. */
  readonly badges: readonly string[];
  readonly valid: boolean;
  /** Why the service rejects the item: it takes no action. */
  readonly reason?: string | undefined;
  readonly resource?: string | undefined;
  /** The rule's sample: the rule explorer opens with its flag (or data) key. */
  readonly example?: RuleSample | undefined;
  readonly destination?: MapDestination | undefined;
  /** SFT rules: where the agent takes the sample's data file and control file. */
  readonly sftPaths: readonly MapSftPath[];
  /**
   * SFT rules: every agent route watching the rule's directory, in order — the first whose
   * `filenameRegex` matches a file's name takes it, so other names may take other routes.
   */
  readonly sftWatchers: readonly {
    readonly name: string;
    readonly index: number;
    readonly filenameRegex: string;
  }[];
}

export interface RoutingMap {
  readonly rules: readonly MapRule[];
  readonly date: string;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Flattens an agent delivery tree into its ends, each with the routes on the way. */
export function sftPathsOf(delivery: SftDelivery, before: readonly MapRouteStep[] = []): MapSftPath[] {
  if (delivery.outcome !== 'routed' || !delivery.route) {
    const why =
      delivery.outcome === 'unwatched'
        ? 'no route watches it'
        : delivery.outcome === 'ignored'
          ? 'the agent ignores the name'
          : delivery.outcome === 'loop'
            ? 'the routes loop'
            : 'no route matches the name';
    return [{ routes: before, end: { kind: 'stays', directory: delivery.directory, why } }];
  }
  const routes = [
    ...before,
    { name: delivery.route.name, index: delivery.route.index, directory: delivery.directory },
  ];
  const paths: MapSftPath[] = [];
  for (const step of delivery.steps) {
    if (step.action === 'writeFile') paths.push(...sftPathsOf(step.next, routes));
    else if (step.action === 'renameFile' && 'error' in step) {
      paths.push({ routes, end: { kind: 'fails', reason: step.error } });
    } else if (step.action === 'httpRequest') {
      const nifi = step.stubNifi;
      if ('key' in nifi) {
        const slash = nifi.key.lastIndexOf('/');
        paths.push({
          routes,
          end: {
            kind: 'nifi',
            path: new URL(step.url).pathname,
            bucket: nifi.bucket,
            keyPrefix: nifi.key.slice(0, slash + 1),
          },
        });
      } else {
        paths.push({
          routes,
          end: { kind: 'fails', reason: 'refused' in nifi ? nifi.refused : nifi.unsendable },
        });
      }
    }
  }
  return paths;
}

function pathsOf(destination: PlannedDestination | undefined): MapSftPath[] {
  return destination?.transferType === 'SFT' && destination.delivery ? sftPathsOf(destination.delivery) : [];
}

/** Keeps the first of equal paths (the data file's and control file's often agree). */
function distinctPaths(paths: readonly MapSftPath[]): MapSftPath[] {
  const seen = new Map<string, MapSftPath>();
  for (const entry of paths) seen.set(JSON.stringify(entry), seen.get(JSON.stringify(entry)) ?? entry);
  return [...seen.values()];
}

/**
 * The routing map of `records` on the day of `stamps`. Each valid rule is explained on its own
 * sample (so overlapping rules do not borrow each other's objects); `sft` follows SFT files
 * through the agent's routes to stub-hdfs.
 */
export function buildRoutingMap(
  records: readonly RoutingItemRecord[],
  stamps: DateStamps,
  sft: SftContext | undefined,
): RoutingMap {
  const rules = checkItems(records).map((checked): MapRule => {
    const { record } = checked;
    const item = record.item;
    if (!checked.ok) {
      return {
        id: describeRuleKey({ sourcePrefix: item.source_prefix, pipelineName: item.pipeline_name }),
        pipelineName: text(item.pipeline_name),
        recipient: text(item.recipient_name),
        transferType: text(item.transfer_type),
        source: { bucket: text(item.source_bucket), prefix: text(item.source_prefix) },
        badges: ['INVALID'],
        valid: false,
        reason: checked.invalid.reason,
        resource: record.resource,
        example: sampleForItem(item, stamps),
        sftPaths: [],
        sftWatchers: [],
      };
    }
    const { rule } = checked;
    const example = sampleFor(
      { sourcePrefix: rule.key.sourcePrefix, sourceBucket: rule.sourceBucket, decrypt: rule.decrypt },
      stamps,
    );
    const explanation = explainKey([record], example.flagKey, {
      stamps,
      sft,
      objects: [{ bucket: example.bucket, key: example.dataKey }],
    });
    const match = explanation.matches[0];
    if (!match)
      throw new Error(`the sample flag ${example.flagKey} does not fire ${describeRuleKey(rule.key)}`);
    const location = match.location;
    const destination: MapDestination =
      location.transferType === 'S3'
        ? {
            kind: 'S3',
            bucket: location.bucket,
            keyPrefix: destinationKeyPrefix(rule.destinationPrefix),
            today: location.keyPrefix,
          }
        : { kind: 'SFT', directory: rule.destinationPrefix, today: location.directory };
    const sample = match.listed?.[0]?.destination;
    const watchers =
      sample?.transferType === 'SFT' && sample.delivery
        ? sample.delivery.candidates.map(({ name, index, filenameRegex }) => ({ name, index, filenameRegex }))
        : [];
    return {
      id: describeRuleKey(rule.key),
      pipelineName: rule.key.pipelineName,
      recipient: rule.recipientName,
      transferType: rule.transferType,
      source: { bucket: rule.sourceBucket, prefix: rule.key.sourcePrefix },
      badges: ruleBadges(rule),
      valid: true,
      resource: record.resource,
      example,
      destination,
      sftPaths: distinctPaths([
        ...(match.listed ?? []).flatMap((object) => pathsOf(object.destination)),
        ...pathsOf(match.controlFile?.destination),
        ...pathsOf(match.manifest?.destination),
      ]),
      sftWatchers: watchers,
    };
  });
  return { rules, date: stamps.isoDate };
}
