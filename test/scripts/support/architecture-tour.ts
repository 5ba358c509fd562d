/**
 * docs/ARCHITECTURE.md against the tree: which folders the tour must describe, which ones its
 * headings name, and what does not match. Pure: file lists and text in, problems out.
 */

/** A heading of the tour that names a folder: `### \`src/egress/\``. */
export interface FolderHeading {
  folder: string;
  /** 1-based line number in the tour. */
  line: number;
}

/** Parents whose direct sub-folders each need their own paragraph. */
export const DESCRIBED_PARENTS = ['src', 'stubs'] as const;

const FOLDER_HEADING = /^#{2,4}\s+`([^`]+?)\/?`\s*$/;

/** The folders the tour's headings name, without their trailing `/`. */
export function folderHeadings(tour: string): FolderHeading[] {
  const headings: FolderHeading[] = [];
  tour.split('\n').forEach((text, index) => {
    const folder = FOLDER_HEADING.exec(text)?.[1];
    if (folder) headings.push({ folder, line: index + 1 });
  });
  return headings;
}

/** Every folder that holds a file of the tree (`src/egress/crypto` gives `src`, `src/egress`, …). */
export function foldersOf(files: readonly string[]): Set<string> {
  const folders = new Set<string>();
  for (const file of files) {
    const parts = file.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) folders.add(parts.slice(0, depth).join('/'));
  }
  return folders;
}

/** The folders that need a paragraph: every root folder, and each folder directly under the parents. */
export function requiredFolders(folders: ReadonlySet<string>): string[] {
  return [...folders]
    .filter((folder) => {
      const parts = folder.split('/');
      return (
        parts.length === 1 ||
        (parts.length === 2 && (DESCRIBED_PARENTS as readonly string[]).includes(parts[0] ?? ''))
      );
    })
    .sort();
}

/** A missing paragraph, or a heading naming a folder that is not in the tree. */
export function tourProblems(tour: string, files: readonly string[]): string[] {
  const folders = foldersOf(files);
  const headings = folderHeadings(tour);
  const described = new Set(headings.map((heading) => heading.folder));
  const problems: string[] = [];
  for (const folder of requiredFolders(folders)) {
    if (!described.has(folder)) problems.push(`${folder}/ has no heading in the tour`);
  }
  for (const { folder, line } of headings) {
    if (!folders.has(folder))
      problems.push(`line ${line}: heading names ${folder}/, which is not in the tree`);
  }
  return problems;
}
