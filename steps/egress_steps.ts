/**
 * The pipeline's business steps: routing rules, a producer publishing files and its
 * pipeline_success.flag, and what recipients receive (S3 objects, SFT files, control files).
 *
 * Keys and prefixes in S3 are written in the features relative to the scenario's own area: the steps
 * put them under `bdd-<id>/` (a key with a leading `/` keeps it: `/bdd-<id>/…`). SFT directories
 * are real directories under the SFT root and are used as written (`<id>` makes a name unique).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type DataTable, Given, Then, When } from '@cucumber/cucumber';
import { waitFor } from '../src/util/wait.ts';
import type { PipelineEvent } from './support/pipeline-events.ts';
import type { EgressWorld } from './support/world.ts';

// ---------------------------------------------------------------------------------------------
// Routing rules

/**
 * A cell of a rule table as a DynamoDB value: `true`/`false` are BOOL, `"…"` is a string kept
 * verbatim (so `"true"` is the string, not the BOOL), anything else a string. Empty cells are absent.
 */
function ruleValue(cell: string): string | boolean | undefined {
  const text = cell.trim();
  if (text === '') return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  return text;
}

async function putRules(world: EgressWorld, rows: Record<string, string>[]): Promise<void> {
  for (const row of rows) {
    const item: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(row)) {
      const value = ruleValue(cell);
      if (value === undefined) continue;
      item[column] = typeof value === 'string' ? world.expand(value) : value;
    }
    assert.ok(typeof item.source_prefix === 'string', 'a routing rule needs a source_prefix');
    assert.ok(typeof item.pipeline_name === 'string', 'a routing rule needs a pipeline_name');
    item.source_prefix = world.key(item.source_prefix as string);
    const s3 = typeof item.transfer_type === 'string' && item.transfer_type.toLowerCase() === 's3';
    if (s3 && typeof item.destination_prefix === 'string') {
      item.destination_prefix = world.key(item.destination_prefix);
    }
    await world.putRule(item);
  }
}

Given('the routing rule:', async function (this: EgressWorld, table: DataTable) {
  await putRules(this, [table.rowsHash()]);
});

Given('the routing rules:', async function (this: EgressWorld, table: DataTable) {
  await putRules(this, table.hashes());
});

// ---------------------------------------------------------------------------------------------
// Publishing

interface FileRow {
  file: string;
  lines?: string;
  content?: string;
}

function bodyFor(world: EgressWorld, row: FileRow): Buffer {
  if (row.file.endsWith('/')) return Buffer.alloc(0); // a "folder" marker
  if (row.content !== undefined && row.content !== '') return Buffer.from(world.expand(row.content));
  return world.sampleContent(world.expand(row.file), Number(row.lines || 100));
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}

async function publishFiles(world: EgressWorld, bucket: string, rows: FileRow[]): Promise<void> {
  await eachLimited(rows, 16, async (row) => {
    const relative = world.expand(row.file);
    const body = bodyFor(world, row);
    await world.putObject(world.expand(bucket), world.key(relative), body);
    world.uploads.set(relative, body);
  });
}

async function publishFlag(world: EgressWorld, bucket: string, relativeFlag: string): Promise<void> {
  const key = world.key(relativeFlag);
  world.notes.set('publishedAt', new Date());
  await world.putFlag(world.expand(bucket), key);
  world.flags.push(key);
}

function commonFolder(files: string[]): string {
  const folders = new Set(files.map((file) => path.posix.dirname(file.replace(/\/$/, ''))));
  assert.equal(
    folders.size,
    1,
    `the files are in several folders (${[...folders].join(', ')}); name the flag with "and then the flag …"`,
  );
  const folder = [...folders][0]!;
  return folder === '.' ? '' : `${folder}/`;
}

Given(
  'the producer has written these files to {string}:',
  async function (this: EgressWorld, bucket: string, table: DataTable) {
    await publishFiles(this, bucket, table.hashes() as unknown as FileRow[]);
  },
);

