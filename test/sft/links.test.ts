import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL, LogCapture } from '../../scripts/chaos/logs.ts';
import { type SftAgent, startSftAgent } from '../../src/sft/agent.ts';
import type { SftAgentConfig } from '../../src/sft/config/types.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { StubNifi } from '../../stubs/nifi/server.ts';
import { type NifiTestEnvironment, startNifiEnvironment } from '../nifi/support.ts';
import { dropFile, type Recorded, recordEvents, sendRoute, testConfig } from './support.ts';

/*
 * Symbolic links at DIRECTORY level below sftRoot (issue 12, item 2). Anything able to write to the
 * SFT volume can replace a route directory, a directory above it, the error folder or a writeFile
 * destination with a link to a folder outside sftRoot. The agent must then neither send nor delete
 * the files it finds there, nor write or move anything into the outside folder. Each test puts a
 * sentinel folder beside sftRoot and checks afterwards that it is exactly as it was.
 */

const BUCKET = 'stub-hdfs-sft-links';

let env: NifiTestEnvironment;
let stub: StubNifi;
const agents: SftAgent[] = [];

beforeAll(async () => {
  env = await startNifiEnvironment(BUCKET);
  stub = await env.startStub({ bucket: BUCKET });
});
afterEach(() => stub.faults.reset());
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await stub?.stop();
  await env?.close();
});

interface LinkWorld {
  /** The directory holding sftRoot and the outside folder. */
  parent: string;
  root: string;
  /** A folder beside sftRoot with `victim.csv`; it must never change. */
  outside: string;
  /** The agent's log lines. */
  logs: LogCapture;
  start(config: SftAgentConfig): Promise<{ agent: SftAgent; events: Recorded }>;
  /** What changed in the outside folder (empty when nothing did). */
  outsideChanges(): Promise<string[]>;
}

async function linkWorld(): Promise<LinkWorld> {
  const parent = await env.tempDir('sft-links-');
  const root = path.join(parent, 'sft-root');
  const outside = path.join(parent, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'victim.csv'), 'victim');
  const logs = new LogCapture('sft-agent');
  return {
    parent,
    root,
    outside,
    logs,
    async start(config) {
      const agent = await startSftAgent({
        config,
        sftRoot: root,
        logger: logs.logger,
        tls: env.clientTls,
        drainTimeoutMs: 2000,
      });
      agents.push(agent);
      return { agent, events: recordEvents(agent) };
    },
    async outsideChanges() {
      const changes: string[] = [];
      const entries = await readdir(outside, { recursive: true });
      for (const entry of entries) if (entry !== 'victim.csv') changes.push(`new entry outside: ${entry}`);
      const victim = await readFile(path.join(outside, 'victim.csv'), 'utf8').catch(() => undefined);
      if (victim !== 'victim') changes.push(`victim.csv is ${victim === undefined ? 'gone' : 'modified'}`);
      return changes;
    },
  };
}

/** NiFi keys under a prefix (what the agent sent). */
const sent = (prefix: string) => env.kit.keys(BUCKET, prefix);

/**
 * A route on `/data-egress/<name>/` and a second route on a control directory: a file dropped
 * into the control directory and delivered proves the agent has been busy long enough to have
 * handled anything it was going to handle in the attacked directory.
 */
function routes(name: string, extra: Record<string, unknown> = {}) {
  return [
    sendRoute(name, `/data-egress/${name}/`, `${stub.url}/links/${name}`, extra),
    sendRoute(`${name}-control`, `/data-egress/${name}-control/`, `${stub.url}/links/${name}-control`),
  ];
}

async function provesBusy(root: string, name: string): Promise<void> {
  await dropFile(path.join(root, `data-egress/${name}-control`), 'proof.csv', 'proof');
  await waitFor(async () => (await sent(`links/${name}-control/`)).length > 0, {
    description: 'the control file to be delivered',
  });
}

