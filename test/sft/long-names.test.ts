import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SftAgent, startSftAgent } from '../../src/sft/agent.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { StubNifi } from '../../stubs/nifi/server.ts';
import { type NifiTestEnvironment, startNifiEnvironment } from '../nifi/support.ts';
import { dropFile, recordEvents, sendRoute, testConfig } from './support.ts';

/*
 * Names near the 255-byte limit of a path segment, in multi-byte characters (issue 12, item 8): the
 * names the agent generates from them (temporary copies, error-folder names, sidecars) must fit in
 * 255 BYTES, without cutting a character.
 */

const BUCKET = 'stub-hdfs-sft-long-names';
let env: NifiTestEnvironment;
let stub: StubNifi;
const agents: SftAgent[] = [];

beforeAll(async () => {
  env = await startNifiEnvironment(BUCKET);
  stub = await env.startStub({ bucket: BUCKET });
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await stub?.stop();
  await env?.close();
});

describe('long multi-byte names in the SFT agent', () => {
  it.each([
    ['250 bytes of Cyrillic', 'д'.repeat(125)],
    ['a Cyrillic name with an extension', 'отчёт за май.csv'],
    ['252 bytes of emoji', '😀'.repeat(63)],
  ])('a file named with %s is sent and stored under that very name', async (_what, name) => {
    const root = await env.tempDir('sft-sent-');
    const agent = await startSftAgent({
      config: testConfig([sendRoute('sent', '/data-egress/sent/', `${stub.url}/sent`)]),
      sftRoot: root,
      tls: env.clientTls,
      drainTimeoutMs: 2000,
    });
    agents.push(agent);
    const events = recordEvents(agent);
    await dropFile(path.join(root, 'data-egress/sent'), name, 'multi-byte');
    await waitFor(() => events.delivered[0] ?? events.failed[0], { description: `${name} to be sent` });
    expect(events.failed).toEqual([]);
    const object = await env.kit.clients.s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `sent/${name}` }),
    );
    expect(await object.Body?.transformToString()).toBe('multi-byte');
  });

  it.each([
    ['250 bytes of Cyrillic', 'д'.repeat(125)],
    ['252 bytes of emoji', '😀'.repeat(63)],
  ])(
    'a refused file named with %s reaches the error folder with its sidecar, both names within 255 bytes',
    async (_what, name) => {
      const root = await env.tempDir('sft-long-');
      // A target path so long that the stub NiFi's key would pass S3's 1024 bytes: a permanent 400.
      const longPath = `long/${'p'.repeat(800)}`;
      const agent = await startSftAgent({
        config: testConfig([sendRoute('long', '/data-egress/long/', `${stub.url}/${longPath}`)]),
        sftRoot: root,
        tls: env.clientTls,
        drainTimeoutMs: 2000,
      });
      agents.push(agent);
      const events = recordEvents(agent);
      await dropFile(path.join(root, 'data-egress/long'), name, 'multi-byte');
      const failed = await waitFor(() => events.failed[0], { description: 'the delivery to fail' });
      expect(failed.errorFile).toBeDefined();
      const errorDir = path.join(root, 'data-egress/error/long');
      const entries = await readdir(errorDir);
      expect(entries).toHaveLength(2);
      for (const entry of entries) expect(Buffer.byteLength(entry)).toBeLessThanOrEqual(255);
      const [file, sidecar] = entries.sort((a, b) => a.length - b.length);
      expect(sidecar).toBe(`${file}.error.json`);
      expect(name.startsWith(file!)).toBe(true);
      expect(await readFile(path.join(errorDir, file!), 'utf8')).toBe('multi-byte');
      const record = JSON.parse(await readFile(path.join(errorDir, sidecar!), 'utf8'));
      expect(record).toMatchObject({ file: name, permanent: true });
    },
  );
});
