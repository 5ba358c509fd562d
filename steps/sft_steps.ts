import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Given, Then, When } from '@cucumber/cucumber';
import { parse as parseYaml } from 'yaml';
import { parseSftAgentConfig, type SftAgent, startSftAgent } from '../src/sft/index.ts';
import { waitFor } from '../src/util/wait.ts';
import type { EgressWorld } from './support/world.ts';

/** The World's placeholders (`<id>`, `<id6>`, `<ymd>`, …) in a name from the feature. */
function name(world: EgressWorld, text: string): string {
  return world.expand(text);
}

function sftDirectory(world: EgressWorld, directory: string): string {
  return path.join(world.target.state.sftRoot, name(world, directory));
}

function sandbox(world: EgressWorld) {
  assert.ok(world.target.sandbox, 'this step needs the in-process sandbox (an @embedded-only scenario)');
  return world.target.sandbox;
}

async function writeFinished(world: EgressWorld, file: string, directory: string): Promise<void> {
  const dir = sftDirectory(world, directory);
  await mkdir(dir, { recursive: true });
  const finalName = name(world, file);
  const body = world.sampleContent(finalName, 50);
  // Writers write a hidden temporary name and rename it, so a watcher never sees half a file.
  const temporary = path.join(dir, `.${finalName}.partial`);
  await writeFile(temporary, body);
  await rename(temporary, path.join(dir, finalName));
  world.uploads.set(finalName, body);
}

When(
  'a finished file {string} is written to {string}',
  async function (this: EgressWorld, file: string, directory: string) {
    await writeFinished(this, file, directory);
  },
);

When(
  'a file {string} is written to {string} in two halves, slowly',
  async function (this: EgressWorld, file: string, directory: string) {
    const dir = sftDirectory(this, directory);
    await mkdir(dir, { recursive: true });
    const finalName = name(this, file);
    const body = this.sampleContent(finalName, 400);
    const target = path.join(dir, finalName);
    const half = Math.floor(body.length / 2);
    await writeFile(target, body.subarray(0, half));
    // A slow producer: the pause is part of the behaviour under test, not a wait for a result.
    await delay(300);
    await writeFile(target, body.subarray(half), { flag: 'a' });
    this.uploads.set(finalName, body);
  },
);

Then('stub-hdfs holds {string} with the same bytes', async function (this: EgressWorld, key: string) {
  const expandedKey = name(this, key);
  const expected = this.published(path.posix.basename(expandedKey).replace(/^TEST_/, ''));
  await this.waitForObject(this.target.state.nifi!.bucket, expandedKey, {
    timeoutMs: 15_000,
    accept: (object) => object.body.equals(expected),
  });
});

Then('stub-hdfs does not hold {string}', async function (this: EgressWorld, key: string) {
  // Checked after the positive expectations of the scenario, which the agent handles first.
  assert.equal(await this.getObject(this.target.state.nifi!.bucket, name(this, key)), undefined);
});

Then(
  '{string} is no longer in {string}',
  async function (this: EgressWorld, file: string, directory: string) {
    const target = path.join(sftDirectory(this, directory), name(this, file));
    await waitFor(() => !existsSync(target), { timeoutMs: 10_000, description: `${target} to be removed` });
  },
);

Then('{string} is still in {string}', function (this: EgressWorld, file: string, directory: string) {
  assert.ok(existsSync(path.join(sftDirectory(this, directory), name(this, file))));
});

/**
 * How often the stub NiFi took a file: its request log in this process, or — on an external stack —
 * the "stored" lines it wrote to the stack's log.
 */
async function timesReceived(world: EgressWorld, filename: string): Promise<number> {
  if (world.target.sandbox) {
    return world.target.sandbox.components.nifi.received().filter((r) => r.filename === filename).length;
  }
  const lines = (await world.target.logsSince(world.logMark)).split('\n');
  return lines.filter((line) => {
    if (!line.includes('"stored"')) return false;
    try {
      const entry = JSON.parse(line) as { msg?: string; key?: string };
      return entry.msg === 'stored' && path.posix.basename(entry.key ?? '') === filename;
    } catch {
      return false;
    }
  }).length;
}

Then('the stub NiFi received {string} exactly once', async function (this: EgressWorld, file: string) {
  const filename = name(this, file);
  // The file is already in stub-hdfs; a log line may trail the store by a moment.
  const received = await waitFor(async () => (await timesReceived(this, filename)) || undefined, {
    timeoutMs: 5000,
    description: `the stub NiFi's record of ${filename}`,
  });
  assert.equal(received, 1, `received ${received} times`);
});