When(
  'the pipeline publishes these files to {string} and its pipeline_success.flag:',
  async function (this: EgressWorld, bucket: string, table: DataTable) {
    const rows = table.hashes() as unknown as FileRow[];
    await publishFiles(this, bucket, rows);
    await publishFlag(
      this,
      bucket,
      `${commonFolder(rows.map((r) => this.expand(r.file)))}pipeline_success.flag`,
    );
  },
);

When(
  'the pipeline publishes these files to {string} and then the flag {string}:',
  async function (this: EgressWorld, bucket: string, flag: string, table: DataTable) {
    await publishFiles(this, bucket, table.hashes() as unknown as FileRow[]);
    await publishFlag(this, bucket, flag);
  },
);

When(
  'the pipeline publishes only the flag {string} to {string}',
  async function (this: EgressWorld, flag: string, bucket: string) {
    await publishFlag(this, bucket, flag);
  },
);

When(
  'the pipeline publishes {int} files under {string} to {string} and its pipeline_success.flag',
  async function (this: EgressWorld, count: number, folder: string, bucket: string) {
    const prefix = this.expand(folder);
    const rows = Array.from({ length: count }, (_, i) => ({
      file: `${prefix}part-${String(i).padStart(5, '0')}.csv`,
      content: `row ${i} of scenario <id>\n`,
    }));
    // Plain PutObject: these are small, and there are many.
    await eachLimited(rows, 32, async (row) => {
      const body = Buffer.from(this.expand(row.content));
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.expand(bucket), Key: this.key(row.file), Body: body }),
      );
      this.uploads.set(row.file, body);
    });
    await publishFlag(this, bucket, `${prefix}pipeline_success.flag`);
  },
);

// ---------------------------------------------------------------------------------------------
// What recipients receive

/**
 * What a delivered object must contain: `same as <file>`, `gzip of <file>`, `zlib of <file>`
 * (the published file's bytes, after decompressing), or `empty`.
 */
function contentCheck(world: EgressWorld, spec: string): (body: Buffer) => boolean {
  const text = spec.trim();
  if (text === 'empty') return (body) => body.length === 0;
  const match = /^(same as|gzip of|zlib of)\s+(.+)$/.exec(text);
  assert.ok(
    match,
    `content "${spec}" must read "same as <file>", "gzip of <file>", "zlib of <file>" or "empty"`,
  );
  const expected = world.published(match[2]!);
  const decode =
    match[1] === 'gzip of'
      ? (body: Buffer) => gunzipSync(body)
      : match[1] === 'zlib of'
        ? (body: Buffer) => inflateSync(body)
        : (body: Buffer) => body;
  return (body) => {
    try {
      return decode(body).equals(expected);
    } catch {
      return false;
    }
  };
}

/** The recipient named in the step must be one of the scenario's rules, delivering to that bucket. */
function assertRecipient(world: EgressWorld, recipient: string, bucket?: string): void {
  const rules = world.ruleRows.filter((rule) => rule.recipient_name === recipient);
  assert.ok(rules.length > 0, `no routing rule of this scenario has recipient_name "${recipient}"`);
  if (bucket) {
    assert.ok(
      rules.some((rule) => rule.destination_bucket === bucket),
      `recipient "${recipient}" has no rule delivering to the bucket "${bucket}"`,
    );
  }
}

