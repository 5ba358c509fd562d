/**
 * The README's feature list: one row per behaviour, naming the scenario
 * that shows it. A row whose scenario does not exist (renamed, deleted) fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FEATURES = path.join(ROOT, 'features');

interface Row {
  behaviour: string;
  feature: string;
  scenario: string;
}

function tableRows(): Row[] {
  const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((line) => /^\|\s*Behaviour\s*\|/.test(line));
  expect(start, 'README.md has a table with a Behaviour column').toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    expect(cells, line).toHaveLength(3);
    rows.push({ behaviour: cells[0]!, feature: cells[1]!, scenario: cells[2]! });
  }
  return rows;
}

function scenarioNames(feature: string): string[] {
  return readFileSync(path.join(FEATURES, feature), 'utf8')
    .split('\n')
    .map((line) => /^\s*Scenario(?: Outline)?:\s*(.+?)\s*$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

const rows = tableRows();

describe('the feature list in README.md', () => {
  it('lists behaviours', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each(rows)('$behaviour → $feature: $scenario', ({ feature, scenario }) => {
    expect(existsSync(path.join(FEATURES, feature)), `features/${feature} exists`).toBe(true);
    expect(scenarioNames(feature)).toContain(scenario);
  });

  it('names every feature file at least once', () => {
    const listed = new Set(rows.map((row) => row.feature));
    const files = readdirSync(FEATURES).filter((file) => file.endsWith('.feature'));
    expect(
      files.filter((file) => !listed.has(file)),
      'feature files without a row in the README',
    ).toEqual([]);
  });
});
