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
    expect(validator.parse(items)).toEqual({ ...expected, unknownColumns: [] });
    expect(validator.parse(items.map((item) => ({ ...item })))).toEqual({ ...expected, unknownColumns: [] });
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

  it('reports attributes the service does not read once per new item content, with the near miss', () => {
    const validator = new RoutingItemValidator();
    const typo = routingItem({ pipeline_name: 'TYPO', destination_prefx: 'out/' });
    const first = validator.parse([items[0]!, typo]);
    expect(first.unknownColumns).toEqual([
      {
        key: { sourcePrefix: typo.source_prefix, pipelineName: 'TYPO' },
        columns: [{ column: 'destination_prefx', suggestion: 'destination_prefix' }],
      },
    ]);
    // The rule itself still applies (the attribute is ignored, as in the original).
    expect(first.rules.map((rule) => rule.key.pipelineName)).toEqual(['A', 'TYPO']);
    expect(validator.parse([items[0]!, structuredClone(typo)]).unknownColumns).toEqual([]);
    const edited = { ...typo, note_to_self: 'x' };
    expect(validator.parse([edited]).unknownColumns[0]?.columns).toEqual([
      { column: 'destination_prefx', suggestion: 'destination_prefix' },
      { column: 'note_to_self' },
    ]);
  });
});
