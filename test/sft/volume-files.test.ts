import { execFileSync } from 'node:child_process';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPrivateFile,
  ensureDirectoryBelowRoot,
  openRegularFile,
  readRange,
  renameInPlace,
  SftPathRefusedError,
  unlinkInPlace,
} from '../../src/sft/volume/index.ts';

/*
 * The SFT volume's file-system checks, with real links, FIFOs and hard links. Each test gets a
 * parent directory holding `root/` and an `outside/` folder that links point at.
 */

let base: string;
let root: string;
let outside: string;
let previousUmask: number;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'sft-volume-'));
  // Modes must not depend on the umask: with 000, anything not asked for explicitly shows.
  previousUmask = process.umask(0);
});
afterAll(async () => {
  process.umask(previousUmask);
  await rm(base, { recursive: true, force: true });
});
let counter = 0;
beforeEach(async () => {
  counter += 1;
  root = path.join(base, `case-${counter}`, 'root');
  outside = path.join(base, `case-${counter}`, 'outside');
  await mkdir(root, { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'victim.csv'), 'victim');
});
afterEach(async () => {
  // Nothing may ever be created in or removed from the outside folder.
  expect(await readFile(path.join(outside, 'victim.csv'), 'utf8')).toBe('victim');
});

const mode = async (entry: string) => (await stat(entry)).mode & 0o777;

