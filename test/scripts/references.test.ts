/**
 * Every `behaviour §…` citation in the repository's .ts, .feature and .md files names a section that
 * docs/reference/egress-behaviour.md has a heading for, every `contracts.md#…` citation an anchor of
 * docs/reference/contracts.md, and the old forms that cited documents outside the repository
 * (`spec §…`, `ARCHITECTURE §…`) do not come back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchorOf,
  anchorsOf,
  citationProblems,
  citedSections,
  contractCitationProblems,
  sectionsOf,
} from './support/citations.ts';
import { REPO_ROOT, repoFiles } from './support/repo-files.ts';

const REFERENCE = 'docs/reference/egress-behaviour.md';
const CONTRACTS = 'docs/reference/contracts.md';
const CITING_FILE = /\.(ts|feature|md)$/;
/** The checker and its test quote broken citations on purpose. */
const CHECKER_FILES = new Set(['test/scripts/references.test.ts', 'test/scripts/support/citations.ts']);

const sections = sectionsOf(readFileSync(path.join(REPO_ROOT, REFERENCE), 'utf8'));
const contractAnchors = anchorsOf(readFileSync(path.join(REPO_ROOT, CONTRACTS), 'utf8'));
/** Files to check: all of them, or the ones named (comma-separated) in CITATIONS_FILES. */
const onlyFiles = process.env.CITATIONS_FILES?.split(',').filter(Boolean);

describe('citations of the behavioural reference', () => {
  it('reads the numbered headings of the reference', () => {
    for (const section of ['1', '1.2', '2.1', '4.6', '9', '10', '10.1', '10.13', '10.29']) {
      expect(sections, section).toContain(section);
    }
  });

  it('resolves every citation in the repository', () => {
    const problems: string[] = [];
    const files =
      onlyFiles ?? repoFiles().filter((file) => CITING_FILE.test(file) && !CHECKER_FILES.has(file));
    if (!onlyFiles) expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      const inReference = file === REFERENCE;
      for (const { line, reason } of citationProblems(text, sections, { bare: inReference })) {
        problems.push(`${file}:${line}: ${reason}`);
      }
      for (const { line, reason } of contractCitationProblems(text, contractAnchors)) {
        problems.push(`${file}:${line}: ${reason}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('citations of the contracts', () => {
  it('reads the anchors of the contracts', () => {
    for (const anchor of [
      'commands',
      'sandboxjson',
      'wire-compatibility',
      'dks-api',
      'sft-paths',
      'clarifications',
    ]) {
      expect(contractAnchors, anchor).toContain(anchor);
    }
  });

  it('makes anchors as GitHub does', () => {
    expect(anchorOf('sandbox.json')).toBe('sandboxjson');
    expect(anchorOf('Paths outside sftRoot')).toBe('paths-outside-sftroot');
    expect(anchorOf('`s3:TestEvent` messages')).toBe('s3testevent-messages');
  });

  it('accepts citations of existing anchors, with or without the folder', () => {
    const anchors = new Set(['sandboxjson', 'sft-paths']);
    const text = 'see docs/reference/contracts.md#sandboxjson\n(contracts.md#sft-paths, behaviour §3.5)';
    expect(contractCitationProblems(text, anchors)).toEqual([]);
  });

  it('names the line of a citation whose anchor has no heading', () => {
    const anchors = new Set(['sandboxjson']);
    expect(
      contractCitationProblems('ok contracts.md#sandboxjson\nbad contracts.md#sandbox-json', anchors),
    ).toEqual([{ line: 2, reason: 'cites contracts.md#sandbox-json, which has no heading in contracts.md' }]);
  });

  it('refuses the form that cited the design document outside the repository', () => {
    const reason =
      'cites "ARCHITECTURE §…", a design document outside the repository; cite docs/reference/contracts.md#…';
    for (const oldForm of [['ARCHI', 'TECTURE §3.2'].join(''), ['ARCHI', 'TECTURE.md §5'].join('')]) {
      expect(contractCitationProblems(`x\n// (${oldForm})`, new Set())).toEqual([{ line: 2, reason }]);
    }
  });

  it('leaves the folder tour and plain mentions of the design alone', () => {
    expect(contractCitationProblems('see docs/ARCHITECTURE.md for the layout', new Set())).toEqual([]);
  });
});

describe('the citation checker', () => {
  const known = new Set(['1', '3', '3.2', '4.2', '7.3', '10', '10.3', '10.4']);

  it('accepts citations of existing sections, chains and ranges', () => {
    const text = [
      'see behaviour §3.2 step 4',
      '(behaviour §4.2, §7.3)',
      'behaviour §10.3–4 and behaviour §1–§3',
      'behaviour §10, docs/reference',
      'Behaviour §3 at the start of a sentence',
    ].join('\n');
    expect(citationProblems(text, known)).toEqual([]);
  });

  it('names the line of a citation whose section has no heading', () => {
    const text = 'fine: behaviour §3.2\n// wrong: behaviour §4.2, §7.9\nbehaviour §10.3–5';
    expect(citationProblems(text, known)).toEqual([
      { line: 2, reason: 'cites behaviour §7.9, which has no heading in egress-behaviour.md' },
      { line: 3, reason: 'cites behaviour §10.5, which has no heading in egress-behaviour.md' },
    ]);
  });

  it('refuses the old form that cited a document outside the repository', () => {
    const oldForm = ['sp', 'ec §3.2'].join('');
    expect(citationProblems(`x\n// ${oldForm}`, known)).toEqual([
      { line: 2, reason: 'cites "spec §…", a document outside the repository; cite behaviour §…' },
    ]);
  });

  it('checks bare section signs only where asked (inside the reference)', () => {
    expect(citationProblems('see §8', known)).toEqual([]);
    expect(citationProblems('see §8', known, { bare: true })).toHaveLength(1);
  });

  it('expands chains and short ranges', () => {
    expect(citedSections('10.18', '–19')).toEqual(['10.18', '10.19']);
    expect(citedSections('1', '–§3 and §5')).toEqual(['1', '3', '5']);
    expect(citedSections('1.3', '/§3.2')).toEqual(['1.3', '3.2']);
  });
});
