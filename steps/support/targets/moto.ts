import path from 'node:path';
import {
  MOTO_INSTALL_HINT,
  type MotoServer,
  MotoUnavailableError,
  PINNED_MOTO_VERSION,
  startMoto,
} from '../../../src/peers/moto.ts';
import type { TestTarget } from '../target.ts';
import { startSandboxTarget } from './embedded.ts';

/** The line printed when EGRESS_TARGET=moto finds no moto: the run is skipped, and says so. */
export const MOTO_SKIP_MESSAGE = `EGRESS_TARGET=moto: every scenario skipped, moto is not installed; ${MOTO_INSTALL_HINT}.`;

/** What the moto target found: a running target, or why its scenarios are skipped. */
export type MotoTargetStart = { target: TestTarget; moto: MotoServer } | { skipped: string };

/** How the run describes the moto it uses, in one line. */
export function describeMoto(moto: MotoServer): string {
  const origin = moto.fromPeers ? '.peers/' : `${moto.python}, not the project's .peers/`;
  const pin =
    moto.version === PINNED_MOTO_VERSION
      ? ''
      : ` — the project pins ${PINNED_MOTO_VERSION}; run \`npm run peers\``;
  return `EGRESS_TARGET=moto: moto ${moto.version} (${origin}) on ${moto.endpoint}${pin}`;
}

/**
 * moto's server as a child process on a free loopback port (from `.peers/` or PATH), provisioned
 * with the scenarios' environment, with the egress service, stubs and SFT agent in this process
 * against it. moto stops with the target, and also when this process ends any other way.
 */
export async function startMotoTarget(): Promise<MotoTargetStart> {
  let moto: MotoServer;
  try {
    moto = await startMoto({ logFile: path.resolve('reports/moto-server.log') });
  } catch (error) {
    if (error instanceof MotoUnavailableError) return { skipped: MOTO_SKIP_MESSAGE };
    throw error;
  }
  try {
    const target = await startSandboxTarget('moto', moto.endpoint);
    return {
      moto,
      target: {
        ...target,
        stop: async () => {
          try {
            await target.stop();
          } finally {
            await moto.stop();
          }
        },
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

/**
 * Whether an endpoint is a moto server: moto answers `GET /moto-api/config` with its JSON
 * configuration (an S3 endpoint would look for a bucket `moto-api`). Used by the external target,
 * whose stack may run on moto, to skip `@moto-gap` there too.
 */
export async function isMotoEndpoint(endpoint: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const response = await fetch(new URL('/moto-api/config', endpoint), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('application/json'))
      return false;
    const body = (await response.json()) as unknown;
    return body !== null && typeof body === 'object' && !Array.isArray(body);
  } catch {
    return false;
  }
}
