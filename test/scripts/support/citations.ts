/**
 * Citations of docs/reference/egress-behaviour.md (`behaviour §3.3`, `behaviour §4.2, §7.3`,
 * `behaviour §10.3–4`) and the section numbers its headings define. Pure: text in, findings out.
 */

/** A citation that does not resolve, or the old form that cited a document outside the repository. */
export interface CitationProblem {
  /** 1-based line number. */
  line: number;
  /** What is wrong, naming the section. */
  reason: string;
}

/** `## 4. Encryption` → `4`; `### 10.13 Compression suffix` → `10.13`. */
const SECTION_HEADING = /^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/;

/** The section numbers defined by the reference's headings. */
export function sectionsOf(reference: string): Set<string> {
  const sections = new Set<string>();
  for (const line of reference.split('\n')) {
    const match = SECTION_HEADING.exec(line);
    if (match?.[1]) sections.add(match[1]);
  }
  return sections;
}

const NUMBER = String.raw`\d+(?:\.\d+)*`;
/** A chain after the first number: `, §7.3`, `/§3.2`, ` and §5`, or a range end `–4` / `–§7`. */
const CONTINUATION = String.raw`(?:\s*(?:,|/|and)\s*§${NUMBER}|\s*[–-]\s*§?${NUMBER})`;

/** `behaviour §N…` with its chain; `bare` also accepts a lone `§N…` (inside the reference itself). */
function citationPattern(bare: boolean): RegExp {
  const lead = bare ? String.raw`(?:\bbehaviour\s+)?§` : String.raw`\bbehaviour\s+§`;
  return new RegExp(`${lead}(${NUMBER})((?:${CONTINUATION})*)`, 'gi');
}

/** The old form: the word "spec" before a section sign. */
const OLD_FORM = /\bspec\s+§/i;

/** Every section a citation chain names: `10.3–4` → `10.3`, `10.4`; `1–§3` → `1`, `3`. */
export function citedSections(first: string, chain: string): string[] {
  const cited = [first];
  const part = new RegExp(String.raw`([,/–-]|and)\s*(§?)(${NUMBER})`, 'g');
  for (const [, joiner, sign, number] of chain.matchAll(part)) {
    if (!number) continue;
    const previous = cited[cited.length - 1] ?? first;
    const isShortRangeEnd = (joiner === '–' || joiner === '-') && !sign;
    // `10.3–4`: the bare end replaces the last component of the start.
    cited.push(isShortRangeEnd ? [...previous.split('.').slice(0, -1), number].join('.') : number);
  }
  return cited;
}

/**
 * The problems of one file's text: the old citation form, and `behaviour §…` citations whose section
 * has no heading. With `bare`, a lone `§N` counts as a citation too (used for the reference itself).
 */
export function citationProblems(
  text: string,
  sections: ReadonlySet<string>,
  options: { bare?: boolean } = {},
): CitationProblem[] {
  const problems: CitationProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((content, index) => {
    const line = index + 1;
    if (OLD_FORM.test(content)) {
      problems.push({
        line,
        reason: 'cites "spec §…", a document outside the repository; cite behaviour §…',
      });
    }
    for (const [, first, chain] of content.matchAll(citationPattern(options.bare ?? false))) {
      if (!first) continue;
      for (const section of citedSections(first, chain ?? '')) {
        if (!sections.has(section)) {
          problems.push({
            line,
            reason: `cites behaviour §${section}, which has no heading in egress-behaviour.md`,
          });
        }
      }
    }
  });
  return problems;
}

/** `## sandbox.json` → `sandboxjson`; `### Paths outside sftRoot` → `paths-outside-sftroot` (GitHub's rule). */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const ANY_HEADING = /^#{1,6}\s+(.+?)\s*#*\s*$/;

/** The anchors of a markdown document's headings (code blocks skipped). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const match = inCode ? null : ANY_HEADING.exec(line);
    if (match?.[1]) anchors.add(anchorOf(match[1]));
  }
  return anchors;
}

/** The design document's numbered sections, which live outside the repository. */
const DESIGN_FORM = /\bARCHITECTURE(?:\.md)?\s+§/;
/** `contracts.md#sandboxjson`, with or without the `docs/reference/` before it. */
const CONTRACT_CITATION = /\bcontracts\.md#([\w-]+)/g;

/**
 * The problems of one file's citations of docs/reference/contracts.md: the `ARCHITECTURE §…` form,
 * which cited a design document outside the repository, and `contracts.md#anchor` citations whose
 * anchor is not a heading of contracts.md.
 */
export function contractCitationProblems(text: string, anchors: ReadonlySet<string>): CitationProblem[] {
  const problems: CitationProblem[] = [];
  text.split('\n').forEach((content, index) => {
    const line = index + 1;
    if (DESIGN_FORM.test(content)) {
      problems.push({
        line,
        reason:
          'cites "ARCHITECTURE §…", a design document outside the repository; cite docs/reference/contracts.md#…',
      });
    }
    for (const [, anchor] of content.matchAll(CONTRACT_CITATION)) {
      if (anchor && !anchors.has(anchor)) {
        problems.push({ line, reason: `cites contracts.md#${anchor}, which has no heading in contracts.md` });
      }
    }
  });
  return problems;
}
