import { EventEmitter, setMaxListeners } from 'node:events';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { Limiter } from '../util/concurrency.ts';
import { ActionError } from './actions/action-error.ts';
import { httpRequestAction } from './actions/http-request.ts';
import { renameFileAction } from './actions/rename-file.ts';
import { writeFileAction } from './actions/write-file.ts';
import { resolveUnderRoot } from './config/paths.ts';
import type { SftAction, SftAgentConfig, SftRoute } from './config/types.ts';
import { type ErrorRecord, moveToErrorFolder } from './error-folder.ts';
import type { SftAgentEvents } from './events.ts';
import { type ClientTlsMaterial, createHttpPools, type HttpPools } from './http/sender.ts';
import { waitForReadLock } from './readlock.ts';
import { RetriesExhaustedError, withRedelivery } from './redelivery.ts';
import { groupBySource, selectRoute } from './routing.ts';
import { ensureDirectoryBelowRoot } from './volume/directories.ts';
import { SftPathRefusedError } from './volume/errors.ts';
import { type OpenedFile, openRegularFile, unlinkInPlace } from './volume/files.ts';
import { PRIVATE_DIRECTORY_MODE } from './volume/modes.ts';
import { type SourceWatcher, watchSourceDirectory } from './watcher.ts';

/** Options for {@link startSftAgent}. */
export interface StartSftAgentOptions {
  /** From `loadSftAgentConfig`, `parseSftAgentConfig` or `sandboxSftAgentConfig`. */
  config: SftAgentConfig;
  /** Directory that configured paths (`/data-egress/sas/`) are joined under; nothing is touched outside it. */
  sftRoot: string;
  logger?: Logger | undefined;
  /**
   * PEM contents (not paths) for HTTPS: CA to trust, client certificate and key. Each one given
   * here replaces the file named by the configuration's `httpClient.tls`.
   */
  tls?: ClientTlsMaterial | undefined;
  /** How long `stop()` lets in-flight deliveries finish before aborting them. @defaultValue 10 000 ms */
  drainTimeoutMs?: number | undefined;
}

/** A running agent. */
export interface SftAgent {
  readonly sftRoot: string;
  readonly config: SftAgentConfig;
  /** Absolute source directories being watched. */
  readonly watchedDirectories: readonly string[];
  on<E extends keyof SftAgentEvents>(event: E, listener: (...args: SftAgentEvents[E]) => void): this;
  once<E extends keyof SftAgentEvents>(event: E, listener: (...args: SftAgentEvents[E]) => void): this;
  off<E extends keyof SftAgentEvents>(event: E, listener: (...args: SftAgentEvents[E]) => void): this;
  /**
   * Stops watching, cancels queued files and retry waits (those files stay in their source
   * directories for the next start), lets deliveries in progress finish within the drain timeout,
   * then aborts what is left and closes connections.
   */
  stop(): Promise<void>;
}

interface ResolvedRoute {
  route: SftRoute;
  sourceDir: string;
  errorDir: string;
  /** Per action: the absolute directory for writeFile, else undefined. */
  actionDirs: (string | undefined)[];
  limiter: Limiter;
}

/** What the agent knows about a file it is handling. */
interface InFlight {
  /** Another event arrived while it was being handled: look at the file again afterwards. */
  dirty: boolean;
}

function actionTarget(action: SftAction, dir: string | undefined): string | undefined {
  if (action.type === 'httpRequest') return action.url.href;
  return dir;
}

class Agent extends EventEmitter<SftAgentEvents> implements SftAgent {
  readonly sftRoot: string;
  readonly config: SftAgentConfig;
  private readonly logger: Logger;
  private readonly drainTimeoutMs: number;
  private readonly routesByDir = new Map<string, ResolvedRoute[]>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly unmatchedSeen = new Set<string>();
  /** Files handled but kept (deleteOnSend false, or an error folder that could not take them): size:mtime. */
  private readonly settled = new Map<string, string>();
  private readonly watchers: SourceWatcher[] = [];
  /** Source directories refused at start (a symbolic link at some level): not watched. */
  private readonly refusedDirectories = new Set<string>();
  /** Aborted at stop: cancels waiting (read lock, queue, retry delays). */
  private readonly soft = new AbortController();
  /** Aborted after the drain timeout: cuts transfers in progress. */
  private readonly hard = new AbortController();
  private pools!: HttpPools;
  private apiHeaders: Record<string, string> = {};
  private stopping: Promise<void> | undefined;

