import { readFileSync } from 'node:fs';
import { recordsFromItems } from '../../../src/rule-tools/index.ts';

/** The original deployment's 97 routing rules, as the sandbox seeds them. */
export const DEPLOYED_RULES = recordsFromItems(
  JSON.parse(readFileSync('config/rules/routing-items.json', 'utf8')) as unknown[],
  'routing-items.json',
);