describe('ensureDirectoryBelowRoot', () => {
  it('creates missing levels 0700 (umask 000) and returns the real path', async () => {
    const made = await ensureDirectoryBelowRoot(root, path.join(root, 'a/b/c'), { create: true });
    expect(made).toBe(path.join(root, 'a/b/c'));
    for (const level of ['a', 'a/b', 'a/b/c']) expect(await mode(path.join(root, level))).toBe(0o700);
  });

  it('reaches the root through a link (the operator may configure one)', async () => {
    const alias = path.join(path.dirname(root), 'alias');
    await symlink(root, alias);
    expect(await ensureDirectoryBelowRoot(alias, path.join(alias, 'x'), { create: true })).toBe(
      path.join(root, 'x'),
    );
  });

  it.each([
    [
      'the directory itself links outside',
      'sas',
      'sas',
      /would leave the SFT root through the symbolic link/,
    ],
    ['a level above links outside', 'data-egress', 'data-egress/sas', /would leave the SFT root/],
    ['a level above links outside, deeper', 'data-egress', 'data-egress/a/b/c', /would leave the SFT root/],
  ])(
    'refuses a link at any level: %s (nothing is created beyond it)',
    async (_what, linkAt, wanted, reason) => {
      await symlink(outside, path.join(root, linkAt));
      const attempt = ensureDirectoryBelowRoot(root, path.join(root, wanted), { create: true });
      await expect(attempt).rejects.toBeInstanceOf(SftPathRefusedError);
      await expect(attempt).rejects.toThrow(reason);
      expect(await lstat(path.join(outside, 'a')).catch(() => undefined)).toBeUndefined();
      expect(await lstat(path.join(outside, 'sas')).catch(() => undefined)).toBeUndefined();
    },
  );

  it('refuses a link that stays inside the root too: no link at any level below the root', async () => {
    await mkdir(path.join(root, 'real'));
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    await expect(
      ensureDirectoryBelowRoot(root, path.join(root, 'alias/x'), { create: true }),
    ).rejects.toThrow(/goes through the symbolic link .*alias; links below the SFT root are refused/);
    expect(await lstat(path.join(root, 'real/x')).catch(() => undefined)).toBeUndefined();
  });

  it('refuses a path that is lexically outside the root, and a regular file as a level', async () => {
    await expect(ensureDirectoryBelowRoot(root, outside, { create: false })).rejects.toThrow(
      /would leave the SFT root/,
    );
    await writeFile(path.join(root, 'file'), 'x');
    await expect(
      ensureDirectoryBelowRoot(root, path.join(root, 'file/x'), { create: true }),
    ).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('without create, a missing level is ENOENT', async () => {
    await expect(
      ensureDirectoryBelowRoot(root, path.join(root, 'missing'), { create: false }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('openRegularFile', () => {
  it('opens a regular file and reads a range through the handle', async () => {
    await mkdir(path.join(root, 'sas'));
    await writeFile(path.join(root, 'sas/data.csv'), '0123456789');
    const opened = await openRegularFile(root, path.join(root, 'sas/data.csv'));
    try {
      const read = async (start: number, end: number) => {
        const chunks: Buffer[] = [];
        for await (const chunk of readRange(opened, start, end)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString();
      };
      expect(await read(2, 4)).toBe('234');
      // A destroyed stream leaves the handle open for the next attempt.
      readRange(opened, 0, 9).destroy();
      expect(await read(0, 9)).toBe('0123456789');
    } finally {
      await opened.handle.close();
    }
  });

  it.each([
    [
      'a link as the file',
      async () => symlink(path.join(outside, 'victim.csv'), path.join(root, 'sas/data.csv')),
      /is a symbolic link/,
    ],
    [
      'a link as its directory',
      async () => {
        await rm(path.join(root, 'sas'), { recursive: true });
        await writeFile(path.join(outside, 'data.csv'), 'outside');
        await symlink(outside, path.join(root, 'sas'));
      },
      /symbolic link/,
    ],
    [
      'a FIFO (opened without blocking, then refused)',
      async () => execFileSync('mkfifo', [path.join(root, 'sas/data.csv')]),
      /not a regular file/,
    ],
    [
      'a second hard link (one may be outside)',
      async () => link(path.join(outside, 'victim.csv'), path.join(root, 'sas/data.csv')),
      /has 2 hard links/,
    ],
  ])('refuses %s', async (_what, plant, reason) => {
    await mkdir(path.join(root, 'sas'));
    await plant();
    await expect(openRegularFile(root, path.join(root, 'sas/data.csv'))).rejects.toThrow(reason);
    await rm(path.join(outside, 'data.csv'), { force: true });
  });
});

describe('createPrivateFile, renameInPlace, unlinkInPlace', () => {
  it('creates 0600 (umask 000), exclusively, in a directory it creates 0700', async () => {
    const file = path.join(root, 'new/dir/.data.partial');
    const created = await createPrivateFile(root, file);
    await created.handle.writeFile('data');
    await created.handle.close();
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.join(root, 'new/dir'))).toBe(0o700);
    await expect(createPrivateFile(root, file)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('does not create through a link where the file goes (O_EXCL | O_NOFOLLOW)', async () => {
    await symlink(path.join(outside, 'created.csv'), path.join(root, 'planted'));
    await expect(createPrivateFile(root, path.join(root, 'planted'))).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await lstat(path.join(outside, 'created.csv')).catch(() => undefined)).toBeUndefined();
  });

  it('renames and unlinks only the file it opened, never through a directory swapped for a link', async () => {
    await mkdir(path.join(root, 'sas'));
    await writeFile(path.join(root, 'sas/a.csv'), 'a');
    const opened = await openRegularFile(root, path.join(root, 'sas/a.csv'));
    await opened.handle.close();
    // The directory is swapped for a link to the outside folder, which has a file of that name.
    await rename(path.join(root, 'sas'), path.join(root, 'sas-old'));
    await writeFile(path.join(outside, 'a.csv'), 'outside a');
    await symlink(outside, path.join(root, 'sas'));
    await expect(unlinkInPlace(root, path.join(root, 'sas/a.csv'), opened.stats)).rejects.toBeInstanceOf(
      SftPathRefusedError,
    );
    await expect(
      renameInPlace(root, path.join(root, 'sas/a.csv'), path.join(root, 'b.csv'), opened.stats),
    ).rejects.toBeInstanceOf(SftPathRefusedError);
    expect(await readFile(path.join(outside, 'a.csv'), 'utf8')).toBe('outside a');
    await rm(path.join(outside, 'a.csv'));
  });

  it('does not unlink a file replaced by another of the same name', async () => {
    await writeFile(path.join(root, 'a.csv'), 'first');
    const opened = await openRegularFile(root, path.join(root, 'a.csv'));
    await opened.handle.close();
    await writeFile(path.join(root, 'a.csv.new'), 'second');
    await rename(path.join(root, 'a.csv.new'), path.join(root, 'a.csv'));
    await expect(unlinkInPlace(root, path.join(root, 'a.csv'), opened.stats)).rejects.toThrow(/was replaced/);
    expect(await readFile(path.join(root, 'a.csv'), 'utf8')).toBe('second');
  });
});
