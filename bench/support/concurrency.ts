/** The benchmarks' concurrency budget, the same for the service and for every floor. */
import { Limiter } from '../../src/util/concurrency.ts';

/** The service's default `EGRESS_OBJECT_CONCURRENCY`: the floors get the same budget. */
export const OBJECT_CONCURRENCY = 8;

/** Runs `task` over `items` with at most `limit` at once (the util's {@link Limiter}); results in input order. */
export function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limiter = new Limiter(limit);
  return Promise.all(items.map((item, index) => limiter.run(() => task(item, index))));
}
