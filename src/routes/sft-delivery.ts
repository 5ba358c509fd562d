import { checkFilename, checkTargetPath, objectKey } from '../../stubs/nifi/validation.ts';
import { normaliseConfiguredPath } from '../sft/config/paths.ts';
import type { SftAgentConfig, SftRoute } from '../sft/config/types.ts';
import { selectRoute } from '../sft/routing.ts';

/**
 * What the SFT agent would do with one file, as a dry run over its configuration: the route that
 * takes the file (the FIRST route on the file's directory whose `filenameRegex` matches the whole
 * name — the agent's own rule, `selectRoute`), then each action in order. `writeFile` leads to
 * another watched directory, so the result is a small tree (the RIS route copies to two places).
 */
export interface SftDelivery {
  /** The directory as configured paths are compared: `/data-egress/sas`. */
  readonly directory: string;
  readonly fileName: string;
  /**
   * `unwatched`: no route watches the directory, the file stays there. `unmatched`: routes watch
   * it but none matches the name, the file stays and is reported. `routed`: `route` takes it.
   * `loop`: the chain came back to a directory already visited (a configuration mistake).
   */
  readonly outcome: 'routed' | 'unwatched' | 'unmatched' | 'loop';
  readonly route?: SftRouteSummary | undefined;
  /** The routes that watch the directory, in order, for an `unmatched` explanation. */
  readonly candidates: readonly SftRouteSummary[];
  readonly steps: readonly SftStep[];
}

export interface SftRouteSummary {
  readonly name: string;
  readonly index: number;
  readonly source: string;
  readonly filenameRegex: string;
  readonly errorFolder: string;
  readonly deleteOnSend: boolean;
}

/** One action of the chosen route. */
export type SftStep =
  | { readonly action: 'writeFile'; readonly destination: string; readonly next: SftDelivery }
  | { readonly action: 'renameFile'; readonly from: string; readonly to: string }
  | { readonly action: 'renameFile'; readonly from: string; readonly error: string }
  | {
      readonly action: 'httpRequest';
      readonly url: string;
      readonly sentName: string;
      /** Where the stub NiFi would store it (`s3://<bucket>/<path>/<filename>`), or why it would refuse. */
      readonly stubNifi: { readonly bucket: string; readonly key: string } | { readonly refused: string };
    };

function summarise(route: SftRoute): SftRouteSummary {
  return {
    name: route.name,
    index: route.index,
    source: normaliseConfiguredPath(route.source),
    filenameRegex: route.filenameRegex.source,
    errorFolder: route.errorFolder,
    deleteOnSend: route.deleteOnSend,
  };
}

/** The stub NiFi's storage key for a POST to `url` with `filename` (ARCHITECTURE §3.3). */
export function stubNifiObjectKey(
  url: URL,
  filename: string,
  bucket: string,
): { bucket: string; key: string } | { refused: string } {
  const name = checkFilename(filename);
  if ('status' in name) return { refused: `${name.status} ${name.reason}` };
  const target = checkTargetPath(url.pathname);
  if ('status' in target) return { refused: `${target.status} ${target.reason}` };
  const keyed = objectKey(target.segments, name.filename);
  if ('status' in keyed) return { refused: `${keyed.status} ${keyed.reason}` };
  return { bucket, key: keyed.key };
}

const MAX_DEPTH = 8;

/**
 * Follows a file through the agent's routes from `directory` (a rule's SFT `destination_prefix`,
 * e.g. `/data-egress/RIS`) — pure, no file system. `nifiBucket` is the stub NiFi's bucket.
 */
export function traceSftDelivery(
  config: Pick<SftAgentConfig, 'routes'>,
  directory: string,
  fileName: string,
  nifiBucket: string,
  visited: ReadonlySet<string> = new Set(),
): SftDelivery {
  const normalised = normaliseConfiguredPath(directory);
  const watching = config.routes.filter((route) => normaliseConfiguredPath(route.source) === normalised);
  const candidates = watching.map(summarise);
  const base = { directory: normalised, fileName, candidates };
  if (visited.has(normalised) || visited.size >= MAX_DEPTH) return { ...base, outcome: 'loop', steps: [] };
  if (watching.length === 0) return { ...base, outcome: 'unwatched', steps: [] };
  const route = selectRoute(watching, fileName);
  if (!route) return { ...base, outcome: 'unmatched', steps: [] };
  const seen = new Set([...visited, normalised]);
  const steps: SftStep[] = [];
  let name = fileName;
  for (const action of route.actions) {
    if (action.type === 'writeFile') {
      steps.push({
        action: 'writeFile',
        destination: normaliseConfiguredPath(action.destination),
        next: traceSftDelivery(config, action.destination, name, nifiBucket, seen),
      });
    } else if (action.type === 'renameFile') {
      try {
        const renamed = action.rename(name);
        steps.push({ action: 'renameFile', from: name, to: renamed });
        name = renamed;
      } catch (error) {
        steps.push({ action: 'renameFile', from: name, error: (error as Error).message });
        break;
      }
    } else {
      steps.push({
        action: 'httpRequest',
        url: action.url.href,
        sentName: name,
        stubNifi: stubNifiObjectKey(action.url, name, nifiBucket),
      });
    }
  }
  return { ...base, outcome: 'routed', route: summarise(route), steps };
}

/** Every stub-hdfs object a delivery tree ends at (`bucket/key`), in action order. */
export function stubHdfsTargets(delivery: SftDelivery): { bucket: string; key: string; url: string }[] {
  const targets: { bucket: string; key: string; url: string }[] = [];
  for (const step of delivery.steps) {
    if (step.action === 'writeFile') targets.push(...stubHdfsTargets(step.next));
    else if (step.action === 'httpRequest' && 'key' in step.stubNifi) {
      targets.push({ ...step.stubNifi, url: step.url });
    }
  }
  return targets;
}