/** Waits for a key with a `<hhmmss>` time (the processing time) and checks the time is plausible. */
async function waitForTimedKey(
  world: EgressWorld,
  bucket: string,
  template: string,
  accept: (b: Buffer) => boolean,
) {
  const [before] = template.split('<hhmmss>');
  const listPrefix = before!.slice(0, before!.lastIndexOf('/') + 1);
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('<hhmmss>', '(\\d{6})');
  const pattern = new RegExp(`^${escaped}$`);
  const key = await waitFor(
    async () => (await world.listKeys(bucket, listPrefix)).find((candidate) => pattern.test(candidate)),
    { timeoutMs: 20_000, intervalMs: 100, description: `a key like s3://${bucket}/${template}` },
  );
  const object = await world.waitForObject(bucket, key, { accept: (o) => accept(o.body) });
  const hhmmss = pattern.exec(key)![1]!;
  const published = world.notes.get('publishedAt') as Date;
  const stamp = Date.UTC(
    published.getUTCFullYear(),
    published.getUTCMonth(),
    published.getUTCDate(),
    Number(hhmmss.slice(0, 2)),
    Number(hhmmss.slice(2, 4)),
    Number(hhmmss.slice(4, 6)),
  );
  assert.ok(
    stamp >= Math.floor(published.getTime() / 1000) * 1000 && stamp <= Date.now(),
    `the time ${hhmmss} in ${key} is not between the flag's upload (${published.toISOString()}) and now`,
  );
  return object;
}

Then(
  'recipient {string} receives in {string}:',
  async function (this: EgressWorld, recipient: string, bucketName: string, table: DataTable) {
    const bucket = this.expand(bucketName);
    assertRecipient(this, recipient, bucket);
    for (const row of table.hashes()) {
      const accept = contentCheck(this, row.content ?? '');
      const template = this.key(row.key!);
      if (template.includes('<hhmmss>')) {
        await waitForTimedKey(this, bucket, template, accept);
      } else {
        await this.waitForObject(bucket, template, { accept: (object) => accept(object.body) }).catch(
          async (error: Error) => {
            const found = await this.getObject(bucket, template);
            throw found
              ? new Error(
                  `s3://${bucket}/${template} exists (${found.body.length} bytes), but its content is not "${row.content}"`,
                )
              : error;
          },
        );
      }
    }
  },
);

/**
 * Waits until the pipeline has handled (deleted) the message of every flag this scenario published,
 * and the message it sent by hand, if any.
 */
async function flagsHandled(world: EgressWorld): Promise<void> {
  const sent = world.notes.get('sentMessageId') as string | undefined;
  assert.ok(world.flags.length > 0 || sent, 'this scenario published no flag and sent no message');
  const deleted = (events: PipelineEvent[]) =>
    events.filter(
      (e): e is Extract<PipelineEvent, { type: 'message' }> => e.type === 'message' && e.action === 'deleted',
    );
  await world.waitForPipeline(
    (events) =>
      world.flags.every((flag) => deleted(events).some((e) => e.flagKeys.includes(flag))) &&
      (!sent || deleted(events).some((e) => e.messageId === sent)),
    `the messages of ${[...world.flags, ...(sent ? [`message ${sent}`] : [])].join(', ')} to be handled and deleted`,
    30_000,
  );
}

Then(
  'the bucket {string} holds exactly these keys under {string}:',
  async function (this: EgressWorld, bucket: string, prefix: string, table: DataTable) {
    await flagsHandled(this);
    const expected = table
      .raw()
      .slice(1)
      .map(([key]) => this.key(key!))
      .sort();
    const actual = (await this.listKeys(this.expand(bucket), this.key(prefix))).sort();
    assert.deepEqual(actual, expected);
  },
);

