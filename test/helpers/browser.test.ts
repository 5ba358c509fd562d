import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.ts';
import { CHROMIUM_FLAGS, launchBrowser, type TestBrowser } from './browser.ts';
import { type ChromiumPackage, chooseChromium, resolveChromium, unpackChromium } from './chromium-binary.ts';

const run = promisify(execFile);

describe('which Chromium the browser tests launch', () => {
  it.each([
    [{}, { source: 'npm' }],
    [{ EGRESS_TEST_CHROMIUM: '' }, { source: 'npm' }],
    [{ EGRESS_TEST_CHROMIUM: '  ' }, { source: 'npm' }],
    [
      { EGRESS_TEST_CHROMIUM: '/usr/bin/chromium' },
      { source: 'override', executablePath: '/usr/bin/chromium' },
    ],
  ])('%j → %j', (env, expected) => {
    expect(chooseChromium(env)).toEqual(expected);
  });

  it('refuses a relative override, naming the variable', () => {
    expect(() => chooseChromium({ EGRESS_TEST_CHROMIUM: 'chromium' })).toThrow(
      'EGRESS_TEST_CHROMIUM=chromium must be an absolute path to a Chromium executable',
    );
  });

  it('refuses an override that does not exist', async () => {
    await expect(resolveChromium({ EGRESS_TEST_CHROMIUM: '/nonexistent/chromium' })).rejects.toThrow(
      'EGRESS_TEST_CHROMIUM=/nonexistent/chromium is not an executable file',
    );
  });

  it('launches an override that exists as it is', async () => {
    expect(await resolveChromium({ EGRESS_TEST_CHROMIUM: process.execPath })).toBe(process.execPath);
  });
});

describe('unpacking the npm-shipped binary', () => {
  let dir: string;
  let fakePackage: ChromiumPackage;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chromium-unpack-'));
    // A stand-in for chromium.br: a script, Brotli-compressed like the real binary.
    fakePackage = { directory: path.join(dir, 'package'), version: '1.2.3' };
    await mkdir(path.join(fakePackage.directory, 'bin'), { recursive: true });
    const script = `#!/bin/sh\necho "fake chromium $*"\n# ${'padding '.repeat(50_000)}\n`;
    await writeFile(path.join(fakePackage.directory, 'bin', 'chromium.br'), brotliCompressSync(script));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes one complete executable when many processes ask at once', async () => {
    const cacheDirectory = path.join(dir, 'cache-concurrent');
    const paths = await Promise.all(
      Array.from({ length: 8 }, () => unpackChromium({ chromiumPackage: fakePackage, cacheDirectory })),
    );
    const expected = path.join(cacheDirectory, 'chromium-1.2.3', 'chromium');
    expect(new Set(paths)).toEqual(new Set([expected]));
    const { stdout } = await run(expected, ['--version']);
    expect(stdout).toBe('fake chromium --version\n');
    expect(await readdir(path.dirname(expected))).toEqual(['chromium']);
  });

  it('unpacks once, then reuses the copy of that version', async () => {
    const cacheDirectory = path.join(dir, 'cache-reuse');
    const first = await unpackChromium({ chromiumPackage: fakePackage, cacheDirectory });
    const written = (await stat(first)).mtimeMs;
    const second = await unpackChromium({ chromiumPackage: fakePackage, cacheDirectory });
    expect(second).toBe(first);
    expect((await stat(second)).mtimeMs).toBe(written);
    const upgraded = await unpackChromium({
      chromiumPackage: { ...fakePackage, version: '1.2.4' },
      cacheDirectory,
    });
    expect(upgraded).toBe(path.join(cacheDirectory, 'chromium-1.2.4', 'chromium'));
  });

  it('removes what a process that died while unpacking left, not what one is writing now', async () => {
    const cacheDirectory = path.join(dir, 'cache-abandoned');
    const versionDirectory = path.join(cacheDirectory, 'chromium-1.2.3');
    await mkdir(versionDirectory, { recursive: true });
    const abandoned = path.join(versionDirectory, 'chromium.1-dead.partial');
    const inProgress = path.join(versionDirectory, 'chromium.2-live.partial');
    await writeFile(abandoned, 'half');
    await writeFile(inProgress, 'half');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(abandoned, hourAgo, hourAgo);
    await unpackChromium({ chromiumPackage: fakePackage, cacheDirectory });
    expect((await readdir(versionDirectory)).sort()).toEqual(['chromium', 'chromium.2-live.partial']);
  });

  it('reports a corrupt archive with its path, and leaves nothing half-written', async () => {
    const broken: ChromiumPackage = { directory: path.join(dir, 'broken'), version: '9.9.9' };
    await mkdir(path.join(broken.directory, 'bin'), { recursive: true });
    await writeFile(path.join(broken.directory, 'bin', 'chromium.br'), 'this is not brotli');
    const cacheDirectory = path.join(dir, 'cache-broken');
    await expect(unpackChromium({ chromiumPackage: broken, cacheDirectory })).rejects.toThrow(
      `could not unpack Chromium from ${path.join(broken.directory, 'bin', 'chromium.br')}`,
    );
    expect(await readdir(path.join(cacheDirectory, 'chromium-9.9.9'))).toEqual([]);
  });
});

/** Command lines of the processes started with this profile directory (Linux /proc). */
async function processesUsing(userDataDir: string): Promise<string[][]> {
  const found: string[][] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').then(
      (text) => text.split('\0').filter(Boolean),
      (): string[] => [],
    );
    if (argv.includes(`--user-data-dir=${userDataDir}`)) found.push(argv);
  }
  return found;
}

describe('the Chromium that npm installed', () => {
  let browser: TestBrowser;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(
        '<!doctype html><title>probe</title><p id="state">waiting</p>' +
          '<button id="go" onclick="document.getElementById(\'state\').textContent = \'clicked\'">go</button>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchBrowser({ env: {}, viewport: { width: 640, height: 480 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('loads a local page, clicks and takes a screenshot', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.click('#go');
    expect(await page.textContent('#state')).toBe('clicked');
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(browser.version).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(browser.executablePath).toMatch(
      /node_modules\/\.cache\/egress-sandbox\/chromium-[\d.]+\/chromium$/,
    );
  });

  it('runs with the project’s flags and a fresh profile, and leaves nothing behind', async () => {
    const [main] = await processesUsing(browser.userDataDir);
    expect(main, 'a Chromium process with this profile').toBeDefined();
    for (const flag of CHROMIUM_FLAGS) expect(main).toContain(flag);
    expect(path.dirname(browser.userDataDir)).toBe(os.tmpdir());

    await browser.close();
    expect(existsSync(browser.userDataDir)).toBe(false);
    await waitFor(async () => (await processesUsing(browser.userDataDir)).length === 0, {
      timeoutMs: 10_000,
      description: 'Chromium processes to exit',
    });
  });
});
