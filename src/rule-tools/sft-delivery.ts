import path from 'node:path';
import { checkFilename, checkTargetPath, objectKey } from '../../stubs/nifi/validation.ts';
import { resolveSftLocation } from '../egress/plan/sft-paths.ts';
import {
  filenameHeaderProblem,
  isIgnoredName,
  renameFileAction,
  resolveUnderRoot,
  type SftAgentConfig,
  type SftRoute,
  selectRoute,
} from '../sft/index.ts';

/**
 * What the SFT agent would do with one file, as a dry run over its configuration, computed with the
 * agent's own functions: the directory mapping under the SFT root (`resolveUnderRoot` for the
 * agent's directories, `resolveSftLocation` for the service's), the names its watcher ignores
 * (`isIgnoredName`), the route that takes the file (`selectRoute`: the FIRST route on the directory
 * whose `filenameRegex` matches the whole name), `renameFileAction`, the `filename` header check,
 * and the stub NiFi's own validation for where it stores the file. `writeFile` leads to another
 * watched directory, so the result is a small tree (the RIS route copies to two places).
 */
export interface SftDelivery {
  /** The directory, as an absolute path from the SFT root: `/data-egress/sas`. */
  readonly directory: string;
  readonly fileName: string;
  /**
   * `routed`: `route` takes the file. `unwatched`: no route watches the directory, the file stays
   * there. `unmatched`: routes watch it but none matches the name, the file stays and is reported.
   * `ignored`: the agent's watcher never looks at such names (hidden, `*.partial`, `*.tmp`).
   * `loop`: the chain came back to a directory already visited (a configuration mistake).
   */
  readonly outcome: 'routed' | 'unwatched' | 'unmatched' | 'ignored' | 'loop';
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
  /** Where files whose actions fail go, as an absolute path from the SFT root. */
  readonly errorFolder: string;
  readonly deleteOnSend: boolean;
}

/** One action of the chosen route. An action that fails sends the file to the route's error folder. */
export type SftStep =
  | { readonly action: 'writeFile'; readonly destination: string; readonly next: SftDelivery }
  | { readonly action: 'renameFile'; readonly from: string; readonly to: string }
  | { readonly action: 'renameFile'; readonly from: string; readonly error: string }
  | {
      readonly action: 'httpRequest';
      readonly url: string;
      readonly sentName: string;
      /**
       * Where the stub NiFi would store it (`s3://<bucket>/<path>/<filename>`), why it would refuse
       * it, or why the agent cannot send the name at all (`unsendable`).
       */
      readonly stubNifi:
        | { readonly bucket: string; readonly key: string }
        | { readonly refused: string }
        | { readonly unsendable: string };
    };

/**
 * Directories are compared as the agent and the service map them under a real root; refusals of
 * `..`, NUL and unsafe names do not depend on where that root is, so a stand-in root answers alike.
 */
const DRY_RUN_ROOT = path.resolve('/');

/** `/data-egress/sas` for a path under {@link DRY_RUN_ROOT}. */
function shown(absolute: string): string {
  return `/${path.relative(DRY_RUN_ROOT, absolute).split(path.sep).join('/')}`;
}

/** Where the agent watches or writes for a configured path (`/data-egress/RIS/`). */
function agentDirectory(configured: string): string {
  return resolveUnderRoot(DRY_RUN_ROOT, configured);
}

function summarise(route: SftRoute): SftRouteSummary {
  return {
    name: route.name,
    index: route.index,
    source: shown(agentDirectory(route.source)),
    filenameRegex: route.filenameRegex.source,
    errorFolder: shown(agentDirectory(route.errorFolder)),
    deleteOnSend: route.deleteOnSend,
  };
}

/** The stub NiFi's storage key for a POST to `url` with `filename` (docs/reference/contracts.md#stub-nifi). */
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

function traceFrom(
  config: Pick<SftAgentConfig, 'routes'>,
  directory: string,
  fileName: string,
  nifiBucket: string,
  visited: ReadonlySet<string>,
): SftDelivery {
  const watching = config.routes.filter((route) => agentDirectory(route.source) === directory);
  const candidates = watching.map(summarise);
  const base = { directory: shown(directory), fileName, candidates };
  if (visited.has(directory) || visited.size >= MAX_DEPTH) return { ...base, outcome: 'loop', steps: [] };
  if (watching.length === 0) return { ...base, outcome: 'unwatched', steps: [] };
  if (isIgnoredName(fileName)) return { ...base, outcome: 'ignored', steps: [] };
  const route = selectRoute(watching, fileName);
  if (!route) return { ...base, outcome: 'unmatched', steps: [] };
  const seen = new Set([...visited, directory]);
  const steps: SftStep[] = [];
  let name = fileName;
  for (const action of route.actions) {
    if (action.type === 'writeFile') {
      const destination = agentDirectory(action.destination);
      steps.push({
        action: 'writeFile',
        destination: shown(destination),
        next: traceFrom(config, destination, name, nifiBucket, seen),
      });
    } else if (action.type === 'renameFile') {
      try {
        const renamed = renameFileAction(action, name);
        steps.push({ action: 'renameFile', from: name, to: renamed });
        name = renamed;
      } catch (error) {
        steps.push({ action: 'renameFile', from: name, error: (error as Error).message });
        break;
      }
    } else {
      const unsendable = filenameHeaderProblem(name);
      steps.push({
        action: 'httpRequest',
        url: action.url.href,
        sentName: name,
        stubNifi: unsendable ? { unsendable } : stubNifiObjectKey(action.url, name, nifiBucket),
      });
      if (unsendable) break;
    }
  }
  return { ...base, outcome: 'routed', route: summarise(route), steps };
}

/**
 * Follows a file the egress service writes — a rule's SFT `destination_prefix` (e.g.
 * `/data-egress/RIS`) and the file's name — through the agent's routes. Pure: no file system.
 * `nifiBucket` is the stub NiFi's bucket. Throws `UnsafeDestinationError` when the service itself
 * would refuse the directory or name.
 */
export function traceSftDelivery(
  config: Pick<SftAgentConfig, 'routes'>,
  directory: string,
  fileName: string,
  nifiBucket: string,
): SftDelivery {
  const written = resolveSftLocation(DRY_RUN_ROOT, directory, fileName).directory;
  return traceFrom(config, written, fileName, nifiBucket, new Set());
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

/**
 * Where a delivery tree leaves files that the agent does not send on: a directory no route watches,
 * a name no route (or the watcher) takes. As `/directory/name` paths from the SFT root.
 */
export function sftFilesLeftBehind(delivery: SftDelivery): string[] {
  if (
    delivery.outcome === 'unwatched' ||
    delivery.outcome === 'unmatched' ||
    delivery.outcome === 'ignored'
  ) {
    return [path.posix.join(delivery.directory, delivery.fileName)];
  }
  return delivery.steps.flatMap((step) => (step.action === 'writeFile' ? sftFilesLeftBehind(step.next) : []));
}