describe('the SFT agent refuses symbolic links at directory level below sftRoot', () => {
  it('a route directory replaced by a link to an outside folder while the agent runs: nothing sent, nothing deleted', async () => {
    const world = await linkWorld();
    const { events } = await world.start(testConfig(routes('swap')));
    const sas = path.join(world.root, 'data-egress/swap');
    await rm(sas, { recursive: true });
    await symlink(world.outside, sas);
    // A new file appearing "in" the route directory (really outside) and the victim already there.
    await writeFile(path.join(world.outside, 'new.csv'), 'outside');
    await provesBusy(world.root, 'swap');
    expect(await sent('links/swap/')).toEqual([]);
    expect(events.delivered.filter((event) => !event.route.endsWith('-control'))).toEqual([]);
    // Each file the watcher reported there was refused with the reason, once.
    for (const event of events.unmatched) expect(event.reason).toMatch(/symbolic link/);
    await rm(path.join(world.outside, 'new.csv'));
    expect(await world.outsideChanges()).toEqual([]);
  });

  it('a route directory that is a link to an outside folder when the agent starts: nothing sent, nothing deleted', async () => {
    const world = await linkWorld();
    await mkdir(path.join(world.root, 'data-egress'));
    await symlink(world.outside, path.join(world.root, 'data-egress/early'));
    const { agent } = await world.start(testConfig(routes('early')));
    expect(
      world.logs.find(LEVEL.error, { msg: /source directory refused/, dir: 'data-egress/early' }),
    ).toHaveLength(1);
    expect(agent.watchedDirectories).toEqual([path.join(world.root, 'data-egress/early-control')]);
    await provesBusy(world.root, 'early');
    expect(await sent('links/early/')).toEqual([]);
    expect(await world.outsideChanges()).toEqual([]);
  });

  it('an intermediate directory (data-egress) that is a link to an outside folder: nothing sent, nothing deleted', async () => {
    const world = await linkWorld();
    // The outside folder gets the route's sub-folder, with a file in it.
    await mkdir(path.join(world.outside, 'mid'));
    await writeFile(path.join(world.outside, 'mid', 'inner.csv'), 'inner');
    await symlink(world.outside, path.join(world.root, 'data-egress'));
    const { agent } = await world.start(
      testConfig([
        sendRoute('mid', '/data-egress/mid/', `${stub.url}/links/mid`),
        sendRoute('mid-control', '/control/', `${stub.url}/links/mid-control`),
      ]),
    );
    expect(
      world.logs.find(LEVEL.error, { msg: /source directory refused/, dir: 'data-egress/mid' }),
    ).toHaveLength(1);
    expect(agent.watchedDirectories).toEqual([path.join(world.root, 'control')]);
    await dropFile(path.join(world.root, 'control'), 'proof.csv', 'proof');
    await waitFor(async () => (await sent('links/mid-control/')).length > 0);
    expect(await sent('links/mid/')).toEqual([]);
    expect(await readFile(path.join(world.outside, 'mid', 'inner.csv'), 'utf8')).toBe('inner');
    await rm(path.join(world.outside, 'mid'), { recursive: true });
    expect(await world.outsideChanges()).toEqual([]);
  });

  it('an error folder linked outside: a refused file is not moved out of sftRoot; it stays in its source directory', async () => {
    const world = await linkWorld();
    await mkdir(path.join(world.root, 'data-egress/error'), { recursive: true });
    await symlink(world.outside, path.join(world.root, 'data-egress/error/refused'));
    const { events } = await world.start(
      testConfig([sendRoute('refused', '/data-egress/refused/', `${stub.url}/links/refused`)]),
    );
    stub.faults.failNext(1, 400);
    const source = path.join(world.root, 'data-egress/refused');
    await dropFile(source, 'bad.csv', 'refused by NiFi');
    const failed = await waitFor(() => events.failed[0], { description: 'the delivery to fail' });
    expect(failed.errorFile).toBeUndefined();
    expect(await readdir(source)).toEqual(['bad.csv']);
    expect(await world.outsideChanges()).toEqual([]);
  });

  it('a writeFile destination (the RIS temp directory) linked outside: nothing is copied out of sftRoot', async () => {
    const world = await linkWorld();
    await mkdir(path.join(world.root, 'data-egress'), { recursive: true });
    await symlink(world.outside, path.join(world.root, 'data-egress/ris-tmp'));
    const copy = {
      name: 'copy',
      source: '/data-egress/RIS/',
      errorFolder: '/data-egress/error/RIS',
      deleteOnSend: true,
      actions: [{ name: 'writeFile', properties: { destination: '/data-egress/ris-tmp/' } }],
    };
    const { events } = await world.start(testConfig([copy]));
    await dropFile(path.join(world.root, 'data-egress/RIS'), 'data.csv', 'ris data');
    const failed = await waitFor(() => events.failed[0], { description: 'the copy to fail' });
    expect(failed.reason).toMatch(/symbolic link/);
    expect(events.delivered).toEqual([]);
    expect(await world.outsideChanges()).toEqual([]);
    // It is in the (real) error folder with its reason, inside sftRoot.
    expect(await readdir(path.join(world.root, 'data-egress/error/RIS'))).toEqual([
      'data.csv',
      'data.csv.error.json',
    ]);
  });

  it('a route directory swapped for a link while a file in it waits for a delivery slot: the file outside is neither sent nor deleted', async () => {
    const world = await linkWorld();
    // One delivery at a time, and a slow NiFi: the first file holds the slot while the second,
    // already checked and read-locked, waits for it. Then the directory is swapped.
    const { events } = await world.start(testConfig(routes('race', { threadPoolSize: 1 })));
    const dir = path.join(world.root, 'data-egress/race');
    await writeFile(path.join(world.outside, 'same.csv'), 'outside');
    stub.faults.setLatency(1_000);
    await dropFile(dir, 'blocker.csv', 'first');
    await waitFor(() => world.logs.find(LEVEL.debug, { msg: /delivering/, file: 'blocker.csv' }).length > 0);
    await dropFile(dir, 'same.csv', 'inside');
    await waitFor(
      () =>
        world.logs.find(LEVEL.debug, { msg: /waiting for a free delivery slot/, file: 'same.csv' }).length >
        0,
      { description: 'same.csv to wait for the delivery slot' },
    );
    await rename(dir, path.join(world.root, 'data-egress/race-old'));
    await symlink(world.outside, dir);
    stub.faults.setLatency(0);
    const verdict = await waitFor(
      () =>
        events.unmatched.find((event) => event.name === 'same.csv') ??
        events.delivered.find((event) => event.name === 'same.csv'),
      { description: 'the agent to handle same.csv' },
    );
    expect(verdict).toMatchObject({ reason: expect.stringMatching(/symbolic link/) });
    expect(await sent('links/race/')).toEqual(['links/race/blocker.csv']);
    expect(await readFile(path.join(world.outside, 'same.csv'), 'utf8')).toBe('outside');
    // The first file was sent before the swap; deleting it afterwards would have gone through the
    // link, so it was kept (at-least-once): both files are still in the real directory.
    expect((await readdir(path.join(world.root, 'data-egress/race-old'))).sort()).toEqual([
      'blocker.csv',
      'same.csv',
    ]);
    expect(
      world.logs.find(LEVEL.warn, { msg: /source file was not deleted/, file: 'blocker.csv' }),
    ).toHaveLength(1);
    await rm(path.join(world.outside, 'same.csv'));
    expect(await world.outsideChanges()).toEqual([]);
  });
});
