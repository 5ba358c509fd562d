import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnvironmentFileError,
  loadEnvironmentFile,
  parseEnvironment,
  provisionEnvironment,
  RealAwsNotConfirmedError,
} from '../../src/aws/provisioning/index.ts';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

let t: TestKit;
let dir: string;
beforeAll(async () => {
  t = await startTestKit();
  dir = await mkdtemp(path.join(os.tmpdir(), 'provision-'));
});
afterAll(async () => {
  await t.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('environment files', () => {
  it.each([
    [
      'a bad bucket name',
      'buckets:\n  - name: Bad_Bucket\n',
      /line 2, column 11: buckets\[0\]\.name: must be a valid S3 bucket name/,
    ],
    ['an unknown field', 'queues:\n  - name: q\n    visibility: 5\n', /queues\[0\].*visibility/],
    [
      'a notification for an undeclared queue',
      'buckets: [{name: src}]\nnotifications:\n  - {bucket: src, queue: nope}\n',
      /notifications\[0\]\.queue: queue 'nope' is not declared/,
    ],
    [
      'a wrong type',
      'queues:\n  - name: q\n    visibilityTimeoutSeconds: "five"\n',
      /line 3.*visibilityTimeoutSeconds/,
    ],
    ['broken YAML', 'buckets: [\n', /line/],
    [
      'a maxReceiveCount of zero',
      'queues:\n  - name: q\n    deadLetter: {name: d, maxReceiveCount: 0}\n',
      /deadLetter\.maxReceiveCount/,
    ],
  ])('names the file, position and field for %s', async (_name, text, message) => {
    const file = path.join(dir, 'env.yml');
    const error = await parseEnvironment(text, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentFileError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(message);
  });

  it('reports a missing file by name', async () => {
    await expect(loadEnvironmentFile(path.join(dir, 'missing.yml'))).rejects.toThrow(
      /missing\.yml: cannot be read: ENOENT/,
    );
  });

  it('loads the original routing items, dropping annotations and applying bucket aliases', async () => {
    const file = path.join(dir, 'items.yml');
    await writeFile(
      file,
      `tables:\n  - name: data-egress\n    items:\n      file: ${path.resolve('config/rules/routing-items.json')}\n      bucketAliases: { published-bucket: source }\n`,
    );
    const loaded = await loadEnvironmentFile(file);
    const items = loaded.items.get('data-egress')!;
    expect(items).toHaveLength(97);
    expect(items.every((item) => Object.keys(item).every((k) => !k.startsWith('_')))).toBe(true);
    expect(items.filter((item) => item.source_bucket === 'source')).toHaveLength(96);
  });
});

describe('provisioning', () => {
  const environment = `
buckets: [{ name: prov-src }, { name: prov-dst }]
queues:
  - name: prov-queue
    visibilityTimeoutSeconds: 7
    deadLetter: { name: prov-dlq, maxReceiveCount: 2 }
notifications:
  - { bucket: prov-src, queue: prov-queue, suffix: pipeline_success.flag }
tables:
  - name: prov-table
    items:
      inline:
        - { source_prefix: 'a/', pipeline_name: 'A', transfer_type: 'S3', decrypt: true, _note: 'dropped' }
parameters:
  - { name: /prov/key, type: SecureString, value: secret }
`;

  it('creates everything once, and the second run is a no-op', async () => {
    const loaded = await parseEnvironment(environment, 'inline.yml');
    const first = await provisionEnvironment(t.target, loaded);
    expect(first.steps.map((s) => `${s.kind}:${s.action}`)).toEqual([
      'bucket:created',
      'bucket:created',
      'queue:created',
      'queue:created',
      'notification:created',
      'table:created',
      'items:created',
      'parameter:created',
    ]);
    const second = await provisionEnvironment(t.target, loaded);
    expect(second.steps.every((s) => s.action === 'found')).toBe(true);

    const { Attributes } = await t.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: first.queues['prov-queue']!.url, AttributeNames: ['All'] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe('7');
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({
      deadLetterTargetArn: first.queues['prov-dlq']!.arn,
      maxReceiveCount: 2,
    });
    const { Items } = await t.clients.documents.send(new ScanCommand({ TableName: 'prov-table' }));
    expect(Items).toEqual([{ source_prefix: 'a/', pipeline_name: 'A', transfer_type: 'S3', decrypt: true }]);
  });

  it('wires the flag notification to the queue', async () => {
    const loaded = await parseEnvironment(environment, 'inline.yml');
    const report = await provisionEnvironment(t.target, loaded);
    await t.clients.s3.send(new PutObjectCommand({ Bucket: 'prov-src', Key: 'x/data.csv', Body: 'x' }));
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: 'prov-src', Key: 'x/pipeline_success.flag', Body: '' }),
    );
    const keys = await waitFor(
      async () => {
        const { Messages } = await t.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: report.queues['prov-queue']!.url, MaxNumberOfMessages: 10 }),
        );
        const found = (Messages ?? [])
          .flatMap((m) => JSON.parse(m.Body!).Records ?? [])
          .map((r: { s3: { object: { key: string } } }) => r.s3.object.key);
        return found.length ? found : undefined;
      },
      { description: 'the flag event' },
    );
    expect(keys).toEqual(['x/pipeline_success.flag']);
  });

  it('updates what drifted', async () => {
    const loaded = await parseEnvironment(
      environment.replace('visibilityTimeoutSeconds: 7', 'visibilityTimeoutSeconds: 9'),
      'inline.yml',
    );
    const report = await provisionEnvironment(t.target, loaded);
    expect(report.steps.find((s) => s.name === 'prov-queue')).toMatchObject({
      action: 'updated',
      detail: 'VisibilityTimeout',
    });
  });

  it('refuses to touch real AWS without confirmation', async () => {
    const loaded = await parseEnvironment('buckets: [{name: never-created}]', 'inline.yml');
    await expect(provisionEnvironment({ region: 'eu-west-2' }, loaded)).rejects.toBeInstanceOf(
      RealAwsNotConfirmedError,
    );
  });

  it('provisions the sandbox environment file as shipped', async () => {
    const loaded = await loadEnvironmentFile('config/sandbox/environment.yml');
    const report = await provisionEnvironment(t.target, loaded);
    expect(report.queues['data-egress']?.url).toBeTruthy();
    expect(report.steps.filter((s) => s.kind === 'notification')).toHaveLength(3);
    const rules = await loadEnvironmentFile('config/sandbox/rules.yml');
    const seeded = await provisionEnvironment(t.target, rules);
    expect(seeded.steps.find((s) => s.kind === 'items')?.detail).toBe(
      '97 items: 97 created, 0 updated, 0 unchanged',
    );
  });
});
