import { describe, expect, it } from 'vitest';
import { RoutingItemValidator } from '../../src/egress/rules/item-validator.ts';
import { parseRoutingItems } from '../../src/egress/rules/schema.ts';
import { routingItem } from './support/rules.ts';

describe('RoutingItemValidator (validation remembered by item content)', () => {
  const items = [
    routingItem({ pipeline_name: 'A' }),
    routingItem({ pipeline_name: 'BAD', decrypt: 'true' }),
    routingItem({ pipeline_name: 'SET', decrypt: new Set(['x']) }),
    routingItem({ pipeline_name: 'BIG', compress: 10n }),
    routingItem({ pipeline_name: 'B', compress: true, compress_fmt: 'gz' }),
  ];

  it('gives exactly what validating every item gives, scan after scan', () => {
    const validator = new RoutingItemValidator();
    const expected = parseRoutingItems(items);
    expect(validator.parse(items)).toEqual(expected);
    expect(validator.parse(items.map((item) => ({ ...item })))).toEqual(expected);
  });

  it('reuses the result of an unchanged item and validates an edited one afresh', () => {
    const validator = new RoutingItemValidator();
    const first = validator.parse(items);
    const again = validator.parse(items.map((item) => structuredClone(item)));
    expect(again.rules[0]).toBe(first.rules[0]);
    const edited = validator.parse([routingItem({ pipeline_name: 'A', decrypt: 'yes' }), items[4]!]);
    expect(edited.rules.map((rule) => rule.key.pipelineName)).toEqual(['B']);
    expect(edited.invalid).toEqual([
      expect.objectContaining({
        key: { sourcePrefix: items[0]!.source_prefix, pipelineName: 'A' },
        reason: expect.stringContaining('decrypt'),
      }),
    ]);
    // Fixed again: valid again.
    expect(validator.parse([items[0]!]).rules.map((rule) => rule.key.pipelineName)).toEqual(['A']);
  });
});
