import type { ResolvedRule } from '../rules/matching.ts';
import { type Destination, planControlFile, planDataObject, planManifest } from './destinations.ts';

/** A destination and what would be written there: a source key, or `control file` / `manifest`. */
export interface NamedDestination {
  readonly source: string;
  readonly destination: Destination;
}

/** One destination that more than one source of a rule would write. */
export interface DuplicateDestination {
  /** `s3://bucket/key` or `sft:<directory>/<file name>`. */
  readonly target: string;
  /** Every source writing it, in the order given (listing order). */
  readonly sources: readonly string[];
}

/** What gets overwritten, as people read it: `s3://bucket/key` or `sft:<directory>/<file name>`. */
export function overwriteTarget(destination: Destination): string {
  if (destination.transferType === 'S3') return `s3://${destination.bucket}/${destination.key}`;
  const directory = destination.directory.endsWith('/') ? destination.directory : `${destination.directory}/`;
  return `sft:${directory}${destination.fileName}`;
}

/**
 * The destinations a rule would write for `sourceKeys` (data objects, in order), then its control
 * file and manifest. A name that cannot be planned (an unsafe or ignored SFT name) is left out: that
 * object fails on its own with its reason.
 */
export function planRuleDestinations(
  resolved: ResolvedRule,
  sourceKeys: Iterable<string>,
): NamedDestination[] {
  const planned: NamedDestination[] = [];
  const attempt = (source: string, plan: () => Destination | undefined) => {
    try {
      const destination = plan();
      if (destination) planned.push({ source, destination });
    } catch {
      // refused names fail their own transfer (or the rule's completion files) with the reason
    }
  };
  for (const key of sourceKeys) attempt(key, () => planDataObject(resolved, key));
  attempt('control file', () => planControlFile(resolved));
  attempt('manifest', () => planManifest(resolved));
  return planned;
}

/**
 * Destinations named by more than one entry, in the order they first appear. The original
 * flattened a rule's prefix to base names and copied serially, so the last one listed silently
 * won; copying in parallel, the winner would be whichever upload finished last. Either way data is
 * lost without a word, so the service refuses the rule instead (see `egressRule`).
 */
export function findDuplicateDestinations(entries: Iterable<NamedDestination>): DuplicateDestination[] {
  const sourcesByTarget = new Map<string, string[]>();
  for (const { source, destination } of entries) {
    const target = overwriteTarget(destination);
    const sources = sourcesByTarget.get(target);
    if (sources) sources.push(source);
    else sourcesByTarget.set(target, [source]);
  }
  return [...sourcesByTarget]
    .filter(([, sources]) => sources.length > 1)
    .map(([target, sources]) => ({ target, sources }));
}

function listOf(sources: readonly string[]): string {
  const quoted = sources.map((source) => JSON.stringify(source));
  return quoted.length <= 2 ? quoted.join(' and ') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/** One sentence naming every duplicate destination and all its sources (a rule failure reason). */
export function describeDuplicates(duplicates: readonly DuplicateDestination[]): string {
  const count = duplicates.length;
  const each = duplicates.map((duplicate) => `${duplicate.target} from ${listOf(duplicate.sources)}`);
  return (
    `${count} destination name${count === 1 ? '' : 's'} would ${count === 1 ? 'be' : 'each be'} written by ` +
    `more than one source, so one would overwrite the other: ${each.join('; ')}`
  );
}
