import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type CliProcess, runCli } from '../helpers/cli.ts';
import { awsCli, startSandbox } from '../helpers/sandbox.ts';

/*
 * Issue 18 item 6, as a stakeholder meets it: `egress sandbox` (with its demo) running, its
 * dashboard open in Chromium; rules and messages put in with the AWS CLI and `egress routes load`.
 */

let dir: string;
let sandbox: CliProcess;
let state: SandboxState;
let browser: TestBrowser;
let page: Page;

const aws = (args: string[]) => awsCli(state, args);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'panels-'));
  const stateDir = path.join(dir, 'state');
  ({ cli: sandbox, state } = await startSandbox(stateDir, {
    ready: /The sandbox keeps running/,
    timeoutMs: 180_000,
  }));
  browser = await launchBrowser({ viewport: { width: 1400, height: 1200 } });
  page = await browser.newPage();
  await page.goto(state.dashboard!.url);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (sandbox?.child.exitCode === null) {
    sandbox.child.kill('SIGTERM');
    await sandbox.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

const ruleRow = (pipeline: string) => page.locator(`#rule-rows tr[data-pipeline="${pipeline}"]`);

describe('the dashboard after the demo', () => {
  it('lists every rule with its status and last match, the demo’s invalid rule labelled as a demonstration', async () => {
    await expect
      .poll(() => page.locator('#rules-summary').textContent(), { timeout: 15_000 })
      .toBe('97 rules in table data-egress: 96 valid, 1 invalid on purpose (a demonstration)');
    expect(await page.locator('#rule-rows tr').count()).toBe(97);
    const demo = ruleRow('PDM_RTG');
    expect(await demo.getAttribute('data-status')).toBe('demonstration');
    expect(await demo.locator('td').first().textContent()).toBe('demonstration');
    expect(await demo.locator('.demo-note').textContent()).toMatch(
      /^demonstration: the original deployment’s rule/,
    );
    expect(await demo.locator('.problem').first().textContent()).toMatch(
      /^decrypt: expected a boolean \(BOOL\)/,
    );
    // The demo sent CBOL's files: the rule shows when it last matched and what it sent.
    expect(await ruleRow('CBOL').locator('.last-match').textContent()).toMatch(/^\S.* — 2 sent$/);
    expect(await page.locator('#rule-rows .last-match', { hasText: /^never/ }).count()).toBeGreaterThan(50);
  });

  it('tells the demonstration once in the trace, not as a failure', async () => {
    const trace = page.locator('#trace-list');
    await trace.getByText('demonstration: routing rule PDM_RTG', { exact: false }).first().waitFor();
    expect(await trace.locator('li', { hasText: 'PDM_RTG' }).count()).toBe(1);
    expect(await trace.locator('li.failure', { hasText: 'PDM_RTG' }).count()).toBe(0);
  });

  it('shows a rule loaded with a real mistake as INVALID with its reason, and a typo with the near miss', async () => {
    const file = path.join(dir, 'team.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          source_prefix: 'team/bad/',
          pipeline_name: 'TEAM_BAD',
          transfer_type: 'S3',
          source_bucket: 'source',
          destination_bucket: 'destination',
          compress: true,
        },
        {
          source_prefix: 'team/typo/',
          pipeline_name: 'TEAM_TYPO',
          transfer_type: 'S3',
          source_bucket: 'source',
          destination_bucket: 'destination',
          destination_prefx: 'out/',
        },
      ]),
    );
    const load = runCli([
      'routes',
      'load',
      file,
      '--state-dir',
      path.dirname(state.logs).replace(/\/logs$/, ''),
    ]);
    expect((await load.exited).code).toBe(0);
    await page.locator('#rules-problems-only').check();
    await ruleRow('TEAM_BAD').waitFor({ timeout: 15_000 });
    expect(await ruleRow('TEAM_BAD').locator('td.bad').textContent()).toBe('INVALID');
    expect(await ruleRow('TEAM_BAD').locator('.problem').textContent()).toBe(
      'compress_fmt: must be "gz" or "z" when compress is true, got nothing',
    );
    expect(await ruleRow('TEAM_TYPO').locator('.warning').textContent()).toBe(
      'destination_prefx: not a column the egress service reads; did you mean destination_prefix?',
    );
    expect(await page.locator('#rules-summary').textContent()).toContain('1 invalid (they take no action)');
    await page.locator('#rules-problems-only').uncheck();
  });
});

describe('the dead-letter queue on the dashboard', () => {
  it('shows a poison message with the reason the service gave', async () => {
    await aws(['sqs', 'send-message', '--queue-url', state.queue.url, '--message-body', 'this is not JSON']);
    const row = page.locator('#dead-letter-rows tr', { hasText: 'this is not JSON' });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td.reason').textContent()).toMatch(
      /^the service could never process it: .*JSON/,
    );
  });

  it('shows why a message that kept failing was moved there, and Redrive sends it back: once the bucket exists it is delivered', async () => {
    await aws([
      'dynamodb',
      'put-item',
      '--table-name',
      state.table,
      '--item',
      '{"source_prefix":{"S":"team/late/"},"pipeline_name":{"S":"TEAM_LATE"},"transfer_type":{"S":"S3"},"source_bucket":{"S":"source"},"destination_bucket":{"S":"team-late-bucket"},"destination_prefix":{"S":"in/"}}',
    ]);
    const data = path.join(dir, 'late.csv');
    await writeFile(data, 'late,data\n');
    await aws(['s3', 'cp', data, 's3://source/team/late/late.csv']);
    await aws(['s3', 'cp', data, 's3://source/team/late/pipeline_success.flag']);

    // Three receives fail (no such bucket), then the queue's redrive policy moves it.
    const row = page.locator('#dead-letter-rows tr', {
      hasText: 'S3 event: ObjectCreated:Put s3://source/team/late/pipeline_success.flag',
    });
    await row.waitFor({ timeout: 60_000 });
    const reason = (await row.locator('td.reason').textContent()) ?? '';
    expect(reason).toMatch(
      /^TEAM_LATE \(team\/late\/\): 1 of 1 objects failed — team\/late\/late\.csv: .*The specified bucket does not exist/,
    );
    expect(reason).toMatch(/failed 3 times here, then moved by the queue's redrive policy$/);

    await aws(['s3', 'mb', 's3://team-late-bucket']);
    await row.locator('button.redrive').click();
    await expect
      .poll(() => page.locator('#redrive-result').textContent(), { timeout: 15_000 })
      .toBe('moved 1 message back to data-egress');
    await expect
      .poll(
        async () =>
          (await aws(['s3api', 'list-objects-v2', '--bucket', 'team-late-bucket'])).includes('in/late.csv'),
        {
          timeout: 30_000,
        },
      )
      .toBe(true);
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    // The poison message is still there; Redrive all sends it back too (and it returns, as poison does).
    expect(await page.locator('#dead-letter-rows tr', { hasText: 'this is not JSON' }).count()).toBe(1);
    await page.screenshot({ path: path.resolve('reports/dashboard-panels.png'), fullPage: true });
  }, 150_000);
});
