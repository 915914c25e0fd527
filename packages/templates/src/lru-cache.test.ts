import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.ts';

describe('LRU cache', () => {
  it('evicts the least recently used entry past its entry bound', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });

  it('keeps recency right when the newest entry is read again and again', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.get('a');
    c.get('b');
    c.get('b');
    c.set('c', 3);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe(2);
    c.delete('b');
    c.set('d', 4);
    c.get('c');
    c.set('e', 5);
    expect([c.get('c'), c.get('d'), c.get('e')]).toEqual([3, undefined, 5]);
  });

  it('evicts by weight and never stores what is heavier than the whole cache', () => {
    const c = new LruCache<string, string>(100, 10);
    c.set('a', 'x', 4);
    c.set('b', 'y', 4);
    c.set('c', 'z', 4);
    expect(c.get('a')).toBeUndefined();
    expect(c.weight).toBe(8);
    c.set('huge', 'w', 11);
    expect(c.get('huge')).toBeUndefined();
    expect(c.weight).toBe(8);
  });

  it('replaces an entry and its weight', () => {
    const c = new LruCache<string, number>(10, 100);
    c.set('a', 1, 30);
    c.set('a', 2, 5);
    expect(c.get('a')).toBe(2);
    expect(c.weight).toBe(5);
    expect(c.delete('a')).toBe(true);
    expect(c.weight).toBe(0);
    c.set('b', 1);
    c.clear();
    expect(c.size).toBe(0);
  });

  it('refuses a bound below one entry', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
