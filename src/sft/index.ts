export { filenameHeaderProblem } from './actions/http-request.ts';
export { renameFileAction } from './actions/rename-file.ts';
export { type SftAgent, type StartSftAgentOptions, startSftAgent } from './agent.ts';
export { parseDuration } from './config/duration.ts';
export { compileJavaRegex, type JavaRegex } from './config/java-regex.ts';
export { loadSftAgentConfig, type SftConfigFiles } from './config/load.ts';
export { CONFIG_DEFAULTS, type ConfigIssue, parseSftAgentConfig, SftConfigError } from './config/parse.ts';
export { normaliseConfiguredPath, resolveUnderRoot } from './config/paths.ts';
export type {
  HttpClientConfig,
  HttpClientTlsConfig,
  ReadLockConfig,
  RetryPolicy,
  SftAction,
  SftAgentConfig,
  SftRoute,
} from './config/types.ts';
export type { ErrorRecord } from './error-folder.ts';
export type { DeliveredEvent, FailedEvent, RetryingEvent, SftAgentEvents, UnmatchedEvent } from './events.ts';
export type { ClientTlsMaterial } from './http/sender.ts';
export { selectRoute } from './routing.ts';
export {
  SANDBOX_SFT_TIMINGS,
  type SandboxSftAgentConfigOptions,
  type SandboxSftTimings,
  SFT_TEMPLATE_DIR,
  sandboxSftAgentConfig,
} from './sandbox-config.ts';
export { ignoredNameReason, isIgnoredName } from './volume/names.ts';
