/**
 * What the pipeline does with messages: unmatched flags, invalid rules, retries, the dead-letter
 * queue, and what it counts in its metrics. Outcomes are observed, never waited out: the steps read
 * the service's events (its log, on an external stack), the queues and the metrics page.
 */
import assert from 'node:assert/strict';
import { DeleteBucketCommand, DeleteObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type DataTable, Given, Then, When } from '@cucumber/cucumber';
import { createBucket } from '../src/aws/buckets.ts';
import { waitFor } from '../src/util/wait.ts';
import { declaredMetrics, parsePrometheusText, sampleValue } from './support/metrics.ts';
import type { PipelineEvent } from './support/pipeline-events.ts';
import { flagKeysOf, takeMessage } from './support/queues.ts';
import type { EgressWorld } from './support/world.ts';

function theFlag(world: EgressWorld): string {
  assert.equal(world.flags.length, 1, 'this step expects the scenario to have published one flag');
  return world.flags[0]!;
}

function messagesOf(events: PipelineEvent[], flag: string) {
  return events.filter(
    (e): e is Extract<PipelineEvent, { type: 'message' }> =>
      e.type === 'message' && e.flagKeys.includes(flag),
  );
}

Then('the pipeline reports that no routing rule matches the flag', async function (this: EgressWorld) {
  const flag = theFlag(this);
  await this.waitForPipeline(
    (events) => events.some((e) => e.type === 'unmatched' && e.key === flag),
    `the report that no rule matches ${flag}`,
  );
});

Then("the flag's message is deleted as {string}", async function (this: EgressWorld, reason: string) {
  const flag = theFlag(this);
  const deleted = await this.waitForPipeline(
    (events) => messagesOf(events, flag).find((e) => e.action === 'deleted'),
    `the message of ${flag} to be deleted`,
    30_000,
  );
  assert.equal(deleted.reason, reason, `the message of ${flag} was deleted as "${deleted.reason}"`);
});

Then(
  'the pipeline reports the routing rule {string} as invalid: {}',
  async function (this: EgressWorld, pipelineName: string, reason: string) {
    const rule = this.ruleRows.find((row) => row.pipeline_name === pipelineName);
    assert.ok(rule, `no routing rule "${pipelineName}" in this scenario`);
    const report = await this.waitForPipeline(
      (events) =>
        events.find(
          (e) =>
            e.type === 'invalid-rule' &&
            e.pipelineName === pipelineName &&
            e.sourcePrefix === rule.source_prefix,
        ),
      `the report that rule ${pipelineName} (${String(rule.source_prefix)}) is invalid`,
    );
    assert.ok(report.type === 'invalid-rule');
    assert.ok(report.reason.includes(reason), `the reason given was: ${report.reason}`);
  },
);

// ---------------------------------------------------------------------------------------------
// Retries and the dead-letter queue

When(
  'a message whose body is not JSON is sent straight to the egress queue',
  async function (this: EgressWorld) {
    const body = `this is not JSON — scenario ${this.id}`;
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.target.state.queue.url, MessageBody: body }));
    this.notes.set('poison', body);
  },
);

Then(
  'within {int} seconds the dead-letter queue holds that message with a reason mentioning {string}',
  async function (this: EgressWorld, seconds: number, reason: string) {
    const body = this.notes.get('poison') as string;
    const message = await takeMessage(
      this.sqs,
      this.target.state.deadLetterQueue.url,
      (m) => m.body === body,
      {
        timeoutMs: seconds * 1000,
        description: 'the message in the dead-letter queue',
      },
    );
    const recorded = message.attributes.egress_failure_reason ?? '';
    assert.ok(
      recorded.toLowerCase().includes(reason.toLowerCase()),
      `the dead-letter reason is "${recorded}"`,
    );
  },
);

Then(
  "within {int} seconds the dead-letter queue holds the flag's message",
  async function (this: EgressWorld, seconds: number) {
    const flag = theFlag(this);
    await takeMessage(
      this.sqs,
      this.target.state.deadLetterQueue.url,
      (m) => flagKeysOf(m.body).includes(flag),
      {
        timeoutMs: seconds * 1000,
        description: `the message of ${flag} in the dead-letter queue`,
      },
    );
  },
);

Then(
  "the pipeline tried the flag's message at least {int} times, failing each time",
  async function (this: EgressWorld, times: number) {
    const flag = theFlag(this);
    const events = await this.pipelineEvents();
    const attempts = messagesOf(events, flag);
    assert.ok(
      attempts.length >= times && attempts.every((e) => e.action === 'retained'),
      `attempts: ${attempts.map((e) => `${e.action} (${e.reason})`).join(', ') || 'none'}`,
    );
  },
);

