import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SftAgent, startSftAgent } from '../../src/sft/agent.ts';
import { sandboxSftAgentConfig } from '../../src/sft/sandbox-config.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { StubNifi } from '../../stubs/nifi/server.ts';
import { getObject, type NifiTestEnvironment, sha256, startNifiEnvironment } from '../nifi/support.ts';
import { dropFile, type Recorded, recordEvents, sendRoute, testConfig } from './support.ts';

const BUCKET = 'stub-hdfs-sft-test';

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

async function agentFor(config: Parameters<typeof startSftAgent>[0]['config'], sftRoot?: string) {
  const root = sftRoot ?? (await env.tempDir('sft-root-'));
  const agent = await startSftAgent({ config, sftRoot: root, tls: env.clientTls, drainTimeoutMs: 2000 });
  agents.push(agent);
  return { agent, root, events: recordEvents(agent) };
}

const object = (key: string) => getObject(env.kit.clients.s3, BUCKET, key);
const waitForObject = (key: string, timeoutMs = 10_000) =>
  waitFor(() => object(key), { timeoutMs, intervalMs: 50, description: `s3://${BUCKET}/${key}` });
const receivedFor = (filename: string) => stub.received().filter((entry) => entry.filename === filename);

describe('the sandbox configuration (the original route set pointed at the stub NiFi)', () => {
  let root: string;
  let events: Recorded;

  beforeAll(async () => {
    ({ root, events } = await agentFor(sandboxSftAgentConfig({ nifiUrl: stub.url })));
  });

  it('delivers a file written to /data-egress/sas/ to the stub-hdfs bucket within 10 s, bytes identical', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    const name = 'sas-export.20261124.csv.gz';
    const started = Date.now();
    const file = await dropFile(path.join(root, 'data-egress/sas'), name, body);
    const stored = await waitForObject(`internal/DandARed/inbound/Dataworks/UCFS/tactical/${name}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sha256(stored.body)).toBe(sha256(body));
    expect(stored.metadata).toMatchObject({
      filename: name,
      'content-type': 'application/octet-stream',
      'x-api-key': 'present',
    });
    const delivered = await waitFor(() => events.delivered.find((event) => event.name === name), {
      description: 'the delivered event',
    });
    expect(existsSync(file)).toBe(false);
    expect(delivered).toMatchObject({
      route: 'internal/DandARed/inbound/Dataworks/UCFS/tactical',
      sentName: name,
      bytes: body.length,
      attempts: 1,
      deleted: true,
    });
  });

  it('renames with renameFile before sending (pptest: (.+) → TEST_$1)', async () => {
    const body = Buffer.from('rename me\n');
    await dropFile(path.join(root, 'data-egress/pptest'), 'x.txt', body);
    const stored = await waitForObject('internal/DA/inbound/Test/TEST_x.txt');
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.metadata.filename).toBe('TEST_x.txt');
    expect(await env.kit.keys(BUCKET, 'internal/DA/inbound/Test/x.txt')).toEqual([]);
  });

  it('RIS: subset files go to RIS and CRE (first matching route), everything else to RIS only', async () => {
    const subset = 'db.core.claimant-045-070-000001.20210901.txt.gz.enc';
    const control = 'db.core.claimant-20210901.control';
    const other = 'db.core.toDo-045-070-000001.20210901.txt.gz.enc';
    const ris = path.join(root, 'data-egress/RIS');
    for (const name of [subset, control, other]) await dropFile(ris, name, `content of ${name}`);
    const dspris = 'internal/DSPRIS/inbound/Dataworks/UCFS/data/';
    const ceha = 'internal/CEHA/inbound/Dataworks/UCFS/data/';
    for (const name of [subset, control, other]) {
      expect((await waitForObject(`${dspris}${name}`)).body.toString()).toBe(`content of ${name}`);
    }
    expect((await waitForObject(`${ceha}${subset}`)).body.toString()).toBe(`content of ${subset}`);
    expect(await env.kit.keys(BUCKET, ceha)).toEqual([`${ceha}${subset}`]);
    const subsetRoute = events.delivered.filter(
      (event) => event.name === subset && event.file.startsWith(ris),
    );
    expect(subsetRoute.map((event) => event.route)).toEqual([
      'internal/CRE/inbound/Dataworks/UCFS/data-CopySubsetToBothRISandCRE',
    ]);
    // Every intermediate directory drains.
    for (const dir of ['RIS', 'ris-tmp', 'cre-tmp']) {
      await waitFor(async () => (await readdir(path.join(root, 'data-egress', dir))).length === 0, {
        description: `${dir} to be empty`,
      });
    }
  });
});

describe('SFT agent behaviour', () => {
  it('picks up files that were already there when it started', async () => {
    const root = await env.tempDir('sft-root-');
    const source = path.join(root, 'data-egress/preexisting');
    await dropFile(source, 'early-1.txt', 'one');
    await dropFile(source, 'early-2.txt', 'two');
    await dropFile(source, 'early-empty.txt', '');
    await agentFor(testConfig([sendRoute('pre', '/data-egress/preexisting/', `${stub.url}/t/pre`)]), root);
    expect((await waitForObject('t/pre/early-1.txt')).body.toString()).toBe('one');
    expect((await waitForObject('t/pre/early-2.txt')).body.toString()).toBe('two');
    expect((await waitForObject('t/pre/early-empty.txt')).body.length).toBe(0);
  });

  it('leaves names that match no route, hidden files and temporary files where they are', async () => {
    const { root, events } = await agentFor(
      testConfig([
        sendRoute('enc-only', '/data-egress/enc/', `${stub.url}/t/enc`, { filenameRegex: '^.*[.]enc$' }),
      ]),
    );
    const dir = path.join(root, 'data-egress/enc');
    await writeFile(path.join(dir, 'notes.txt'), 'not for sending');
    await writeFile(path.join(dir, '.hidden.enc'), 'hidden');
    await writeFile(path.join(dir, 'half.enc.partial'), 'partial');
    await writeFile(path.join(dir, 'half.enc.tmp'), 'tmp');
    await waitFor(() => events.unmatched.find((event) => event.name === 'notes.txt'), {
      description: 'unmatched event',
    });
    // A matching file sent after them shows the agent has looked at the directory since.
    await dropFile(dir, 'sentinel.enc', 'sentinel');
    await waitForObject('t/enc/sentinel.enc');
    expect(await readdir(dir)).toEqual(
      expect.arrayContaining(['notes.txt', '.hidden.enc', 'half.enc.partial', 'half.enc.tmp']),
    );
    expect(await env.kit.keys(BUCKET, 't/enc/')).toEqual(['t/enc/sentinel.enc']);
    expect(events.unmatched.filter((event) => event.name === 'notes.txt')).toHaveLength(1);
    expect(events.unmatched[0]).toMatchObject({ directory: dir, routes: ['enc-only'] });
  });

  it('retries while the stub NiFi fails and delivers once it is back', async () => {
    const { root, events } = await agentFor(
      testConfig([sendRoute('flaky', '/data-egress/flaky/', `${stub.url}/t/flaky`)]),
    );
    stub.faults.failNext(2, 503);
    await dropFile(path.join(root, 'data-egress/flaky'), 'flaky.txt', 'eventually');
    expect((await waitForObject('t/flaky/flaky.txt')).body.toString()).toBe('eventually');
    expect(receivedFor('flaky.txt').map((entry) => entry.status)).toEqual([503, 503, 200]);
    expect(events.retrying.map((event) => [event.attempt, event.delayMs, event.status])).toEqual([
      [1, 100, 503],
      [2, 200, 503],
    ]);
    await waitFor(() => events.delivered.find((event) => event.name === 'flaky.txt'));
    expect(events.delivered.find((event) => event.name === 'flaky.txt')?.attempts).toBe(3);
  });

  it('moves a permanently refused file (4xx) to the error folder with a sidecar saying why', async () => {
    const { root, events } = await agentFor(
      testConfig([sendRoute('refused', '/data-egress/refused/', `${stub.url}/t/refused`)]),
    );
    stub.faults.failNext(1, 400);
    const source = await dropFile(path.join(root, 'data-egress/refused'), 'refused.txt', 'bad');
    const failed = await waitFor(() => events.failed.find((event) => event.name === 'refused.txt'));
    const errorFile = path.join(root, 'data-egress/error/refused/refused.txt');
    expect(failed).toMatchObject({
      permanent: true,
      status: 400,
      attempts: 1,
      errorFile,
      sidecar: `${errorFile}.error.json`,
    });
    expect(existsSync(source)).toBe(false);
    expect(await readFile(errorFile, 'utf8')).toBe('bad');
    const sidecar = JSON.parse(await readFile(`${errorFile}.error.json`, 'utf8'));
    expect(sidecar).toMatchObject({
      route: 'refused',
      file: 'refused.txt',
      action: 'httpRequest',
      destination: `${stub.url}/t/refused`,
      attempts: 1,
      permanent: true,
      lastStatus: 400,
      lastError: expect.stringMatching(/HTTP 400/),
    });
    expect(receivedFor('refused.txt')).toHaveLength(1);
  });

  it('moves a file to the error folder when every redelivery fails', async () => {
    const { root, events } = await agentFor(
      testConfig([sendRoute('down', '/data-egress/down/', `${stub.url}/t/down`)]),
    );
    stub.faults.failNext(100, 503);
    await dropFile(path.join(root, 'data-egress/down'), 'down.txt', 'never');
    const failed = await waitFor(() => events.failed.find((event) => event.name === 'down.txt'));
    expect(failed).toMatchObject({ permanent: false, status: 503, attempts: 3 });
    const sidecar = JSON.parse(await readFile(`${failed.errorFile}.error.json`, 'utf8'));
    expect(sidecar).toMatchObject({ attempts: 3, permanent: false, lastStatus: 503 });
    expect(await env.kit.keys(BUCKET, 't/down/')).toEqual([]);
  });

  it('is refused by the stub NiFi without a client certificate, and keeps the file in the error folder', async () => {
    const root = await env.tempDir('sft-root-');
    const agent = await startSftAgent({
      config: testConfig([sendRoute('nocert', '/data-egress/nocert/', `${stub.url}/t/nocert`)], {
        retry: { maximumRedeliveries: 1 },
      }),
      sftRoot: root,
      tls: { ca: env.certs.ca },
    });
    agents.push(agent);
    const events = recordEvents(agent);
    await dropFile(path.join(root, 'data-egress/nocert'), 'nocert.txt', 'x');
    const failed = await waitFor(() => events.failed.find((event) => event.name === 'nocert.txt'));
    expect(failed.reason).toMatch(/certificate|socket hang up|ECONNRESET/i);
    expect(failed.attempts).toBe(2);
    expect(existsSync(path.join(root, 'data-egress/error/nocert/nocert.txt'))).toBe(true);
    expect(receivedFor('nocert.txt')).toEqual([]);
  });

  it('does not send a file that is still being written (in place, slowly)', async () => {
    const { root, events } = await agentFor(
      testConfig([sendRoute('slow', '/data-egress/slow/', `${stub.url}/t/slow`)], {
        readLock: { minAge: 400, checkInterval: 50 },
      }),
    );
    const file = path.join(root, 'data-egress/slow/slow.bin');
    const chunks = Array.from({ length: 8 }, () => randomBytes(32 * 1024));
    const handle = await open(file, 'w');
    try {
      for (const chunk of chunks) {
        await handle.write(chunk);
        await handle.sync();
        // A slow writer: gaps shorter than minAge, the whole write longer than it.
        await delay(120);
        expect(receivedFor('slow.bin')).toEqual([]);
        expect(events.delivered).toEqual([]);
      }
    } finally {
      await handle.close();
    }
    const stored = await waitForObject('t/slow/slow.bin');
    expect(sha256(stored.body)).toBe(sha256(Buffer.concat(chunks)));
    expect(receivedFor('slow.bin')).toHaveLength(1);
  });

  it('runs at most threadPoolSize deliveries of a route at once, each file exactly once', async () => {
    let inFlight = 0;
    let peak = 0;
    const names: string[] = [];
    const server = http.createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      names.push(String(req.headers.filename));
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          inFlight--;
          res.end('ok');
        }, 80),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool`;
      const { root, events } = await agentFor(
        testConfig([sendRoute('pool', '/data-egress/pool/', url, { threadPoolSize: 2 })]),
      );
      const files = Array.from({ length: 8 }, (_, i) => `pool-${i}.txt`);
      await Promise.all(files.map((name) => dropFile(path.join(root, 'data-egress/pool'), name, name)));
      await waitFor(() => events.delivered.length === files.length, {
        description: 'all pool files delivered',
      });
      expect(peak).toBe(2);
      expect([...names].sort()).toEqual([...files].sort());
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps and re-sends a file rewritten while it was being delivered, instead of deleting it unsent', async () => {
    const bodies: string[] = [];
    let release: (() => void) | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        // Hold the first answer until the test has rewritten the file.
        if (bodies.length === 1) release = () => res.end('ok');
        else res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rewrite`;
      const { root, events } = await agentFor(
        testConfig([sendRoute('rewrite', '/data-egress/rewrite/', url)]),
      );
      const dir = path.join(root, 'data-egress/rewrite');
      const file = await dropFile(dir, 'rewritten.txt', 'first version');
      await waitFor(() => release, { description: 'the first delivery to be in flight' });
      await dropFile(dir, 'rewritten.txt', 'second version, longer');
      release!();
      await waitFor(() => bodies.length === 2, { description: 'the second delivery' });
      expect(bodies).toEqual(['first version', 'second version, longer']);
      await waitFor(() => events.delivered.length === 2, { description: 'two delivered events' });
      // The first delivery kept the file (it had changed); the second deleted it.
      expect(events.delivered.map((event) => event.deleted)).toEqual([false, true]);
      expect(existsSync(file)).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps a delivered file with deleteOnSend false and does not send it again', async () => {
    const { root, events } = await agentFor(
      testConfig([sendRoute('keep', '/data-egress/keep/', `${stub.url}/t/keep`, { deleteOnSend: false })]),
    );
    const dir = path.join(root, 'data-egress/keep');
    await dropFile(dir, 'kept.txt', 'kept');
    await waitForObject('t/keep/kept.txt');
    await dropFile(dir, 'later.txt', 'later');
    await waitForObject('t/keep/later.txt');
    expect(existsSync(path.join(dir, 'kept.txt'))).toBe(true);
    expect(receivedFor('kept.txt')).toHaveLength(1);
    expect((await waitFor(() => events.delivered.find((event) => event.name === 'kept.txt'))).deleted).toBe(
      false,
    );
  });

  it('stops promptly while a file waits for redelivery, leaving it in its source directory', async () => {
    const root = await env.tempDir('sft-root-');
    const agent = await startSftAgent({
      config: testConfig([sendRoute('stopping', '/data-egress/stopping/', `${stub.url}/t/stopping`)], {
        retry: { redeliveryDelay: 60_000, maximumRedeliveryDelay: 60_000 },
      }),
      sftRoot: root,
      tls: env.clientTls,
    });
    const events = recordEvents(agent);
    stub.faults.failNext(100, 503);
    const file = await dropFile(path.join(root, 'data-egress/stopping'), 'stop.txt', 'stay');
    await waitFor(() => events.retrying.length > 0, { description: 'a redelivery wait' });
    const started = Date.now();
    await agent.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(path.join(root, 'data-egress/error/stopping'))).toBe(false);
    expect(events.failed).toEqual([]);
  });
});
