export { type Environment, type EnvironmentDeclaration, environmentSchema } from './environment.ts';
export {
  EnvironmentFileError,
  environmentFromObject,
  type LoadedEnvironment,
  loadEnvironmentFile,
  normaliseItem,
  parseEnvironment,
} from './environment-file.ts';
export {
  type ProvisionAction,
  type ProvisionOptions,
  type ProvisionReport,
  type ProvisionStep,
  provisionEnvironment,
  RealAwsNotConfirmedError,
} from './provision.ts';
