import { mkdir } from 'node:fs/promises';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../src/aws/clients.ts';
import { loadEnvironmentFile, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { dateStamps } from '../../src/egress/plan/dates.ts';
import { sandboxTarget } from '../../src/rule-tools/index.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type SandboxWorld, startSandboxWorld } from './support/sandbox-world.ts';

/*
 * The dashboard's routing map in a real browser (issue 21): every recipient of the deployed rules
 * is drawn, filters narrow the map, clicking a rule opens the rule explorer with the rule's example
 * flag, and a rule put into the table appears without reloading the page. A screenshot of the map
 * goes to reports/routing-map.png.
 */

let world: SandboxWorld;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  world = await startSandboxWorld();
  await provisionEnvironment(
    sandboxTarget(world.sandbox.state),
    await loadEnvironmentFile('config/sandbox/rules.yml'),
  );
  browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
  page = await browser.newPage();
  await page.goto(world.sandbox.state.dashboard!.url);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

const RECIPIENTS = [
  'BestStart',
  'CBOL',
  'DSP',
  'DataWarehouse',
  'DataWorks',
  'ERS',
  'Housing',
  'NatStats',
  'ONESERVICE',
  'OpsMI',
  'SAS',
  ...[
    'journal',
    'model_1',
    'model_2',
    'model_3',
    'model_4',
    'model_5',
    'model_6',
    'model_7',
    'model_8',
    'model_9',
    'model_10',
  ].flatMap((name) => [`ap_preproc_${name}`, `ap_preproc_${name}_training`]),
];

describe('the routing map in the dashboard', () => {
  it('draws every recipient of the deployed rules, and saves a screenshot', async () => {
    await page.waitForSelector('#map-view svg .map-rule', { timeout: 30_000 });
    await expect.poll(() => page.locator('#map-view .map-rule').count(), { timeout: 15_000 }).toBe(97);
    const drawn = await page
      .locator('#map-view .recipient')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-identity')));
    for (const recipient of RECIPIENTS) expect(drawn).toContain(`recipient ${recipient}`);
    // RTG is the invalid item's recipient: the item takes no action, so nothing leads to it.
    expect(drawn).not.toContain('recipient RTG');
    await expect.poll(() => page.locator('#map-count').textContent()).toMatch(/^97 of 97 rules/);
    // The whole map, fitted to the section's width, for the report.
    await page.setViewportSize({ width: 1600, height: 2600 });
    await page.check('#map-fit');
    await expect.poll(() => page.locator('#map-view.fit').count()).toBe(1);
    await mkdir('reports', { recursive: true });
    await page.locator('#routing-map').screenshot({ path: 'reports/routing-map.png' });
    await page.uncheck('#map-fit');
    await page.setViewportSize({ width: 1600, height: 1000 });
  });

  it('filters by recipient, transfer type and source bucket', async () => {
    await page.selectOption('#map-recipient', 'DSP');
    await expect.poll(() => page.locator('#map-view .map-rule').count()).toBe(3);
    await page.selectOption('#map-type', 'SFT');
    await expect.poll(() => page.locator('#map-count').textContent()).toMatch(/^3 of 97 rules/);
    await page.selectOption('#map-bucket', 'htme-s3-bucket');
    await expect.poll(() => page.locator('#map-view .map-rule').count()).toBe(1);
    for (const select of ['#map-recipient', '#map-type', '#map-bucket']) await page.selectOption(select, '');
    await expect.poll(() => page.locator('#map-view .map-rule').count()).toBe(97);
  });

  it('clicking a rule opens the rule explorer with that rule’s example flag', async () => {
    const today = dateStamps(new Date(), world.sandbox.components.egress.config.timeZone).isoDate;
    const rule = page.locator('#map-view .map-rule[data-pipeline="CBOL"]');
    const key = await rule.getAttribute('data-key');
    expect(key).toBe(`dataegress/cbol-report/${today}/pipeline_success.flag`);
    await rule.click();
    await expect.poll(() => page.inputValue('#explain-key')).toBe(key);
    await expect.poll(() => page.inputValue('#explain-bucket')).toBe('published-bucket');
    await expect
      .poll(() => page.locator('#explain-output').textContent(), { timeout: 15_000 })
      .toContain('1. CBOL → CBOL by S3');
    // The invalid item opens too: the explorer says why it takes no action.
    await page.locator('#map-view .map-rule[data-pipeline="PDM_RTG"]').click();
    await expect
      .poll(() => page.locator('#explain-output').textContent(), { timeout: 15_000 })
      .toContain('would match, but the item is invalid and takes no action');
  });

  it('draws a rule put into the table without a reload', async () => {
    const documents = createDocumentClient(sandboxTarget(world.sandbox.state));
    await documents.send(
      new PutCommand({
        TableName: world.sandbox.state.table,
        Item: {
          source_prefix: 'dataegress/map-test/',
          pipeline_name: 'MAP_TEST',
          recipient_name: 'Map Test Recipient',
          transfer_type: 'S3',
          source_bucket: 'source',
          destination_bucket: 'destination',
          destination_prefix: 'map-test/',
        },
      }),
    );
    documents.destroy();
    await expect
      .poll(() => page.locator('#map-view .map-rule[data-pipeline="MAP_TEST"]').count(), { timeout: 20_000 })
      .toBe(1);
    await expect
      .poll(() => page.locator('#map-view [data-identity="recipient Map Test Recipient"]').count())
      .toBe(1);
  });
});