async function bucketExists(world: EgressWorld, bucket: string): Promise<boolean> {
  try {
    await world.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch {
    return false;
  }
}

/** Removes a bucket this scenario made (or caused), whatever it holds, after the scenario. */
function removeAfterwards(world: EgressWorld, bucket: string): void {
  world.onCleanup(async () => {
    if (!(await bucketExists(world, bucket))) return;
    for (const key of await world.listKeys(bucket, '')) {
      await world.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    await world.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
}

Given('there is no bucket {string}', async function (this: EgressWorld, name: string) {
  const bucket = this.expand(name);
  assert.equal(await bucketExists(this, bucket), false, `the bucket ${bucket} exists`);
  removeAfterwards(this, bucket);
});

When(
  'the first delivery attempt has failed because the bucket {string} does not exist',
  async function (this: EgressWorld, name: string) {
    const scenarioArea = this.key('');
    const failure = await this.waitForPipeline(
      (events) => events.find((e) => e.type === 'object-failed' && e.key.startsWith(scenarioArea)),
      'a failed delivery of one of the scenario’s files',
    );
    assert.ok(failure.type === 'object-failed');
    assert.ok(
      failure.reason.includes(this.expand(name)) || /NoSuchBucket|does not exist/i.test(failure.reason),
      `the failure was: ${failure.reason}`,
    );
  },
);

When('the bucket {string} is created', async function (this: EgressWorld, name: string) {
  await createBucket(this.s3, this.expand(name));
});

// ---------------------------------------------------------------------------------------------
// Metrics

async function metricsPage(world: EgressWorld): Promise<string> {
  const url = world.target.state.metrics?.url;
  assert.ok(url, 'sandbox.json has no metrics.url');
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return response.text();
}

/** Label values as the rule stores them: prefixes in S3 are the scenario's own (see the rules). */
function labelsFrom(world: EgressWorld, table: DataTable): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(table.rowsHash())) {
    const expanded = world.expand(value);
    const scoped =
      name === 'source_prefix' || (name === 'destination_prefix' && !expanded.startsWith('/'))
        ? world.key(expanded)
        : expanded;
    labels[name] = scoped;
  }
  return labels;
}

Then(
  'the metrics page counts {int} file(s) sent successfully with the labels:',
  async function (this: EgressWorld, count: number, table: DataTable) {
    const labels = labelsFrom(this, table);
    let last = 0;
    await waitFor(
      async () => {
        last = sampleValue(
          parsePrometheusText(await metricsPage(this)),
          'data_egress_files_sent_success_total',
          labels,
        );
        return last === count;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: `success count ${count} (last seen ${last})` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; labels ${JSON.stringify(labels)}`);
    });
  },
);

Then(
  'the metrics page counts at least {int} file(s) that failed to send with the labels:',
  async function (this: EgressWorld, count: number, table: DataTable) {
    const labels = labelsFrom(this, table);
    const value = sampleValue(
      parsePrometheusText(await metricsPage(this)),
      'data_egress_files_sent_failure_total',
      labels,
    );
    assert.ok(value >= count, `failure count ${value} for ${JSON.stringify(labels)}`);
  },
);

Then('the metrics page declares the counters:', async function (this: EgressWorld, table: DataTable) {
  const declared = declaredMetrics(await metricsPage(this));
  for (const [name] of table.raw()) {
    assert.ok(declared.has(name!), `${name} is not on the metrics page`);
  }
});

// ---------------------------------------------------------------------------------------------
// Messages written by hand (the original's integration tests never uploaded a flag)

/** S3 writes keys into events URL-encoded, spaces as `+`. */
function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

When(
  'a message with these records is sent straight to the egress queue:',
  async function (this: EgressWorld, table: DataTable) {
    const records = table.hashes().map((row) => {
      const key = this.key(row.key!);
      const created = !row.eventName || row.eventName.startsWith('ObjectCreated:');
      if (created && key.endsWith('pipeline_success.flag')) this.flags.push(key);
      return {
        ...(row.eventName ? { eventName: row.eventName } : {}),
        s3: { object: { key: encodeKey(key) } },
      };
    });
    const { MessageId } = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.target.state.queue.url,
        MessageBody: JSON.stringify({ Records: records }),
      }),
    );
    this.notes.set('sentMessageId', MessageId);
  },
);

Then('that message is deleted as {string}', async function (this: EgressWorld, reason: string) {
  const messageId = this.notes.get('sentMessageId') as string;
  const deleted = await this.waitForPipeline(
    (events) =>
      events.find((e) => e.type === 'message' && e.messageId === messageId && e.action === 'deleted'),
    `message ${messageId} to be deleted`,
  );
  assert.ok(deleted.type === 'message');
  assert.equal(deleted.reason, reason, `message ${messageId} was deleted as "${deleted.reason}"`);
});
