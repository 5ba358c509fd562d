export { iamActionsFor } from './actions.ts';
export {
  ASSUMED_ROLE,
  checkAwsCalls,
  formatIamCheck,
  type IamActionUse,
  type IamCheck,
  type IamPolicy,
  IamPolicyError,
  loadIamPolicy,
  parseIamPolicy,
  parseRecordedCalls,
} from './policy.ts';
