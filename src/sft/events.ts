/** Payloads of the agent's events, for the sandbox trace and dashboard. */

interface FileEventBase {
  route: string;
  routeIndex: number;
  /** Absolute path where the file was picked up. */
  file: string;
  /** Its name there. */
  name: string;
}

/** Every action of the route succeeded. */
export interface DeliveredEvent extends FileEventBase {
  /** The name after `renameFile` actions (what `httpRequest` sent as `filename`). */
  sentName: string;
  bytes: number;
  /** Attempts over all actions (equals the number of actions when nothing was retried). */
  attempts: number;
  /** Directories written and URLs posted to, in action order. */
  destinations: string[];
  durationMs: number;
  /** True when `deleteOnSend` removed the source file. */
  deleted: boolean;
}

/** An action failed for good; the file is in the error folder (unless moving it failed too). */
export interface FailedEvent extends FileEventBase {
  sentName: string;
  action: string;
  actionIndex: number;
  attempts: number;
  permanent: boolean;
  status?: number | undefined;
  reason: string;
  /** Where the file and its `.error.json` sidecar are now; absent if the move failed. */
  errorFile?: string | undefined;
  sidecar?: string | undefined;
}

/** An attempt failed and another follows after `delayMs`. */
export interface RetryingEvent extends FileEventBase {
  action: string;
  actionIndex: number;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  status?: number | undefined;
  reason: string;
}

/** No route on the directory matches the name; the file stays where it is (reported once). */
export interface UnmatchedEvent {
  file: string;
  name: string;
  directory: string;
  /** Names of the routes watching that directory. */
  routes: string[];
  /** Why it is not sent when a route would match its name (e.g. it is a symbolic link). */
  reason?: string;
}

/** Event name → listener arguments. */
export interface SftAgentEvents {
  delivered: [DeliveredEvent];
  failed: [FailedEvent];
  retrying: [RetryingEvent];
  unmatched: [UnmatchedEvent];
}
