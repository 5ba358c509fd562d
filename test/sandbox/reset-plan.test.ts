import { describe, expect, it } from 'vitest';
import { planReset } from '../../src/sandbox/reset.ts';

describe('planReset (only the sandbox’s own entries go)', () => {
  it.each([
    [[], [], []],
    [
      ['sandbox.lock', 'data', 's3', 'logs', 'certs', 'sft-root', 'sandbox.json'],
      ['certs', 'data', 'logs', 's3', 'sandbox.json', 'sft-root'],
      [],
    ],
    [
      [
        'sandbox.json.1234.tmp',
        'sandbox.lock.77.0b6f-1c.tmp',
        'sandbox.lock.takeover',
        'sandbox.lock.takeover.9.ab-cd.tmp',
      ],
      [
        'sandbox.json.1234.tmp',
        'sandbox.lock.77.0b6f-1c.tmp',
        'sandbox.lock.takeover',
        'sandbox.lock.takeover.9.ab-cd.tmp',
      ],
      [],
    ],
    [
      ['.bashrc', 'Documents', 'data', 'notes.txt', 'sandbox.json.bak', 'logs2'],
      ['data'],
      ['.bashrc', 'Documents', 'logs2', 'notes.txt', 'sandbox.json.bak'],
    ],
  ])('%j', (entries, remove, keep) => {
    expect(planReset(entries)).toEqual({ remove, keep });
  });
});