  constructor(options: StartSftAgentOptions) {
    super();
    this.config = options.config;
    this.sftRoot = path.resolve(options.sftRoot);
    this.logger = options.logger ?? silentLogger();
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    // Every waiting file listens on these (and removes its listener when done): hundreds of files
    // in a directory are normal, not a leak.
    setMaxListeners(0, this.soft.signal, this.hard.signal);
    // Every directory is resolved (and refused if it escapes sftRoot) before anything starts.
    for (const [source, routes] of groupBySource(this.config.routes)) {
      const sourceDir = resolveUnderRoot(this.sftRoot, source);
      this.routesByDir.set(
        sourceDir,
        routes.map((route) => ({
          route,
          sourceDir,
          errorDir: resolveUnderRoot(this.sftRoot, route.errorFolder),
          actionDirs: route.actions.map((action) =>
            action.type === 'writeFile' ? resolveUnderRoot(this.sftRoot, action.destination) : undefined,
          ),
          limiter: new Limiter(route.threadPoolSize),
        })),
      );
    }
  }

  get watchedDirectories(): string[] {
    return [...this.routesByDir.keys()].filter((dir) => !this.refusedDirectories.has(dir));
  }

  async start(tlsOverride: ClientTlsMaterial | undefined): Promise<void> {
    for (const warning of this.config.warnings) this.logger.warn({ origin: this.config.origin }, warning);
    const tls = await this.loadTls(tlsOverride);
    const sockets = this.config.routes.reduce((sum, route) => sum + route.threadPoolSize, 0);
    this.pools = createHttpPools(this.config.httpClient, tls, sockets);
    if (this.config.apiKey !== undefined)
      this.apiHeaders = { [this.config.apiKeyHeader]: this.config.apiKey };
    const sendsHttps = this.config.routes.some((route) =>
      route.actions.some((action) => action.type === 'httpRequest' && action.url.protocol === 'https:'),
    );
    if (sendsHttps && !tls.cert) {
      this.logger.warn(
        'no client certificate configured: servers that require mutual TLS will refuse the agent',
      );
    }
    try {
      // The root is the operator's: created when missing (0700), reached through links or not.
      await mkdir(this.sftRoot, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      for (const [dir, routes] of this.routesByDir) {
        const watcher = await watchSourceDirectory({
          root: this.sftRoot,
          dir,
          readLock: this.config.readLock,
          onFile: (file) => this.handle(file),
          onRemove: (file) => {
            this.unmatchedSeen.delete(file);
            this.settled.delete(file);
          },
          onError: (error) => this.logger.error({ err: error, dir }, 'watcher error'),
        }).catch((error: unknown) => {
          if (!(error instanceof SftPathRefusedError)) throw error;
          // A planted link must not stop the other routes; nothing in this directory is touched.
          this.refusedDirectories.add(dir);
          this.logger.error(
            { dir, routes: routes.map((resolved) => resolved.route.name), reason: error.message },
            'source directory refused: it is reached through a symbolic link; not watched (fix it and restart the agent)',
          );
          return undefined;
        });
        if (watcher) this.watchers.push(watcher);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.logger.info(
      { sftRoot: this.sftRoot, routes: this.config.routes.length, directories: this.watchedDirectories },
      'sft agent started',
    );
  }

  private async loadTls(override: ClientTlsMaterial | undefined): Promise<ClientTlsMaterial> {
    const configured = this.config.httpClient.tls;
    const read = async (file: string | undefined, what: string) => {
      if (!file) return undefined;
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new Error(`cannot read the ${what} file ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    };
    return {
      ca: override?.ca ?? (await read(configured?.caPath, 'CA (httpClient.tls.caPath)')),
      cert:
        override?.cert ?? (await read(configured?.certPath, 'client certificate (httpClient.tls.certPath)')),
      key: override?.key ?? (await read(configured?.keyPath, 'client key (httpClient.tls.keyPath)')),
    };
  }

  /** A watcher event. One file is handled by one task at a time; later events mark it dirty. */
  private handle(file: string): void {
    if (this.stopping) return;
    const current = this.inFlight.get(file);
    if (current) {
      current.dirty = true;
      return;
    }
    const entry: InFlight = { dirty: false };
    this.inFlight.set(file, entry);
    const task = this.process(file)
      .catch((error: unknown) => {
        if (this.stopping) return;
        this.logger.error({ err: error, file }, 'unexpected error handling file; it stays where it is');
      })
      .finally(() => {
        this.inFlight.delete(file);
        this.tasks.delete(task);
        if (entry.dirty && !this.stopping) {
          lstat(file).then(
            () => this.handle(file),
            () => undefined,
          );
        }
      });
    this.tasks.add(task);
  }

  /**
   * Reports, once per file, why a file is not sent and stays where it is: a warning (it looks like
   * tampering) and an `unmatched` event with the reason.
   */
  private refuse(file: string, reason: string): void {
    if (this.unmatchedSeen.has(file)) return;
    this.unmatchedSeen.add(file);
    const directory = path.dirname(file);
    const name = path.basename(file);
    const routes = (this.routesByDir.get(directory) ?? []).map((candidate) => candidate.route.name);
    this.logger.warn({ file, routes, reason }, 'file not sent; it stays where it is');
    this.emit('unmatched', { file, name, directory, routes, reason });
  }

  private async process(file: string): Promise<void> {
    const dir = path.dirname(file);
    const name = path.basename(file);
    const candidates = this.routesByDir.get(dir) ?? [];
    // The directory itself first: a route directory (or one above it) replaced by a symbolic link
    // would make the agent read and delete files outside the SFT root.
    try {
      await ensureDirectoryBelowRoot(this.sftRoot, dir, { create: false });
    } catch (error) {
      if (error instanceof SftPathRefusedError) this.refuse(file, error.message);
      return;
    }
    // Only regular files are sent: a symbolic link could make the agent read (and send) a file
    // outside the SFT root. The link stays where it is; its target is never opened.
    const entry = await lstat(file).catch(() => undefined);
    if (!entry) return;
    if (!entry.isFile()) {
      this.refuse(file, entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file');
      return;
    }
    const chosen = selectRoute(
      candidates.map((candidate) => candidate.route),
      name,
    );
    const resolved = candidates.find((candidate) => candidate.route === chosen);
    if (!resolved) {
      if (!this.unmatchedSeen.has(file)) {
        this.unmatchedSeen.add(file);
        const routes = candidates.map((candidate) => candidate.route.name);
        this.logger.info({ file, routes }, 'no route matches the file name; it stays where it is');
        this.emit('unmatched', { file, name, directory: dir, routes });
      }
      return;
    }
    this.unmatchedSeen.delete(file);
    const { route } = resolved;
    const stats = await waitForReadLock(file, this.config.readLock, {
      signal: this.soft.signal,
      onTimeout: (waitedMs) =>
        this.logger.warn(
          { file, route: route.name, waitedMs },
          'file still changing after the read-lock timeout; still waiting',
        ),
    });
    if (!stats) return;
    if (this.settled.get(file) === signature(stats)) return;
    if (resolved.limiter.active >= resolved.limiter.limit) {
      this.logger.debug(
        { file, route: route.name, queued: resolved.limiter.pending + 1 },
        'waiting for a free delivery slot',
      );
    }
    await resolved.limiter.run(() => this.deliver(file, resolved, stats), this.soft.signal);
  }

  /**
   * Opens the file for its delivery, checked: no symbolic link as the file or any directory up to
   * the root, a regular file with one link, and the same inode the path names. Every action reads
   * through this handle, so what is sent is what was checked.
   */
  private async openForDelivery(file: string, base: object): Promise<OpenedFile | undefined> {
    try {
      return await openRegularFile(this.sftRoot, file);
    } catch (error) {
      if (error instanceof SftPathRefusedError) {
        this.refuse(file, error.message);
        return undefined;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.logger.info({ ...base }, 'file disappeared before delivery; nothing to do');
        return undefined;
      }
      throw error;
    }
  }

  private async deliver(file: string, resolved: ResolvedRoute, stats: Stats): Promise<void> {
    const base = {
      route: resolved.route.name,
      routeIndex: resolved.route.index,
      file,
      name: path.basename(file),
    };
    // It may have waited for a pool slot: gone means someone else took it; changed means a writer
    // is at it again, so it goes back through the read-lock.
    const opened = await this.openForDelivery(file, base);
    if (!opened) return;
    try {
      if (signature(opened.stats) !== signature(stats)) {
        const entry = this.inFlight.get(file);
        if (entry) entry.dirty = true;
        return;
      }
      await this.runActions(opened, resolved, base);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  }

  private async runActions(
    opened: OpenedFile,
    resolved: ResolvedRoute,
    base: { route: string; routeIndex: number; file: string; name: string },
  ): Promise<void> {
    const { route } = resolved;
    const { stats } = opened;
    const file = opened.path;
    const started = Date.now();
    const destinations: string[] = [];
    let sentName = base.name;
    let attempts = 0;
    let current = 0;
    this.logger.debug({ ...base, bytes: stats.size }, 'delivering');
    try {
      for (const [index, action] of route.actions.entries()) {
        current = index;
        if (action.type === 'renameFile') {
          sentName = renameFileAction(action, sentName);
          continue;
        }
        const target = actionTarget(action, resolved.actionDirs[index]);
        const result = await withRedelivery(
          this.config.retry,
          async () => {
            if (action.type === 'writeFile') {
              await writeFileAction(
                opened,
                this.sftRoot,
                resolved.actionDirs[index]!,
                sentName,
                this.hard.signal,
              );
            } else {
              await httpRequestAction(action, opened, sentName, stats.size, {
                pools: this.pools,
                httpClient: this.config.httpClient,
                headers: this.apiHeaders,
                signal: this.hard.signal,
              });
            }
          },
          {
            signal: this.soft.signal,
            onRetry: ({ attempt, delayMs, error }) => {
              this.logger.warn(
                {
                  ...base,
                  action: action.type,
                  target,
                  attempt,
                  delayMs,
                  status: error.status,
                  err: error.message,
                },
                'action failed; will retry',
              );
              this.emit('retrying', {
                ...base,
                action: action.type,
                actionIndex: index,
                attempt,
                delayMs,
                status: error.status,
                reason: error.message,
              });
            },
          },
        );
        attempts += result.attempts;
        if (target) destinations.push(target);
      }
    } catch (error) {
      if (this.stopping) {
        this.logger.info({ ...base }, 'agent stopping: file left in its source directory');
        return;
      }
      const failure =
        error instanceof RetriesExhaustedError
          ? error
          : new RetriesExhaustedError(
              1,
              error instanceof ActionError
                ? error
                : new ActionError((error as Error).message, { retryable: false, cause: error }),
              new Date(started),
            );
      await this.fail(
        opened,
        resolved,
        { ...base, sentName, actionIndex: current, attempts: attempts + failure.attempts },
        failure,
      );
      return;
    }

    let deleted = false;
    const after = await opened.handle.stat().catch(() => undefined);
    if (after && signature(after) !== signature(stats)) {
      // Rewritten while it was being delivered: what was sent may be neither version. Keep the
      // file and look at it again, so the new content is delivered rather than deleted unsent.
      this.logger.warn({ ...base }, 'file changed during delivery; it is kept and will be delivered again');
      const entry = this.inFlight.get(file);
      if (entry) entry.dirty = true;
    } else if (route.deleteOnSend) {
      try {
        // Only the file that was sent, where it was: never through a link swapped in meanwhile.
        await unlinkInPlace(this.sftRoot, file, stats);
        deleted = true;
      } catch (error) {
        const gone =
          (error as NodeJS.ErrnoException).code === 'ENOENT' ||
          (error instanceof SftPathRefusedError && error.refusal === 'gone');
        if (gone) {
          // someone else removed it
        } else if (error instanceof SftPathRefusedError) {
          this.logger.warn(
            { ...base, reason: error.message },
            'delivered, but the source file was not deleted',
          );
          const entry = this.inFlight.get(file);
          if (entry) entry.dirty = true;
        } else {
          this.logger.error({ ...base, err: error }, 'delivered but could not delete the source file');
          this.settled.set(file, signature(stats));
        }
      }
    } else {
      this.settled.set(file, signature(stats));
    }
    const durationMs = Date.now() - started;
    this.logger.info(
      { ...base, sentName, bytes: stats.size, attempts, destinations, durationMs },
      'delivered',
    );
    this.emit('delivered', {
      ...base,
      sentName,
      bytes: stats.size,
      attempts,
      destinations,
      durationMs,
      deleted,
    });
  }

  private async fail(
    opened: OpenedFile,
    resolved: ResolvedRoute,
    info: {
      route: string;
      routeIndex: number;
      file: string;
      name: string;
      sentName: string;
      actionIndex: number;
      attempts: number;
    },
    failure: RetriesExhaustedError,
  ): Promise<void> {
    const file = opened.path;
    const action = resolved.route.actions[info.actionIndex]!;
    const last = failure.lastError;
    const record: ErrorRecord = {
      route: info.route,
      routeIndex: info.routeIndex,
      file: info.name,
      source: file,
      sentName: info.sentName,
      action: action.type,
      actionIndex: info.actionIndex,
      destination: actionTarget(action, resolved.actionDirs[info.actionIndex]),
      attempts: info.attempts,
      permanent: !last.retryable,
      lastStatus: last.status,
      lastError: last.message,
      firstAttemptAt: failure.firstAttemptAt.toISOString(),
      failedAt: new Date().toISOString(),
    };
    let moved: { file: string; sidecar: string } | undefined;
    try {
      moved = await moveToErrorFolder(this.sftRoot, file, opened.stats, resolved.errorDir, record);
      this.logger.error(
        { ...record, errorFile: moved.file },
        'delivery failed; file moved to the error folder',
      );
    } catch (error) {
      // Never lose the file: it stays in the source directory, and is not retried until it changes.
      this.settled.set(file, signature(opened.stats));
      this.logger.error(
        { ...record, err: error },
        'delivery failed and the file could not be moved to the error folder; it stays where it is',
      );
    }
    this.emit('failed', {
      ...info,
      action: action.type,
      permanent: record.permanent,
      status: last.status,
      reason: last.message,
      errorFile: moved?.file,
      sidecar: moved?.sidecar,
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.soft.abort(new Error('sft agent stopping'));
      await Promise.all(this.watchers.map((watcher) => watcher.close()));
      const drain = Promise.allSettled([...this.tasks]);
      const timer = delay(this.drainTimeoutMs, 'timeout' as const, { ref: false });
      if ((await Promise.race([drain.then(() => 'drained' as const), timer])) === 'timeout') {
        this.logger.warn({ inFlight: this.tasks.size }, 'drain timeout: aborting deliveries in progress');
        this.hard.abort(new Error('sft agent stopped'));
        await drain;
      }
      this.pools?.destroy();
      this.logger.info('sft agent stopped');
    })();
    return this.stopping;
  }
}

function signature(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}`;
}

/**
 * Starts the SFT agent: watches every route's source directory under `sftRoot` and delivers files
 * through their routes' actions. Resolves once every directory is being watched (files already
 * present are then being picked up).
 */
export async function startSftAgent(options: StartSftAgentOptions): Promise<SftAgent> {
  const agent = new Agent(options);
  await agent.start(options.tls);
  return agent;
}