Then(
  'all {int} files are delivered to {string} under {string}, byte for byte',
  async function (this: EgressWorld, count: number, bucketName: string, prefix: string) {
    const bucket = this.expand(bucketName);
    const scoped = this.key(prefix);
    // Listing thousands of keys costs the endpoint real time (about a second of moto's per listing
    // of 1,500): polling it while the service copies would slow the copy it waits for. First wait
    // for the pipeline to have dealt with the flags (an outcome event, cheap to read), then list.
    await this.waitForPipeline(
      (events) =>
        this.flags.every((flag) => events.some((e) => e.type === 'message' && e.flagKeys.includes(flag))),
      `an outcome for the messages of ${this.flags.join(', ')}`,
      60_000,
    );
    const objects = await waitFor(
      async () => {
        const listed = await this.listObjects(bucket, scoped);
        return listed.length >= count ? listed : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `${count} objects under s3://${bucket}/${scoped}` },
    );
    const expected = new Map(
      [...this.uploads.entries()]
        .filter(([key]) => !key.endsWith('pipeline_success.flag'))
        .map(([key, body]) => [`${scoped}${path.posix.basename(key)}`, body]),
    );
    assert.deepEqual(objects.map((o) => o.key).sort(), [...expected.keys()].sort());
    // A single-part object's ETag is the MD5 of its bytes: compare those without fetching 1,500
    // objects; anything else (a multipart ETag) is fetched and compared byte for byte.
    const toFetch = objects.filter(
      (o) => o.etag !== createHash('md5').update(expected.get(o.key)!).digest('hex'),
    );
    await eachLimited(toFetch, 32, async ({ key }) => {
      const object = await this.getObject(bucket, key);
      assert.ok(object?.body.equals(expected.get(key)!), `s3://${bucket}/${key} differs from its source`);
    });
  },
);

/** A control file: one name per line, each ending with a newline (order is the processing order). */
function assertControlFile(world: EgressWorld, body: Buffer, table: DataTable): void {
  const names = table
    .raw()
    .slice(1)
    .map(([name]) => world.expand(name!));
  const text = body.toString('utf8');
  assert.ok(text.endsWith('\n'), 'every name ends with a newline');
  assert.deepEqual(text.slice(0, -1).split('\n').sort(), [...names].sort());
}

Then(
  'the control file {string} in {string} lists, one name per line:',
  async function (this: EgressWorld, key: string, bucket: string, table: DataTable) {
    const object = await this.waitForObject(this.expand(bucket), this.key(key));
    assertControlFile(this, object.body, table);
  },
);

Then(
  'stub-hdfs holds the control file {string} listing, one name per line:',
  async function (this: EgressWorld, key: string, table: DataTable) {
    const object = await this.waitForObject(this.target.state.nifi!.bucket, this.expand(key));
    assertControlFile(this, object.body, table);
  },
);

Then(
  'nothing is delivered under {string} in {string}',
  async function (this: EgressWorld, prefix: string, bucket: string) {
    await flagsHandled(this);
    assert.deepEqual(await this.listKeys(this.expand(bucket), this.key(prefix)), []);
  },
);

// ---------------------------------------------------------------------------------------------
// SFT files

function sftPath(world: EgressWorld, directory: string, file: string): string {
  const dir = world.expand(directory);
  assert.ok(dir.startsWith('/'), `SFT directories are absolute (under the SFT root): ${dir}`);
  return path.join(world.target.state.sftRoot, dir, world.expand(file));
}

Then(
  'the SFT directory {string} receives:',
  async function (this: EgressWorld, directory: string, table: DataTable) {
    for (const row of table.hashes()) {
      const file = sftPath(this, directory, row.file!);
      const accept = contentCheck(this, row.content ?? '');
      await waitFor(async () => (existsSync(file) ? accept(await readFile(file)) : false), {
        timeoutMs: 20_000,
        intervalMs: 50,
        description: `${file} with the expected content`,
      });
    }
  },
);

Then(
  'stub-hdfs holds {string} with the same bytes as {string}',
  async function (this: EgressWorld, key: string, file: string) {
    const expected = this.published(file);
    await this.waitForObject(this.target.state.nifi!.bucket, this.expand(key), {
      timeoutMs: 20_000,
      accept: (object) => object.body.equals(expected),
    });
  },
);

Then('nothing named {string} exists beside the SFT root', function (this: EgressWorld, name: string) {
  const root = this.target.state.sftRoot;
  for (const place of [path.dirname(root), path.dirname(path.dirname(root)), root]) {
    const candidate = path.join(place, this.expand(name));
    assert.equal(existsSync(candidate), false, `${candidate} exists`);
  }
});
