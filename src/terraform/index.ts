export { AttributeValueError, fromAttributeValue, fromAttributeValues } from './attribute-values.ts';
export {
  type EachBinding,
  type EvaluationContext,
  evaluateExpression,
  evaluateParsedValue,
  TerraformSyntaxError,
} from './evaluate.ts';
export { SUPPORTED_FUNCTIONS } from './functions.ts';
export {
  isTerraformTemplate,
  readTemplateValuesFile,
  readTerraformFiles,
  readVariablesFile,
  TerraformInputError,
} from './hcl.ts';
export {
  type ImportedItem,
  type ImportOptions,
  type ImportResult,
  importRoutingItems,
  type PlaceholderUse,
  TerraformItemError,
} from './import.ts';
export { type ForEachShape, placeholderFor, type TraversalStep } from './placeholders.ts';
export {
  assignTemplateValue,
  parseTemplateValue,
  type RenderedTemplate,
  renderTerraformTemplate,
  setTemplateValue,
  type TemplateValueAssignment,
  type TemplateValues,
} from './template.ts';
export { isUnresolved, kebab, type TfValue, Unresolved } from './values.ts';
