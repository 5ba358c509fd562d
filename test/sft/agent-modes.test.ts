import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SftAgent, startSftAgent } from '../../src/sft/agent.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { StubNifi } from '../../stubs/nifi/server.ts';
import { type NifiTestEnvironment, startNifiEnvironment } from '../nifi/support.ts';
import { dropFile, recordEvents, sendRoute, testConfig } from './support.ts';

/*
 * Issue 12, item 9, the agent's side: what it creates under sftRoot — the root when missing, route
 * directories, writeFile copies, the error folder and its sidecars — is private (0700 / 0600),
 * whatever the umask (000 here).
 */

const BUCKET = 'stub-hdfs-sft-modes';
let env: NifiTestEnvironment;
let stub: StubNifi;
let agent: SftAgent | undefined;
let previousUmask: number;

beforeAll(async () => {
  env = await startNifiEnvironment(BUCKET);
  stub = await env.startStub({ bucket: BUCKET });
  previousUmask = process.umask(0);
});
afterAll(async () => {
  process.umask(previousUmask);
  await agent?.stop();
  await stub?.stop();
  await env?.close();
});

const mode = async (entry: string) => (await stat(entry)).mode & 0o777;

describe('modes of what the SFT agent creates', () => {
  it('root and directories 0700, copies and sidecars 0600', async () => {
    const root = path.join(await env.tempDir('sft-modes-'), 'missing', 'sft-root');
    const copy = {
      name: 'copy',
      source: '/data-egress/RIS/',
      errorFolder: '/data-egress/error/RIS',
      deleteOnSend: true,
      actions: [{ name: 'writeFile', properties: { destination: '/data-egress/ris-tmp/' } }],
    };
    agent = await startSftAgent({
      config: testConfig([copy, sendRoute('refused', '/data-egress/refused/', `${stub.url}/modes`)]),
      sftRoot: root,
      tls: env.clientTls,
      drainTimeoutMs: 2000,
    });
    const events = recordEvents(agent);
    expect(await mode(root)).toBe(0o700);
    for (const directory of ['data-egress', 'data-egress/RIS', 'data-egress/refused']) {
      expect([directory, await mode(path.join(root, directory))]).toEqual([directory, 0o700]);
    }
    await dropFile(path.join(root, 'data-egress/RIS'), 'copied.csv', 'copied');
    stub.faults.failNext(1, 400);
    await dropFile(path.join(root, 'data-egress/refused'), 'refused.csv', 'refused');
    await waitFor(() => events.delivered.length === 1 && events.failed.length === 1, {
      description: 'one copy and one refusal',
    });
    expect(await mode(path.join(root, 'data-egress/ris-tmp'))).toBe(0o700);
    expect(await mode(path.join(root, 'data-egress/ris-tmp/copied.csv'))).toBe(0o600);
    const errorFolder = path.join(root, 'data-egress/error/refused');
    for (const directory of [path.dirname(errorFolder), errorFolder])
      expect(await mode(directory)).toBe(0o700);
    expect((await readdir(errorFolder)).sort()).toEqual(['refused.csv', 'refused.csv.error.json']);
    expect(await mode(path.join(errorFolder, 'refused.csv.error.json'))).toBe(0o600);
  });
});
