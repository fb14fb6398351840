/**
 * A Map with a size cap that forgets its least recently used entries first. Detectors keep their memory in these,
 * so a hostile or simply very large cluster (a million source addresses, churned pods) cannot grow it without
 * bound. Iteration order is least recently used first, which makes TTL sweeps stop at the first fresh entry.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries forgotten because the cap was reached (kept for tuning and tests). */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new RangeError('LruMap cap must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Sets the value as the most recently used entry, evicting the least recently used when over the cap. */
  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.cap) {
      this.map.delete(this.map.keys().next().value as K);
      this.evicted++;
    }
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Removes entries, least recently used first, while `stale` says so; stops at the first entry it keeps. */
  sweep(stale: (value: V, key: K) => boolean): void {
    for (const [k, v] of this.map) {
      if (!stale(v, k)) return;
      this.map.delete(k);
    }
  }

  /** Least recently used first. */
  values(): IterableIterator<V> {
    return this.map.values();
  }

  /** Least recently used first. */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
