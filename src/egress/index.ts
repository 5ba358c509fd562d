export {
  EgressConfigError,
  type EgressServiceConfig,
  loadEgressServiceConfig,
  type ResolvedEgressServiceConfig,
  resolveEgressServiceConfig,
  SETTINGS as EGRESS_SETTINGS,
  type SettingDescription,
} from './config/service-config.ts';
export { DEAD_LETTER_REASON_ATTRIBUTE } from './consumer/dead-letter.ts';
export { type FlagEvent, type ParsedMessage, parseS3EventMessage } from './consumer/s3-event.ts';
export {
  type Decision,
  decisionFor,
  EgressError,
  type ErrorContext,
  InvalidRuleError,
  MalformedMessageError,
  ObjectTransferError,
  TransientEgressError,
  UnsafeDestinationError,
} from './errors.ts';
export type {
  EgressEventListener,
  EgressEventName,
  EgressEvents,
  RuleSummary,
} from './observability/events.ts';
export { FILE_LABELS } from './observability/metrics.ts';
export { type DateStamps, dateStamps } from './plan/dates.ts';
export type { Destination } from './plan/destinations.ts';
export { describeDestination, s3Url } from './plan/locations.ts';
export { matchRules, type ResolvedRule, resolveRule } from './rules/matching.ts';
export type { EgressRule, InvalidRule, RuleKey } from './rules/rule.ts';
export { parseRoutingItem, parseRoutingItems, type RoutingItemResult } from './rules/schema.ts';
export { type EgressService, type EgressServiceOptions, startEgressService } from './service.ts';
export type {
  ContentContext,
  EgressCrypto,
  ManifestToSeal,
  ObjectContent,
  SourceObject,
} from './transfer/content-seam.ts';
export { plainContentOnly } from './transfer/content-seam.ts';
export { ROLE_SESSION_NAME } from './transfer/destination-clients.ts';
