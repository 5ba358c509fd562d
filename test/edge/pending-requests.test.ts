import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingRequests } from '../../src/edge/thread/pending-requests.ts';

describe('PendingRequests (requests across the edge thread, answered by id)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = () => new PendingRequests<string>(1_000, (ms) => new Error(`no answer within ${ms} ms`));

  it('sends each request under a fresh id and resolves it with its own answer', async () => {
    const requests = make();
    const sent: number[] = [];
    const first = requests.ask((id) => sent.push(id));
    const second = requests.ask((id) => sent.push(id));
    expect(sent).toEqual([1, 2]);
    requests.settle(2, { value: 'two' });
    requests.settle(1, { value: 'one' });
    await expect(first).resolves.toBe('one');
    await expect(second).resolves.toBe('two');
    expect(requests.size).toBe(0);
  });

  it('rejects with the error the other side reported', async () => {
    const requests = make();
    const answer = requests.ask(() => {});
    requests.settle(1, { error: new Error('health failed') });
    await expect(answer).rejects.toThrow('health failed');
  });

  it('rejects at the deadline, naming it, and drops an answer that comes later', async () => {
    const requests = make();
    const answer = requests.ask(() => {});
    const outcome = expect(answer).rejects.toThrow('no answer within 1000 ms');
    vi.advanceTimersByTime(1_000);
    await outcome;
    expect(requests.size).toBe(0);
    expect(() => requests.settle(1, { value: 'late' })).not.toThrow();
  });

  it('does not time out an answered request', async () => {
    const requests = make();
    const answer = requests.ask(() => {});
    requests.settle(1, { value: 'in time' });
    vi.advanceTimersByTime(5_000);
    await expect(answer).resolves.toBe('in time');
  });

  it('rejects every waiting request when the other side goes away', async () => {
    const requests = make();
    const answers = [requests.ask(() => {}), requests.ask(() => {})];
    requests.rejectAll(new Error('the sandbox is stopping'));
    for (const answer of answers) await expect(answer).rejects.toThrow('the sandbox is stopping');
    expect(requests.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a timeout of %s, naming the limit', (timeoutMs) => {
    expect(() => new PendingRequests(timeoutMs, () => new Error('x'))).toThrow(
      /timeoutMs must be a positive integer of milliseconds/,
    );
  });
});
