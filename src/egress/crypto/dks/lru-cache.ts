/**
 * A small bounded LRU map (a `Map` keeps insertion order, so the first key is the least recently
 * used). Bounded because the original's unbounded key cache grew for the life of the process
 * (behaviour §10.22).
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;
  readonly #onEvict: ((value: V) => void) | undefined;

  /** @param onEvict called for every value dropped (eviction, `clear`), e.g. to zero key bytes. */
  constructor(maxEntries: number, onEvict?: (value: V) => void) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const previous = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (previous !== undefined && previous !== value) this.#onEvict?.(previous);
    while (this.#entries.size > this.#maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [K, V];
      this.#entries.delete(oldestKey);
      this.#onEvict?.(oldest);
    }
  }

  clear(): void {
    for (const value of this.#entries.values()) this.#onEvict?.(value);
    this.#entries.clear();
  }
}
