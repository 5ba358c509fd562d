/**
 * EGRESS_TARGET=moto end to end through cucumber's own output: without moto every scenario is
 * skipped and counted, with one printed line; with moto the scenarios run, @moto-gap is skipped
 * and said so; moto stops with the run however the run ends (done, failed, SIGINT, SIGTERM).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PINNED_MOTO_VERSION, startMoto } from '../../src/peers/moto.ts';
import { waitFor } from '../../src/util/wait.ts';
import { requestedTarget } from '../../steps/support/target.ts';
import { describeMoto, isMotoEndpoint, MOTO_SKIP_MESSAGE } from '../../steps/support/targets/moto.ts';
import type { CliProcess } from '../helpers/cli.ts';
import { PROJECT_ROOT as ROOT, runCucumber } from '../helpers/cucumber.ts';
import { listening } from '../helpers/listening.ts';
import { motoAvailable } from '../helpers/moto.ts';

let dir: string;
beforeAll(async () => {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  dir = await mkdtemp(path.join(ROOT, '.tmp', 'moto-target-'));
  // No reports: the real run's reports stay as they are.
  await writeFile(
    path.join(dir, 'cucumber.mjs'),
    "export default { import: ['steps/**/*.ts'], format: ['summary'], tags: 'not @wip-bug', strict: true, forceExit: true };\n",
  );
  // A run that fails: a step nobody defined fails a strict run.
  await writeFile(
    path.join(dir, 'failing.feature'),
    'Feature: a failing run\n  Scenario: a step nobody wrote\n    Given a step that does not exist anywhere\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A cucumber run on EGRESS_TARGET=moto; `exited` resolves with its exit code. */
interface CucumberRun extends Omit<CliProcess, 'exited'> {
  exited: Promise<number | null>;
}

function cucumber(env: NodeJS.ProcessEnv, features: string[]): CucumberRun {
  const run = runCucumber(path.join(dir, 'cucumber.mjs'), features, { EGRESS_TARGET: 'moto', ...env });
  return { ...run, exited: run.exited.then(({ code }) => code) };
}

/** The port of the moto a run announced. */
async function motoPort(run: CucumberRun): Promise<number> {
  const port = await waitFor(() => /moto \S+ \(.*\) on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1], {
    timeoutMs: 120_000,
    intervalMs: 50,
    description: `the run to announce moto (so far: ${run.output().slice(-300)})`,
  });
  return Number(port);
}

describe('EGRESS_TARGET=moto', () => {
  it('is a target name', () => {
    expect(requestedTarget({ EGRESS_TARGET: 'moto' })).toBe('moto');
    expect(requestedTarget({ EGRESS_TARGET: 'MOTO' })).toBe('moto');
  });

  it('describes the moto it runs, and says when it is not the pinned version', () => {
    const base = { endpoint: 'http://127.0.0.1:5000', python: '/usr/bin/python3', port: 5000 } as const;
    expect(describeMoto({ ...base, version: PINNED_MOTO_VERSION, fromPeers: true } as never)).toBe(
      `EGRESS_TARGET=moto: moto ${PINNED_MOTO_VERSION} (.peers/) on http://127.0.0.1:5000`,
    );
    expect(describeMoto({ ...base, version: '5.2.1', fromPeers: false } as never)).toBe(
      "EGRESS_TARGET=moto: moto 5.2.1 (/usr/bin/python3, not the project's .peers/) on http://127.0.0.1:5000" +
        ` — the project pins ${PINNED_MOTO_VERSION}; run \`npm run peers\``,
    );
  });

  it('without moto: one line saying how to install it, and every scenario counted as skipped', async () => {
    const run = cucumber({ EGRESS_MOTO_PYTHON: '/nonexistent/python' }, ['features/notifications.feature']);
    expect(await run.exited).toBe(0);
    expect(run.output().split(MOTO_SKIP_MESSAGE)).toHaveLength(2);
    expect(MOTO_SKIP_MESSAGE).toContain('npm run peers');
    expect(run.output()).toMatch(/4 scenarios \(4 skipped\)/);
  }, 120_000);
});

describe('isMotoEndpoint', () => {
  it('is false for an S3-like endpoint that has no moto API, and for nothing at all', async () => {
    const s3Like = http.createServer((_req, res) =>
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end('<Error><Code>NoSuchBucket</Code></Error>'),
    );
    await new Promise<void>((resolve) => s3Like.listen(0, '127.0.0.1', resolve));
    const port = (s3Like.address() as net.AddressInfo).port;
    try {
      expect(await isMotoEndpoint(`http://127.0.0.1:${port}`)).toBe(false);
    } finally {
      await new Promise((resolve) => s3Like.close(resolve));
    }
    expect(await isMotoEndpoint(`http://127.0.0.1:${port}`)).toBe(false);
  });

  it.skipIf(!motoAvailable('isMotoEndpoint on moto'))(
    'is true for moto',
    async () => {
      const moto = await startMoto();
      try {
        expect(await isMotoEndpoint(moto.endpoint)).toBe(true);
      } finally {
        await moto.stop();
      }
    },
    60_000,
  );
});

describe.skipIf(!motoAvailable('EGRESS_TARGET=moto cucumber runs'))('EGRESS_TARGET=moto with moto', () => {
  it('runs the scenarios on moto, skips @moto-gap with one line, and stops moto afterwards', async () => {
    const run = cucumber({}, ['features/notifications.feature']);
    const port = await motoPort(run);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/4 scenarios \(1 skipped, 3 passed\)/);
    expect(run.output().match(/@moto-gap scenarios skipped on EGRESS_TARGET=moto/g)).toHaveLength(1);
    expect(await listening(port)).toBe(false);
  }, 180_000);

  it('stops moto when the run fails', async () => {
    const run = cucumber({}, [path.relative(ROOT, path.join(dir, 'failing.feature'))]);
    const port = await motoPort(run);
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toMatch(/1 scenario \(1 undefined\)/);
    await waitFor(async () => !(await listening(port)), { timeoutMs: 15_000, description: 'moto to stop' });
  }, 180_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops moto when the run is interrupted by %s',
    async (signal) => {
      const run = cucumber({}, ['features/s3-delivery.feature']);
      const port = await motoPort(run);
      expect(await listening(port)).toBe(true);
      run.child.kill(signal);
      await run.exited;
      await waitFor(async () => !(await listening(port)), {
        timeoutMs: 15_000,
        intervalMs: 100,
        description: `moto on port ${port} to stop after ${signal}`,
      });
    },
    180_000,
  );
});
