import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS } from '../../../src/aws/target.ts';
import { startSandbox } from '../../../src/sandbox/sandbox.ts';
import { resolveSandboxSettings } from '../../../src/sandbox/settings.ts';
import { EPHEMERAL_PORTS } from '../../../src/testing/index.ts';
import { serviceEvents } from '../pipeline-events.ts';
import type { TestTarget } from '../target.ts';
import { logSize, readLogFrom } from './logs.ts';

/** Environment used by the scenarios: short visibility so retry paths finish in seconds. */
export const BDD_ENVIRONMENT = path.resolve('features/support/environment.yml');

/**
 * The whole sandbox in this process on free ports, with its own state directory, or pointed at
 * another endpoint (moto, LocalStack) when `awsEndpoint` is given.
 */
export async function startSandboxTarget(
  name: TestTarget['name'],
  awsEndpoint?: string,
): Promise<TestTarget> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `egress-bdd-${name}-`));
  const settings = resolveSandboxSettings(
    { stateDir },
    {
      ...process.env,
      ...EPHEMERAL_PORTS,
    },
  );
  const sandbox = await startSandbox({
    settings,
    environmentFile: BDD_ENVIRONMENT,
    awsEndpoint,
    // Emulators take any key; the developer's own AWS variables stay out of the scenarios.
    awsCredentials: { ...EMULATOR_CREDENTIALS },
  });
  const events = serviceEvents(sandbox.components.egress);
  return {
    name,
    state: sandbox.state,
    sandbox,
    events,
    logMark: () => logSize(sandbox.state.logs),
    logsSince: (mark) => readLogFrom(sandbox.state.logs, mark),
    stop: async () => {
      events.close();
      await sandbox.stop();
    },
  };
}
