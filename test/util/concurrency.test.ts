import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/util/concurrency.ts';
import { waitFor } from '../../src/util/wait.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A task that runs until `open` is called. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, task: () => opened };
}

describe('Limiter', () => {
  it.each([1, 3, 8])(
    'never runs more than %i at once and starts waiting tasks in arrival order',
    async (limit) => {
      const limiter = new Limiter(limit);
      let running = 0;
      let peak = 0;
      const started: number[] = [];
      const durations = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
      const task = (index: number, ticks: number) =>
        limiter.run(async () => {
          started.push(index);
          running += 1;
          peak = Math.max(peak, running);
          for (let count = 0; count < ticks; count += 1) await tick();
          running -= 1;
        });
      const all = durations.map((ticks, index) => task(index, ticks));
      // Newcomers keep arriving while slots free up.
      for (let index = durations.length; index < durations.length + 5; index += 1) {
        await tick();
        all.push(task(index, 1));
      }
      await Promise.all(all);
      expect(peak).toBe(limit);
      expect(started).toEqual([...started].sort((a, b) => a - b));
      expect(started).toHaveLength(20);
    },
  );

  it('frees the slot of a task that throws', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
    expect(limiter.active).toBe(0);
  });

  it('schedules through its plain-function form as through run', async () => {
    const limiter = new Limiter(1);
    const first = gate();
    const running = limiter.schedule(first.task);
    const queued = limiter.schedule(async () => 'second');
    expect([limiter.active, limiter.pending]).toEqual([1, 1]);
    first.open();
    await running;
    await expect(queued).resolves.toBe('second');
  });

  it.each([
    { tasks: 1, active: 1, pending: 0 },
    { tasks: 2, active: 2, pending: 0 },
    { tasks: 5, active: 2, pending: 3 },
  ])('counts $active running and $pending waiting of $tasks tasks with limit 2', async (row) => {
    const limiter = new Limiter(2);
    const blocker = gate();
    const all = Array.from({ length: row.tasks }, () => limiter.run(blocker.task));
    expect([limiter.active, limiter.pending]).toEqual([row.active, row.pending]);
    blocker.open();
    await Promise.all(all);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it.each([
    { when: 'before it is queued', abortFirst: true },
    { when: 'while it waits', abortFirst: false },
  ])('drops a task aborted $when, rejecting with the reason and never running it', async (row) => {
    const limiter = new Limiter(1);
    const blocker = gate();
    const holding = limiter.run(blocker.task);
    const controller = new AbortController();
    const reason = new Error('stopping');
    if (row.abortFirst) controller.abort(reason);
    let ran = false;
    const dropped = limiter.run(async () => {
      ran = true;
    }, controller.signal);
    if (!row.abortFirst) controller.abort(reason);
    await expect(dropped).rejects.toBe(reason);
    expect(limiter.pending).toBe(0);
    const after = limiter.run(async () => 'after');
    blocker.open();
    await holding;
    await expect(after).resolves.toBe('after');
    expect(ran).toBe(false);
  });

  it('does not interrupt a started task when its signal aborts', async () => {
    const limiter = new Limiter(1);
    const controller = new AbortController();
    const blocker = gate();
    const running = limiter.run(async () => {
      await blocker.task();
      return 'finished';
    }, controller.signal);
    await waitFor(() => limiter.active === 1, { description: 'the task to start' });
    controller.abort();
    blocker.open();
    await expect(running).resolves.toBe('finished');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses limit %s', (limit) => {
    expect(() => new Limiter(limit)).toThrow(RangeError);
  });
});
