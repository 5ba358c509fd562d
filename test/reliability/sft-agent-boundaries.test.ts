import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosEnvironment, ChaosWorld, startChaosEnvironment } from '../../scripts/chaos/world.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * The SFT directory is a trust boundary too: the agent must only ever send files that are in
 * sftRoot. These tests drop entries into the sandbox agent's `/data-egress/sas/` route directly
 * (as anything able to write to the shared SFT volume could) and look at what the stub NiFi stores.
 */

let environment: ChaosEnvironment;
beforeAll(async () => {
  environment = await startChaosEnvironment();
}, 30_000);
afterAll(async () => {
  await environment?.close();
});

async function sasWorld(name: string) {
  const world = await ChaosWorld.create(environment, {
    name,
    workload: { prefix: `${name}/`, flag: `${name}/pipeline_success.flag`, objects: [] },
    rules: () => [],
  });
  const sas = path.join(world.sftRoot, 'data-egress', 'sas');
  await mkdir(sas, { recursive: true });
  const outcomes: string[] = [];
  world.agent!.on('delivered', (event) => outcomes.push(`delivered ${event.name}`));
  world.agent!.on('failed', (event) => outcomes.push(`failed ${event.name}: ${event.reason}`));
  world.agent!.on('unmatched', (event) => outcomes.push(`unmatched ${event.name}`));
  return { world, sas, outcomes };
}

const NIFI_PREFIX = 'internal/DandARed/inbound/Dataworks/UCFS/tactical/';

describe('the SFT agent and the edge of sftRoot', () => {
  it('sends a regular file dropped into a route directory (the harness works)', async () => {
    const { world, sas, outcomes } = await sasWorld('agent-regular');
    try {
      await writeFile(path.join(sas, 'plain.csv'), 'inside');
      await waitFor(() => outcomes.length > 0, { description: 'the agent to handle plain.csv' });
      expect(outcomes).toEqual(['delivered plain.csv']);
      expect(await world.listKeys(world.targets.nifiBucket)).toEqual([`${NIFI_PREFIX}plain.csv`]);
    } finally {
      await world.close();
    }
  });

  // FINDING (issue 9): the agent follows a symbolic link in a route directory and sends the
  // TARGET's bytes, wherever it is. Anything able to create an entry in the SFT directory can make
  // the agent read and send any file the agent can read (`/etc/shadow` when it runs as root).
  // Expected: a link is refused (error folder with a reason) or ignored, and nothing reaches NiFi.
  // Actual: `delivered innocent.csv`, and NiFi stores the outside file's content.
  // Suspected: src/sft/watcher.ts:33 (chokidar follows symbolic links by default) and the
  // stat()/read of the file in src/sft/agent.ts:257 and src/sft/actions/http-request.ts (no lstat
  // or real-path check against sftRoot before reading). Remove `.fails` once fixed.
  it('does not send the target of a symbolic link that points out of sftRoot', async () => {
    const { world, sas, outcomes } = await sasWorld('agent-symlink');
    try {
      const outside = path.join(world.parentDir, 'outside', 'victim.txt');
      await symlink(outside, path.join(sas, 'innocent.csv'));
      // A verdict (delivered, failed, unmatched) ends the wait; an agent that ignores links gives
      // none, and then the deadline does (a read-lock is 0.5 s in the sandbox timings).
      await waitFor(() => outcomes.length > 0, { timeoutMs: 5_000 }).catch(() => undefined);
      const stored = await world.listKeys(world.targets.nifiBucket);
      expect(stored, `agent said: ${outcomes.join('; ')}; sas now holds ${await readdir(sas)}`).toEqual([]);
      expect(outcomes.filter((outcome) => outcome.startsWith('delivered'))).toEqual([]);
    } finally {
      await world.close();
    }
  });
});
