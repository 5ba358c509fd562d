/**
 * The text layer of the original configuration: `<#include "file">` splicing (the agent's
 * FreeMarker include) and `${var}` substitution (Terraform `templatefile` variables). Pure
 * functions over text; reading the files is the caller's job, so this is unit-tested without I/O.
 * Every output line remembers the file and line it came from, so later errors can name both.
 */

/** Where one line of the assembled text came from. */
export interface SourceLine {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
}

/** Text assembled from one or more files, with a per-line origin map. */
export interface AssembledText {
  text: string;
  /** `lines[i]` is the origin of line `i + 1` of `text`. */
  lines: SourceLine[];
}

/** An `<#include "…">` directive alone on its line (indentation allowed). */
const INCLUDE = /^([ \t]*)<#include\s+"([^"]+)"\s*>[ \t]*$/;

/** Reads an included file: gets the including file and the name as written, returns path and text. */
export type IncludeReader = (from: string, name: string) => { file: string; text: string };

/** A template problem (undefined variable, unreadable include), with the file and line it is on. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    readonly origin: SourceLine,
  ) {
    super(`${origin.file}:${origin.line}: ${message}`);
  }
}

/**
 * Splices includes recursively. An included file's lines are indented like the directive, so an
 * include inside a mapping still nests; the original puts it at column 0.
 */
export function spliceIncludes(
  file: string,
  text: string,
  read: IncludeReader,
  stack: string[] = [],
): AssembledText {
  if (stack.includes(file)) {
    throw new Error(`include cycle: ${[...stack, file].join(' → ')}`);
  }
  const out: string[] = [];
  const lines: SourceLine[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const include = INCLUDE.exec(content);
    if (!include) {
      out.push(content);
      lines.push({ file, line: index + 1 });
      return;
    }
    const [, indent = '', name = ''] = include;
    let included: { file: string; text: string };
    try {
      included = read(file, name);
    } catch (error) {
      throw new TemplateError(`cannot include "${name}": ${(error as Error).message}`, {
        file,
        line: index + 1,
      });
    }
    const nested = spliceIncludes(included.file, included.text, read, [...stack, file]);
    for (const [i, nestedLine] of nested.text.split('\n').entries()) {
      out.push(nestedLine.length > 0 ? indent + nestedLine : nestedLine);
      lines.push(nested.lines[i]!);
    }
  });
  return { text: out.join('\n'), lines };
}

/**
 * Replaces `${name}` with `variables[name]`, like Terraform's `templatefile`: an undefined name
 * is an error that names it and its line; `$${` is a literal `${`. `$1` (a rename group) is not a
 * template reference and is left alone.
 */
export function substituteVariables(
  assembled: AssembledText,
  variables: Readonly<Record<string, string | undefined>>,
): AssembledText {
  const text = assembled.text
    .split('\n')
    .map((line, index) =>
      line.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escaped: string, name: string) => {
        if (escaped) return whole.slice(1);
        const key = name.trim();
        const value = Object.hasOwn(variables, key) ? variables[key] : undefined;
        if (value === undefined) {
          throw new TemplateError(
            `template variable \${${key}} is not defined (pass it with --var ${key}=… or the environment)`,
            assembled.lines[index] ?? { file: '<unknown>', line: index + 1 },
          );
        }
        return value;
      }),
    )
    .join('\n');
  return { text, lines: assembled.lines };
}
