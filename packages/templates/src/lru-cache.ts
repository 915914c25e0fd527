/**
 * A small least-recently-used cache bounded by entry count and by a total weight (e.g. the
 * characters of the cached templates). Map iteration order is insertion order, so the first
 * key is the least recently used one.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private totalWeight = 0;
  // The most recently used key: a hit on it need not be moved (the common case of one hot entry).
  private newest: K | undefined;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight = Number.POSITIVE_INFINITY,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  get weight(): number {
    return this.totalWeight;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, entry);
      this.newest = key;
    }
    return entry.value;
  }

  /** Stores a value; one heavier than the whole cache may hold is not stored. */
  set(key: K, value: V, weight = 1): void {
    this.delete(key);
    if (weight > this.maxWeight) return;
    this.map.set(key, { value, weight });
    this.newest = key;
    this.totalWeight += weight;
    while (this.map.size > this.maxEntries || this.totalWeight > this.maxWeight) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (entry === undefined) return false;
    this.map.delete(key);
    this.totalWeight -= entry.weight;
    if (key === this.newest) this.newest = undefined;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.totalWeight = 0;
    this.newest = undefined;
  }
}
