import path from 'node:path';
import { type CliProcess, runNode } from './cli.ts';

/** The project root: cucumber runs from there, where its steps and features are. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Runs the project's cucumber (under tsx) as a separate process from the project root, with the
 * configuration file `config` (a test writes its own, so the real run's reports stay as they are)
 * on `features`, `env` added to this process's environment.
 */
export function runCucumber(config: string, features: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return runNode(
    [
      '--import',
      'tsx',
      'node_modules/@cucumber/cucumber/bin/cucumber.js',
      // cucumber 12 resolves even an absolute --config against the working directory.
      '--config',
      path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, config)),
      ...features,
    ],
    { cwd: PROJECT_ROOT, env },
  );
}
