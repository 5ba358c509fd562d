/**
 * The sandbox runs its embedded edge on a worker thread of its own (issue 17 item 3) unless
 * EGRESS_EDGE_THREAD=0 says otherwise: seen from the thread the edge reports it runs on, the
 * sandbox log, the health report the edge's thread assembles with the main thread's components,
 * and what the sandbox does when that thread dies.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HealthReport } from '../../src/edge/health.ts';
import { EdgeThreadError } from '../../src/edge/thread/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.ts';
import { resolveSandboxSettings, SandboxSettingError } from '../../src/sandbox/settings.ts';
import { waitFor } from '../../src/util/wait.ts';
import { EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

/** When on, the sandbox's edge thread is one that dies when first asked for its health. */
const failingEdge = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/edge/thread/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/edge/thread/index.ts')>();
  const failingEntry = new URL('../edge/fixtures/failing-edge-worker.mjs', import.meta.url);
  return {
    ...real,
    startThreadEdge: (options: Parameters<typeof real.startThreadEdge>[0]) =>
      real.startThreadEdge(failingEdge.on ? { ...options, workerEntry: failingEntry } : options),
  };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-edge-thread-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, env: Record<string, string>, onFailure?: (error: Error) => void) {
  const stateDir = path.join(dir, name);
  return startSandbox({
    settings: resolveSandboxSettings({ stateDir }, { ...process.env, ...EPHEMERAL_PORTS, ...env }),
    onFailure,
  });
}

async function logLines(sandbox: Sandbox): Promise<Record<string, unknown>[]> {
  const text = await readFile(sandbox.state.logs, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('EGRESS_EDGE_THREAD', () => {
  it('is on by default, off with 0, false or no, and refused when it is anything else', () => {
    const settings = (value?: string) =>
      resolveSandboxSettings({ stateDir: dir }, value === undefined ? {} : { EGRESS_EDGE_THREAD: value });
    expect(settings().edgeThread).toBe(true);
    expect(settings('1').edgeThread).toBe(true);
    expect(settings('0').edgeThread).toBe(false);
    expect(settings('no').edgeThread).toBe(false);
    expect(() => settings('sometimes')).toThrow(SandboxSettingError);
    expect(() => settings('sometimes')).toThrow(/EGRESS_EDGE_THREAD=sometimes/);
  });
});

describe('the sandbox as shipped', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await start('threaded', {});
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('runs the edge on another thread, which writes its own lines into the sandbox log', async () => {
    expect(sandbox.edge?.threadId).toBeGreaterThan(0);
    expect(sandbox.edge?.threadId).not.toBe(threadId);
    const listening = (await logLines(sandbox)).find((line) => line.msg === 'edge listening');
    expect(listening).toMatchObject({ component: 'edge', threadId: sandbox.edge?.threadId });
  });

  it('serves /_localstack/health from the edge thread with the components of this one', async () => {
    const report = (await (await fetch(sandbox.state.health!.url)).json()) as HealthReport;
    expect(report.services).toMatchObject({
      s3: 'running',
      sqs: 'running',
      dynamodb: 'running',
      'egress-service': 'running',
      'sft-agent': 'running',
    });
  });
});

describe('EGRESS_EDGE_THREAD=0', () => {
  it('keeps the edge on the main thread', async () => {
    const sandbox = await start('in-thread', { EGRESS_EDGE_THREAD: '0' });
    try {
      expect(sandbox.edge?.threadId).toBe(threadId);
      const listening = (await logLines(sandbox)).find((line) => line.msg === 'edge listening');
      expect(listening).toMatchObject({ component: 'edge', threadId });
    } finally {
      await sandbox.stop();
    }
  });
});

describe('an edge thread that dies', () => {
  it('is logged, the rest of the sandbox stops, and the owner is told once', async () => {
    failingEdge.on = true;
    process.env.EDGE_FIXTURE_FAILURE = 'throw';
    const failures: Error[] = [];
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await start('dies', {}, (error) => failures.push(error));
      expect(existsSync(sandbox.stateFile)).toBe(true);
      await expect(sandbox.edge!.health()).rejects.toBeInstanceOf(EdgeThreadError);
      await waitFor(() => failures.length > 0, { description: 'onFailure', timeoutMs: 20_000 });
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(EdgeThreadError);
      expect(existsSync(sandbox.stateFile)).toBe(false);
      const gone = (await logLines(sandbox)).find(
        (line) => line.msg === 'the edge is gone: the sandbox stops',
      );
      expect(gone).toMatchObject({ component: 'sandbox', level: 50 });
      expect(JSON.stringify(gone)).toMatch(/the edge thread failed on purpose/);
      expect(
        (await fetch(sandbox.state.metrics!.url).catch((error: unknown) => error)) as Error,
      ).toBeInstanceOf(Error);
    } finally {
      failingEdge.on = false;
      delete process.env.EDGE_FIXTURE_FAILURE;
      await sandbox?.stop();
    }
  });
});

describe('egress sandbox, when its edge thread dies', () => {
  it('prints one line and exits 1, having stopped the rest and removed sandbox.json', async () => {
    const stateDir = path.join(dir, 'cli-dies');
    const preload = new URL('./fixtures/edge-thread-dies-on-health.mjs', import.meta.url).href;
    const cli = runCli(['sandbox', '--no-demo', '--state-dir', stateDir], {
      ...EPHEMERAL_PORTS,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`,
    });
    try {
      await cli.waitForOutput(/sandbox ready/, 60_000);
      const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8'));
      await fetch(state.health.url).catch(() => undefined);
      expect(await cli.exited).toEqual({ code: 1, signal: null });
      const errors = cli
        .output()
        .split('\n')
        .filter((line) => line.startsWith('egress:'));
      expect(errors).toEqual([
        "egress: the sandbox stopped: the edge's thread died: the edge thread failed on purpose",
      ]);
      expect(existsSync(path.join(stateDir, 'sandbox.json'))).toBe(false);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });
});
