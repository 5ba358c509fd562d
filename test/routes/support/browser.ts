import chromium from '@sparticuz/chromium';
import { type Browser, chromium as playwright } from 'playwright-core';

/*
 * The one place the routing-map browser test launches Chromium: the npm package
 * `@sparticuz/chromium` (a headless build from the registry — this machine has no system browser)
 * driven by playwright-core. When the shared helper `test/helpers/browser.ts` (issue 13) lands,
 * replace this body with a call to it.
 */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
}