Given(
  'the stub NiFi answers the next {int} requests with {int}',
  function (this: EgressWorld, count: number, status: number) {
    const { nifi } = sandbox(this).components;
    nifi.faults.failNext(count, status);
    this.onCleanup(async () => nifi.faults.reset());
  },
);

Then(
  'the SFT agent retried {string} at least {int} times',
  async function (this: EgressWorld, file: string, times: number) {
    const filename = name(this, file);
    // The stub NiFi stores the file before the agent has read its answer: wait for the agent's report.
    const delivered = await waitFor(
      () =>
        sandbox(this)
          .trace.recent()
          .find(
            (entry) =>
              entry.stage === 'sft' &&
              !entry.failure &&
              (entry.details as { name?: string })?.name === filename,
          ),
      { timeoutMs: 10_000, description: `the SFT agent's report that it delivered ${filename}` },
    );
    const attempts = (delivered.details as { attempts?: number }).attempts ?? 0;
    assert.ok(attempts >= times + 1, `the agent reported ${attempts} attempts`);
    const received = sandbox(this)
      .components.nifi.received()
      .filter((r) => r.filename === filename);
    assert.ok(received.length >= times + 1, `the stub NiFi saw ${received.length} attempts`);
  },
);

Then(
  '{string} appears in {string} with a sidecar naming status {int}',
  async function (this: EgressWorld, file: string, directory: string, status: number) {
    const dir = sftDirectory(this, directory);
    const filename = name(this, file);
    const sidecar = await waitFor(
      async () => {
        if (!existsSync(dir)) return undefined;
        return (await readdir(dir)).find(
          (entry) => entry.startsWith(filename) && entry.endsWith('.error.json'),
        );
      },
      { timeoutMs: 15_000, description: `the error sidecar of ${filename} in ${dir}` },
    );
    const record = JSON.parse(await readFile(path.join(dir, sidecar), 'utf8'));
    assert.equal(record.status ?? record.lastStatus, status, JSON.stringify(record));
    const moved = (await readdir(dir)).find(
      (entry) => entry.startsWith(filename) && !entry.endsWith('.error.json'),
    );
    assert.ok(moved, 'the file itself is in the error folder');
    assert.ok(
      (await readFile(path.join(dir, moved))).equals(this.uploads.get(filename)!),
      'with its bytes intact',
    );
  },
);

When(
  'a client without a certificate posts {string} to the stub NiFi',
  async function (this: EgressWorld, file: string) {
    const url = new URL('/DA', this.target.state.nifi!.url);
    const ca = await readFile(this.target.state.tls.ca);
    const outcome = await new Promise<string>((resolve) => {
      const request = https.request(
        url,
        { method: 'POST', ca, headers: { filename: name(this, file) } },
        (response) => {
          response.resume();
          resolve(`HTTP ${response.statusCode}`);
        },
      );
      request.on('error', (error) => resolve(`error: ${error.message}`));
      request.end('payload');
    });
    this.notes.set('tlsOutcome', outcome);
  },
);

Then('the TLS handshake is refused', function (this: EgressWorld) {
  const outcome = String(this.notes.get('tlsOutcome'));
  assert.match(outcome, /^error: /, `expected a TLS failure, got ${outcome}`);
});

Given('an SFT agent running this route configuration:', async function (this: EgressWorld, yaml: string) {
  const state = this.target.state;
  const text = name(this, yaml).replaceAll('<nifi>', state.nifi!.url);
  const config = parseSftAgentConfig(parseYaml(text), { origin: 'scenario' });
  const unmatched: string[] = [];
  const agent: SftAgent = await startSftAgent({
    config,
    sftRoot: state.sftRoot,
    tls: {
      ca: await readFile(state.tls.ca, 'utf8'),
      cert: await readFile(state.tls.cert, 'utf8'),
      key: await readFile(state.tls.key, 'utf8'),
    },
  });
  agent.on('unmatched', (event) => unmatched.push(event.name));
  this.notes.set('unmatched', unmatched);
  this.onCleanup(() => agent.stop());
});

Then('the agent reported {string} as matching no route', async function (this: EgressWorld, file: string) {
  const unmatched = this.notes.get('unmatched') as string[];
  await waitFor(() => unmatched.includes(file), {
    timeoutMs: 5000,
    description: `${file} reported unmatched`,
  });
});
