export {
  type ArrivalCell,
  arrivalCell,
  type DataContentCell,
  type ManifestCell,
  manifestCell,
  parseArrival,
  parseControlContent,
  parseDataContent,
  parseManifestContent,
  RuleSetCellError,
  renderArrival,
  renderControlContent,
  renderDataContent,
  renderManifestContent,
} from './cells.ts';
export {
  type DataContent,
  type DeliveryRow,
  type FlagVerdict,
  type ManifestContent,
  planRuleSet,
  type RuleScenario,
  type RuleSetPlan,
} from './expectations.ts';
export {
  DATE_PLACEHOLDERS,
  expandDatePlaceholders,
  type GeneratedFeature,
  generateRuleSetFeature,
  RuleSetGenerationError,
  templateDates,
} from './generate.ts';
export {
  COMPLETION_FILE_NAMES,
  DELIVERY_COLUMNS,
  type FeatureOptions,
  RULE_SET_STEPS,
  renderRuleSetFeature,
} from './gherkin.ts';
export { scopeDestinationKey, scopeItem, scopeSourceKey } from './isolation.ts';
export {
  type RuleSetSample,
  ruleSetSamples,
  type SampleEncryption,
  sampleEncryption,
  sampleFileName,
  sampleFlags,
  storableKey,
  storedRecords,
} from './samples.ts';
