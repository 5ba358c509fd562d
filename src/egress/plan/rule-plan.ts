import { UnsafeDestinationError } from '../errors.ts';
import type { ResolvedRule } from '../rules/matching.ts';
import {
  controlFileEntry,
  type Destination,
  type DestinationLocation,
  destinationLocation,
  planControlFile,
  planDataObjectNaming,
  planManifest,
} from './destinations.ts';
import {
  type DuplicateDestination,
  describeDuplicates,
  findDuplicateDestinations,
  planRuleDestinations,
} from './duplicate-destinations.ts';
import { isEgressableKey, isFlagKey, type NamingStep } from './naming.ts';

/*
 * What one rule does when a flag fires it, as a pure function of the rule and the keys its listing
 * returns. The service takes the same decisions object by object (rule-egress.ts: the listing
 * filter, `planDataObject`, `planControlFile`, `planManifest`); `egress routes explain`, the
 * routing map and the rule samples format what these functions return.
 */

/** What the service does with one listed key. */
export type ListedObjectDecision =
  /** Flags and directory markers are listed but never sent (behaviour §3.1). */
  | { readonly action: 'skip'; readonly reason: 'flag' | 'directory-marker' }
  /** Sent to `destination`; `naming` shows how the key became that name. */
  | { readonly action: 'send'; readonly destination: Destination; readonly naming: readonly NamingStep[] }
  /** The name cannot be written (it would leave the SFT root, has no file name, …): the object fails. */
  | { readonly action: 'refuse'; readonly reason: string }
  /**
   * The object could be sent, but the rule transfers nothing because two listed sources would
   * write one destination name (the rule fails as a whole; no object fails on its own).
   */
  | { readonly action: 'withhold'; readonly reason: string };

/** The decision for one listed key — the same tests and naming functions the service runs. */
export function planListedObject(resolved: ResolvedRule, key: string): ListedObjectDecision {
  // The service's listing filter (rule-egress.ts) is this same test.
  if (!isEgressableKey(key)) return { action: 'skip', reason: isFlagKey(key) ? 'flag' : 'directory-marker' };
  try {
    const { destination, steps } = planDataObjectNaming(resolved, key);
    return { action: 'send', destination, naming: steps };
  } catch (error) {
    if (error instanceof UnsafeDestinationError) return { action: 'refuse', reason: error.message };
    throw error;
  }
}

/**
 * Whether a rule's listing returns `bucket`/`key`: ListObjectsV2 on the rule's source bucket with
 * the resolved source prefix, no delimiter (sub-folders included), every page.
 */
export function listingIncludes(resolved: ResolvedRule, bucket: string, key: string): boolean {
  return bucket === resolved.rule.sourceBucket && key.startsWith(resolved.sourcePrefix);
}

/** A control file or manifest: where it goes, or why it cannot be written. */
export type CompletionFilePlan =
  | { readonly kind: 'control' | 'manifest'; readonly destination: Destination }
  | { readonly kind: 'control' | 'manifest'; readonly refused: string };

/** Everything one rule does for one firing. */
export interface RulePlan {
  readonly resolved: ResolvedRule;
  /** What is listed: the rule's source bucket and resolved prefix. */
  readonly listing: { readonly bucket: string; readonly prefix: string };
  /** Where the rule puts files. */
  readonly location: DestinationLocation;
  /** Every listed key, in listing order, with its decision. */
  readonly objects: readonly { readonly key: string; readonly decision: ListedObjectDecision }[];
  readonly controlFile?: CompletionFilePlan | undefined;
  readonly manifest?: CompletionFilePlan | undefined;
  /** The control file's lines (basenames of what was sent, in listing order), when it has one. */
  readonly controlEntries: readonly string[];
  /**
   * `completes` when every object can be sent and the control file and manifest written; `fails`
   * otherwise — the rule's message is then kept for retry (and ends in the DLQ) and, as in the
   * service, no control file or manifest is written.
   */
  readonly outcome: 'completes' | 'fails';
  /** Why the rule fails. */
  readonly failures: readonly string[];
  /**
   * Destination names more than one listed source would write. When there are any, the service
   * transfers nothing of the rule (every `send` decision above becomes a `withhold`).
   */
  readonly duplicates: readonly DuplicateDestination[];
}

function completionFile(
  kind: 'control' | 'manifest',
  plan: () => Destination | undefined,
): CompletionFilePlan | undefined {
  try {
    const destination = plan();
    return destination ? { kind, destination } : undefined;
  } catch (error) {
    if (error instanceof UnsafeDestinationError) return { kind, refused: error.message };
    throw error;
  }
}

/**
 * Plans a rule's firing over the keys its listing returns (`listedKeys` in listing order, already
 * limited to the rule's bucket and prefix — see {@link listingIncludes}).
 */
export function planRule(resolved: ResolvedRule, listedKeys: readonly string[]): RulePlan {
  // The service's order (rule-egress.ts): the whole listing, then the duplicate check, then transfers.
  const duplicates = findDuplicateDestinations(
    planRuleDestinations(resolved, listedKeys.filter(isEgressableKey)),
  );
  const blocked = duplicates.length > 0 ? describeDuplicates(duplicates) : undefined;
  const objects = listedKeys.map((key) => {
    const decision = planListedObject(resolved, key);
    return {
      key,
      decision:
        blocked && decision.action === 'send'
          ? ({ action: 'withhold', reason: `not transferred: ${blocked}` } as const)
          : decision,
    };
  });
  const failures: string[] = blocked ? [blocked] : [];
  for (const { key, decision } of objects) {
    if (decision.action === 'refuse' && !blocked) failures.push(`${key}: ${decision.reason}`);
  }
  const controlFile = completionFile('control', () => planControlFile(resolved));
  const manifest = completionFile('manifest', () => planManifest(resolved));
  for (const file of [controlFile, manifest]) {
    if (file && 'refused' in file) failures.push(`${file.kind} file: ${file.refused}`);
  }
  const controlEntries = objects.flatMap(({ decision }) =>
    decision.action === 'send' ? [controlFileEntry(decision.destination)] : [],
  );
  return {
    resolved,
    listing: { bucket: resolved.rule.sourceBucket, prefix: resolved.sourcePrefix },
    location: destinationLocation(resolved),
    objects,
    controlFile,
    manifest,
    controlEntries,
    outcome: failures.length === 0 ? 'completes' : 'fails',
    failures,
    duplicates,
  };
}
