import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const sourceRoot = path.join(root, 'src');

/** Module specifiers of static imports, re-exports and dynamic imports in `text`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(
    /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
  ))
    found.push(match[1] ?? match[2] ?? match[3]!);
  return found;
}

/** Imports of `file` (whose text is `text`) that reach into a src/ module other than its public index.ts. */
function privateImports(file: string, text: string): string[] {
  return specifiers(text).filter((specifier) => {
    if (!specifier.startsWith('.')) return false;
    const target = path.resolve(path.dirname(file), specifier);
    const inSource = target.startsWith(`${sourceRoot}${path.sep}`);
    return inSource && path.basename(target) !== 'index.ts';
  });
}

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(directory, name));
}

describe('stubs use only the public index.ts of src/ modules', () => {
  const stubFile = path.join(root, 'stubs', 'nifi', 'example.ts');

  it.each([
    ["import { createS3Client } from '../../src/aws/clients.ts';", ['../../src/aws/clients.ts']],
    ["import type { Logger } from '../../src/logging/logger.ts';", ['../../src/logging/logger.ts']],
    [
      "export { shortKeyHash } from '../../src/egress/crypto/key-hash.ts';",
      ['../../src/egress/crypto/key-hash.ts'],
    ],
    ["const m = await import('../../src/tls/certificates.ts');", ['../../src/tls/certificates.ts']],
    ["import '../../src/edge/edge.ts';", ['../../src/edge/edge.ts']],
    ["import { createS3Client } from '../../src/aws/index.ts';", []],
    ["import { decodeStrictBase64 } from '../../src/egress/crypto/index.ts';", []],
    ["import { checkFilename } from './validation.ts';", []],
    ["import express from 'express';", []],
  ])('the check reads %s as %j', (text, expected) => {
    expect(privateImports(stubFile, text)).toEqual(expected);
  });

  const files = typeScriptFiles(path.join(root, 'stubs'));

  it('finds the stubs', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [path.relative(root, file), file]))('%s', (_name, file) => {
    expect(privateImports(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});
