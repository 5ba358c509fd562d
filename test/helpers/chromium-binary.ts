/**
 * Where the browser tests' Chromium comes from: the npm package `@sparticuz/chromium`, which ships a
 * self-contained headless Chromium (it links only libc, libgcc and libexpat) as `bin/chromium.br`.
 * `npm install` is therefore all a machine needs; `EGRESS_TEST_CHROMIUM=/usr/bin/chromium` (any
 * absolute path) uses another build instead.
 *
 * The package's own `executablePath()` is not used: it unpacks to the fixed `/tmp/chromium`
 * whatever the version, and a second process that starts while the first is still writing launches
 * a half-written file (spawn ETXTBSY — Sparticuz/chromium#507). Vitest runs test files in parallel,
 * and several checkouts share /tmp, so the binary is unpacked here instead: into a directory named by
 * the package version under node_modules/.cache (it goes away with node_modules), through a private
 * temporary file that is renamed into place only once complete.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/** The variable naming another Chromium (an absolute path to its executable). */
export const CHROMIUM_OVERRIDE_VARIABLE = 'EGRESS_TEST_CHROMIUM';

/** Which Chromium to launch: the npm-shipped one (the default), or one named by the environment. */
export type ChromiumChoice = { source: 'npm' } | { source: 'override'; executablePath: string };

/** Reads the choice from the environment; a relative path is refused, naming the variable. */
export function chooseChromium(env: NodeJS.ProcessEnv = process.env): ChromiumChoice {
  const override = env[CHROMIUM_OVERRIDE_VARIABLE]?.trim();
  if (!override) return { source: 'npm' };
  if (!path.isAbsolute(override)) {
    throw new Error(
      `${CHROMIUM_OVERRIDE_VARIABLE}=${override} must be an absolute path to a Chromium executable (e.g. /usr/bin/chromium); unset it to use the one npm installed`,
    );
  }
  return { source: 'override', executablePath: override };
}

/** The installed `@sparticuz/chromium` package: its directory and version. */
export interface ChromiumPackage {
  directory: string;
  version: string;
}

/** Finds the installed package (its exports name no package.json, so resolve its entry point). */
export async function findChromiumPackage(): Promise<ChromiumPackage> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  } catch (error) {
    throw new Error('@sparticuz/chromium is not installed: run `npm install` (it is a devDependency)', {
      cause: error,
    });
  }
  // …/node_modules/@sparticuz/chromium/build/cjs/index.cjs
  const directory = path.resolve(path.dirname(entry), '..', '..');
  const manifest = JSON.parse(await readFile(path.join(directory, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  if (manifest.name !== '@sparticuz/chromium') {
    throw new Error(`expected @sparticuz/chromium at ${directory}, found ${manifest.name}`);
  }
  return { directory, version: manifest.version };
}

/**
 * A temporary file not written to for this long was left by a process that died while unpacking
 * (one being written is touched by every chunk); it is removed so the cache does not grow.
 */
const ABANDONED_AFTER_MS = 10 * 60_000;

async function removeAbandonedPartials(directory: string): Promise<void> {
  for (const name of await readdir(directory)) {
    if (!name.endsWith('.partial')) continue;
    const file = path.join(directory, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > ABANDONED_AFTER_MS) await rm(file, { force: true });
  }
}

/** Options for {@link unpackChromium}. */
export interface UnpackOptions {
  /** The package to unpack from. @defaultValue the installed `@sparticuz/chromium` */
  chromiumPackage?: ChromiumPackage;
  /** Where versioned copies live. @defaultValue `node_modules/.cache/egress-sandbox` beside the package */
  cacheDirectory?: string;
  signal?: AbortSignal;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of the package's Chromium, unpacked on first use (a few seconds; about 190 MB). Safe
 * when several processes call it at once: each writes its own temporary file, and the rename that
 * publishes a complete binary is atomic, so no caller ever sees a partial one.
 */
export async function unpackChromium(options: UnpackOptions = {}): Promise<string> {
  const chromiumPackage = options.chromiumPackage ?? (await findChromiumPackage());
  const cacheDirectory =
    options.cacheDirectory ?? path.resolve(chromiumPackage.directory, '..', '..', '.cache', 'egress-sandbox');
  const directory = path.join(cacheDirectory, `chromium-${chromiumPackage.version}`);
  const executable = path.join(directory, 'chromium');
  if (await isExecutable(executable)) return executable;

  const source = path.join(chromiumPackage.directory, 'bin', 'chromium.br');
  await mkdir(directory, { recursive: true });
  await removeAbandonedPartials(directory);
  const partial = path.join(directory, `chromium.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  try {
    await pipeline(
      createReadStream(source),
      createBrotliDecompress(),
      createWriteStream(partial, { mode: 0o755 }),
      { signal: options.signal },
    );
    await rename(partial, executable);
  } catch (error) {
    await rm(partial, { force: true });
    throw new Error(
      `could not unpack Chromium from ${source} into ${directory}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return executable;
}

/** The executable to launch, per {@link chooseChromium}; an override that does not exist is an error. */
export async function resolveChromium(
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<string> {
  const choice = chooseChromium(env);
  if (choice.source === 'npm') return unpackChromium(signal ? { signal } : {});
  if (!(await isExecutable(choice.executablePath))) {
    throw new Error(
      `${CHROMIUM_OVERRIDE_VARIABLE}=${choice.executablePath} is not an executable file; unset it to use the Chromium that npm installed`,
    );
  }
  return choice.executablePath;
}
