export { InvalidDateError, processingDay } from './dates.ts';
export {
  type Arrival,
  arrivalsOf,
  type ExpectedDelivery,
  expectedDeliveries,
  expectedDeliveriesForRule,
  type FlagOutcome,
} from './deliveries.ts';
export {
  type ContentPlan,
  type ExplainOptions,
  type Explanation,
  explainKey,
  explainPrefix,
  type InvalidMatch,
  type NearMiss,
  type ObjectPlan,
  type PlannedDestination,
  type PlannedFile,
  type PlannedLocation,
  type PrefixExplanation,
  type RuleLabel,
  type RuleMatch,
  type SftContext,
} from './explain.ts';
export { formatExplanation, formatRuleTable, formatValidation, textTable } from './format.ts';
export {
  type CheckedItem,
  checkItems,
  describeItem,
  type RoutingItemRecord,
  recordsFromItems,
} from './items.ts';
export { listRules, type RuleRow } from './list.ts';
export {
  formatLoadReport,
  type LoadOptions,
  type LoadReport,
  loadRuleItems,
  RuleLoadError,
  unstorableItems,
} from './load.ts';
export { type RuleFile, readRuleFile } from './rule-file.ts';
export {
  type LoadedRules,
  loadRules,
  RuleSourceError,
  type RuleSourceOptions,
  readItemsFile,
  readSandboxState,
  resolveTableTarget,
  sandboxTarget,
  scanRoutingTable,
  sftContextFor,
  type TableTarget,
} from './rule-source.ts';
export {
  keyUnderPrefix,
  type RuleSample,
  type SampleOptions,
  type SampleSource,
  sampleFlagKey,
  sampleFor,
  sampleForItem,
} from './samples.ts';
export {
  type SftDelivery,
  type SftRouteSummary,
  type SftStep,
  sftFilesLeftBehind,
  stubHdfsTargets,
  stubNifiObjectKey,
  traceSftDelivery,
} from './sft-delivery.ts';
export {
  givenTerraformFlags,
  importOptionsFor,
  NO_TERRAFORM_VALUES,
  parseTerraformValues,
  type TerraformValueFlags,
  type TerraformValues,
  TerraformValuesError,
  terraformValueArguments,
} from './terraform-values.ts';
export {
  type FieldProblem,
  type ItemFinding,
  KNOWN_COLUMNS,
  splitReason,
  type ValidationReport,
  validateItems,
} from './validate.ts';
