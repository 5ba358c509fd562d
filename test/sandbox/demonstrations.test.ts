import { describe, expect, it } from 'vitest';
import { Demonstrations } from '../../src/sandbox/demonstrations.ts';

describe('Demonstrations', () => {
  const demos = new Demonstrations();
  demos.mark({ sourcePrefix: 'a/', pipelineName: 'PDM_RTG' }, 'invalid on purpose');
  it.each([
    [{ sourcePrefix: 'a/', pipelineName: 'PDM_RTG' }, 'invalid on purpose'],
    [{ sourcePrefix: 'a/', pipelineName: 'OTHER' }, undefined],
    [{ sourcePrefix: 'b/', pipelineName: 'PDM_RTG' }, undefined],
    [{ sourcePrefix: undefined, pipelineName: 'PDM_RTG' }, undefined],
  ])('%j', (key, note) => {
    expect(demos.noteFor(key)).toBe(note);
  });
});
