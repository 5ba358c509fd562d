import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/clients.ts';
import { loadEnvironmentFile, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { sandboxTarget } from '../../src/rule-tools/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.ts';
import { resolveSandboxSettings } from '../../src/sandbox/settings.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { EPHEMERAL_PORTS } from '../helpers/cli.ts';

const SCREENSHOT = path.resolve('reports/dashboard.png');

let dir: string;
let sandbox: Sandbox;
let browser: TestBrowser;
let page: Page;
let day: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dashboard-'));
  sandbox = await startSandbox({
    settings: resolveSandboxSettings({ stateDir: dir }, { ...process.env, ...EPHEMERAL_PORTS }),
  });
  await provisionEnvironment(
    sandboxTarget(sandbox.state),
    await loadEnvironmentFile('config/sandbox/rules.yml'),
  );
  day = dateStamps(new Date(), sandbox.components.egress.config.timeZone).isoDate;
  browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the sandbox dashboard in headless Chromium', () => {
  it('is named in sandbox.json and shows every component healthy', async () => {
    expect(sandbox.state.dashboard?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await page.goto(sandbox.state.dashboard!.url);
    await page.locator('#health-list li.ok').nth(4).waitFor({ timeout: 10_000 });
    expect(await page.locator('#health-list li.ok').allTextContents()).toEqual([
      expect.stringMatching(/^AWS edge: \d+ buckets$/),
      'DKS stub: ok',
      'egress service: consuming; /health ok',
      'SFT agent: watching 8 directories',
      'stub NiFi: ok',
    ]);
    await expect.poll(() => page.locator('#dlq-depth').textContent()).toBe('0 waiting, 0 in flight');
    await expect
      .poll(() => page.locator('#rule-count').textContent())
      .toBe('97 routing rules in table data-egress');
  });

  it('shows a flag’s message, its deliveries, stub-hdfs and the live trace as they happen', async () => {
    const s3 = createS3Client(sandboxTarget(sandbox.state));
    const put = (key: string, body: string) =>
      s3.send(
        new PutObjectCommand({
          Bucket: 'published-bucket',
          Key: key,
          Body: Buffer.from(body),
          ContentLength: body.length,
        }),
      );
    await put(`dataegress/cbol-report/${day}/dashboard-report.csv`, 'a,b,c\n1,2,3\n');
    await put(`dataegress/cbol-report/${day}/pipeline_success.flag`, '');
    await put(`dataegress/sas/health/export/${day}/dashboard-extract.csv`, 'x,y\n');
    await put(`dataegress/sas/health/export/${day}/pipeline_success.flag`, '');
    s3.destroy();

    const cbol = page.locator('#recipient-list [data-recipient="CBOL"]');
    await cbol
      .getByText(`s3://opsmi-destination/cbol/${day}/dashboard-report.csv`, { exact: false })
      .waitFor({
        timeout: 15_000,
      });
    expect(await cbol.locator('h3').textContent()).toBe('CBOL — 1 file, 12 B');
    await page
      .locator('#recipient-list [data-recipient="SAS"]')
      .getByText('/data-egress/sas/dashboard-extract.csv', { exact: false })
      .waitFor({ timeout: 15_000 });

    const messages = page.locator('#message-rows');
    await messages.getByText('CBOL (S3): 1 sent').waitFor();
    expect(await messages.locator('tr', { hasText: 'CBOL (S3)' }).locator('td').nth(3).textContent()).toBe(
      'done (completed)',
    );
    await page
      .locator('#stub-hdfs-list')
      .getByText('internal/DandARed/inbound/Dataworks/UCFS/tactical/dashboard-extract.csv', { exact: false })
      .waitFor({ timeout: 15_000 });
    await page
      .locator('#trace-list')
      .getByText('S3 event ObjectCreated:Put', { exact: false })
      .first()
      .waitFor();
    await expect.poll(() => page.locator('#sft-error-list').textContent()).toBe('all 7 error folders empty');
  });

  it('explains a key in the rule explorer, over the live table', async () => {
    await page.fill('#explain-key', `dataegress/cbol-report/${day}/pipeline_success.flag`);
    await page.click('#explain-button');
    const output = page.locator('#explain-output');
    await output.getByText('fires 1 rule', { exact: false }).waitFor({ timeout: 10_000 });
    const text = (await output.textContent()) ?? '';
    expect(text).toContain(
      `the flag dataegress/cbol-report/${day}/pipeline_success.flag fires 1 rule on ${day}: CBOL (S3)`,
    );
    expect(text).toContain(
      `writes     to s3://opsmi-destination/cbol/${day}/ — each object under its file name`,
    );
    expect(await output.getAttribute('data-matches')).toBe('1');

    await page.fill('#explain-key', 'dataegress/sas/health/export/2026-01-02/report.csv');
    await page.fill('#explain-date', '2026-01-02');
    await page.click('#explain-button');
    await output.getByText('stub NiFi stores', { exact: false }).waitFor({ timeout: 10_000 });
    expect(await output.textContent()).toContain(
      `stub NiFi stores s3://stub-hdfs-local/internal/DandARed/inbound/Dataworks/UCFS/tactical/report.csv`,
    );

    await page.fill('#explain-key', 'dataegress/cbol-report/2026-01-02/pipeline_success.flag');
    await page.fill('#explain-date', 'not-a-date');
    await page.click('#explain-button');
    await output.getByText('error: --date not-a-date is not a day in the form YYYY-MM-DD').waitFor();

    // Leave the page showing a flag explained, for the screenshot kept as a test artefact.
    await page.fill('#explain-key', `dataegress/cbol-report/${day}/pipeline_success.flag`);
    await page.fill('#explain-date', '');
    await page.click('#explain-button');
    await output.getByText('fires 1 rule', { exact: false }).waitFor();
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
