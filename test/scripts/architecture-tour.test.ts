/**
 * docs/ARCHITECTURE.md gives one paragraph per folder — every root folder and every folder directly
 * under src/ and stubs/ — and names no folder that is not in the tree.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderHeadings, foldersOf, requiredFolders, tourProblems } from './support/architecture-tour.ts';
import { REPO_ROOT, repoFiles } from './support/repo-files.ts';

const TOUR = readFileSync(path.join(REPO_ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

describe('the architecture tour', () => {
  it('has a heading for every folder it must describe, and only for folders of the tree', () => {
    const files = repoFiles();
    expect(requiredFolders(foldersOf(files))).toEqual(
      expect.arrayContaining(['src', 'src/egress', 'stubs/dks', 'test']),
    );
    expect(tourProblems(TOUR, files)).toEqual([]);
  });
});

describe('the tour checker', () => {
  const files = [
    'README.md',
    'bench/run.ts',
    'src/egress/service.ts',
    'src/egress/crypto/aes.ts',
    'stubs/dks/app.ts',
  ];

  it('asks for root folders and the folders directly under src/ and stubs/, not deeper ones', () => {
    expect(requiredFolders(foldersOf(files))).toEqual(['bench', 'src', 'src/egress', 'stubs', 'stubs/dks']);
  });

  it('reads folder headings with or without the trailing slash, and ignores other headings', () => {
    const tour = '# Tour\n## Folders at the root\n### `bench/`\ntext `src/` in prose\n#### `src/egress`';
    expect(folderHeadings(tour)).toEqual([
      { folder: 'bench', line: 3 },
      { folder: 'src/egress', line: 5 },
    ]);
  });

  it('names a folder without a paragraph, and a heading whose folder is gone', () => {
    const tour = [
      '### `bench/`',
      '### `src/`',
      '### `src/egress/`',
      '### `stubs/`',
      '### `src/retired/`',
    ].join('\n');
    expect(tourProblems(tour, files)).toEqual([
      'stubs/dks/ has no heading in the tour',
      'line 5: heading names src/retired/, which is not in the tree',
    ]);
  });
});
