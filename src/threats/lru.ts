/** One entry, linked in recency order. */
interface Node<K, V> {
  key: K;
  value: V;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
}

/**
 * A Map with a size cap that forgets its least recently used entries first. Detectors keep their memory in these,
 * so a hostile or simply very large cluster (a million source addresses, churned pods) cannot grow it without
 * bound. Iteration order is least recently used first, which makes TTL sweeps stop at the first fresh entry.
 *
 * Entries are linked in recency order beside the Map: marking one as used relinks four pointers, where deleting
 * and re-inserting the Map key (the simpler way) rehashes on every read of the hot path of audit evaluation.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;
  /** Entries forgotten because the cap was reached (kept for tuning and tests). */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new RangeError('LruMap cap must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  private unlink(n: Node<K, V>): void {
    if (n.older) n.older.newer = n.newer;
    else this.oldest = n.newer;
    if (n.newer) n.newer.older = n.older;
    else this.newest = n.older;
    n.older = n.newer = undefined;
  }

  private linkNewest(n: Node<K, V>): void {
    n.older = this.newest;
    n.newer = undefined;
    if (this.newest) this.newest.newer = n;
    else this.oldest = n;
    this.newest = n;
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    if (n !== this.newest) {
      this.unlink(n);
      this.linkNewest(n);
    }
    return n.value;
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Sets the value as the most recently used entry, evicting the least recently used when over the cap. */
  set(key: K, value: V): this {
    const n = this.map.get(key);
    if (n) {
      n.value = value;
      if (n !== this.newest) {
        this.unlink(n);
        this.linkNewest(n);
      }
      return this;
    }
    const created: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.map.set(key, created);
    this.linkNewest(created);
    while (this.map.size > this.cap) {
      const victim = this.oldest!;
      this.unlink(victim);
      this.map.delete(victim.key);
      this.evicted++;
    }
    return this;
  }

  delete(key: K): boolean {
    const n = this.map.get(key);
    if (!n) return false;
    this.unlink(n);
    return this.map.delete(key);
  }

  /** Removes entries, least recently used first, while `stale` says so; stops at the first entry it keeps. */
  sweep(stale: (value: V, key: K) => boolean): void {
    for (let n = this.oldest; n; n = this.oldest) {
      if (!stale(n.value, n.key)) return;
      this.unlink(n);
      this.map.delete(n.key);
    }
  }

  /** Least recently used first. */
  *values(): IterableIterator<V> {
    for (let n = this.oldest; n; n = n.newer) yield n.value;
  }

  /** Least recently used first. */
  *entries(): IterableIterator<[K, V]> {
    for (let n = this.oldest; n; n = n.newer) yield [n.key, n.value];
  }
}
