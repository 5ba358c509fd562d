/**
 * The one way browser tests start a browser: headless Chromium from npm (see chromium-binary.ts),
 * with a fresh profile directory per launch that is removed on close. Nothing outside
 * `npm install` is needed, so the browser tests run — never skip — on a fresh machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { resolveChromium } from './chromium-binary.ts';

/**
 * Flags for a quiet, self-contained run: no sandbox (tests may run as root, in containers), no GPU,
 * and nothing that would reach the network on its own (updates, sync, first-run pages).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Options for {@link launchBrowser}. */
export interface BrowserOptions {
  /** Page size for every page. @defaultValue 1280 × 720 (Playwright's) */
  viewport?: { width: number; height: number };
  /** Flags added to {@link CHROMIUM_FLAGS} for this launch, e.g. `--host-resolver-rules=…`. */
  extraArgs?: readonly string[];
  /** Where `EGRESS_TEST_CHROMIUM` is read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Gives up on the launch (Playwright's own deadline) after this long. @defaultValue 60 000 ms */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A running browser with its own profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  readonly executablePath: string;
  /** The fresh `--user-data-dir` of this launch, removed by {@link TestBrowser.close}. */
  readonly userDataDir: string;
  /** Chromium's version, e.g. `143.0.7499.0`. */
  readonly version: string;
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

/** Starts headless Chromium. Close it in `afterAll`; a test file that forgets leaks a process. */
export async function launchBrowser(options: BrowserOptions = {}): Promise<TestBrowser> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`launchBrowser: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  const executablePath = await resolveChromium(options.env ?? process.env, options.signal);
  options.signal?.throwIfAborted();
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'egress-browser-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(options.extraArgs ?? [])],
      timeout: timeoutMs,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(`could not launch Chromium (${executablePath}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    executablePath,
    userDataDir,
    version: context.browser()?.version() ?? 'unknown',
    newPage: () => context.newPage(),
    close: () => {
      closed ??= (async () => {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
