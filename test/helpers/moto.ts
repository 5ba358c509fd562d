import { afterAll, beforeAll } from 'vitest';
import { findMoto, MOTO_INSTALL_HINT, type MotoServer, startMoto } from '../../src/peers/moto.ts';

/**
 * Whether moto can run here, decided once per test file. When it cannot, prints one line saying
 * which tests are skipped and how to install moto, so a skip is never silent.
 */
export function motoAvailable(what: string): boolean {
  const installation = findMoto();
  if (!installation) console.log(`${what} skipped: moto is not installed; ${MOTO_INSTALL_HINT}`);
  return installation !== undefined;
}

/**
 * Starts moto on a free port before the tests of the enclosing `describe` and stops it after them;
 * the getter gives the running server (its `endpoint` for SDK clients or `aws --endpoint-url`).
 * Use inside `describe.skipIf(!motoAvailable(…))`.
 */
export function useMoto(): () => MotoServer {
  let server: MotoServer | undefined;
  beforeAll(async () => {
    server = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('moto is not running: call useMoto() inside a describe block');
    return server;
  };
}
