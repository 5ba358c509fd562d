import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Environment, environmentSchema } from './environment.ts';

/** An environment file that cannot be used; the message names the file, line, path and field. */
export class EnvironmentFileError extends Error {
  override readonly name = 'EnvironmentFileError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
  }
}

/** A loaded environment plus the resolved routing items of each table. */
export interface LoadedEnvironment {
  file: string;
  environment: Environment;
  /** Items per table name, aliases applied, `_`-prefixed annotation fields removed. */
  items: Map<string, Record<string, unknown>[]>;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index ? '.' : ''}${String(segment)}`,
    )
    .join('');
}

function describeIssues(
  issues: z.core.$ZodIssue[],
  locate: (segments: readonly PropertyKey[]) => string,
): string[] {
  return issues.map((issue) => {
    const where = issue.path.length ? formatPath(issue.path) : '(top level)';
    return `${locate(issue.path)}${where}: ${issue.message}`;
  });
}

/** Applies bucket aliases and drops annotation fields (`_resource`, `_note`, …). */
export function normaliseItem(
  item: Record<string, unknown>,
  aliases: Record<string, string> = {},
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('_')) continue;
    result[name] =
      (name === 'source_bucket' || name === 'destination_bucket') &&
      typeof value === 'string' &&
      aliases[value]
        ? aliases[value]
        : value;
  }
  return result;
}

async function loadItems(file: string, baseDir: string): Promise<unknown> {
  const absolute = path.resolve(baseDir, file);
  try {
    return JSON.parse(await readFile(absolute, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read routing items from ${absolute}: ${(error as Error).message}`);
  }
}

/** Parses and validates an environment document (YAML or JSON text). */
export async function parseEnvironment(text: string, file: string): Promise<LoadedEnvironment> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length) {
    throw new EnvironmentFileError(
      file,
      document.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const locate = (segments: readonly PropertyKey[]): string => {
    for (let length = segments.length; length >= 0; length--) {
      const node = document.getIn(segments.slice(0, length) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node && typeof node === 'object' && node.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        return `line ${line}, column ${col}: `;
      }
    }
    return '';
  };
  return environmentFromObject(document.toJS() ?? {}, file, locate);
}

/**
 * Validates an environment given as an object (what a parsed file holds), reads its item files
 * relative to `file`'s folder and resolves its items. `locate` prefixes a problem with its position
 * in the source text, when there is one.
 */
export async function environmentFromObject(
  raw: unknown,
  file: string,
  locate: (segments: readonly PropertyKey[]) => string = () => '',
): Promise<LoadedEnvironment> {
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) throw new EnvironmentFileError(file, describeIssues(parsed.error.issues, locate));

  const items = new Map<string, Record<string, unknown>[]>();
  const problems: string[] = [];
  for (const [index, table] of parsed.data.tables.entries()) {
    if (!table.items) continue;
    const collected: Record<string, unknown>[] = [];
    if (table.items.file) {
      try {
        const fromFile = await loadItems(table.items.file, path.dirname(file));
        if (!Array.isArray(fromFile)) throw new Error('the file must hold a JSON array of items');
        fromFile.forEach((item, itemIndex) => {
          if (item === null || typeof item !== 'object' || Array.isArray(item)) {
            problems.push(
              `tables[${index}].items.file ${table.items?.file} [${itemIndex}]: an item must be an object`,
            );
          } else collected.push(item as Record<string, unknown>);
        });
      } catch (error) {
        problems.push(
          `${locate(['tables', index, 'items', 'file'])}tables[${index}].items.file: ${(error as Error).message}`,
        );
      }
    }
    collected.push(...(table.items.inline ?? []));
    const keyed = collected.map((item) => normaliseItem(item, table.items?.bucketAliases));
    keyed.forEach((item, itemIndex) => {
      for (const key of [table.hashKey, table.rangeKey]) {
        if (key && typeof item[key] !== 'string') {
          problems.push(`tables[${index}] item ${itemIndex}: key attribute '${key}' must be a string`);
        }
      }
    });
    items.set(table.name, keyed);
  }
  if (problems.length) throw new EnvironmentFileError(file, problems);
  return { file, environment: parsed.data, items };
}

/** Reads, parses and validates an environment file. */
export async function loadEnvironmentFile(file: string): Promise<LoadedEnvironment> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new EnvironmentFileError(absolute, [
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    ]);
  }
  return parseEnvironment(text, absolute);
}
