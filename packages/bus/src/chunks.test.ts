import { describe, expect, it } from 'vitest';
import { chunksBySize } from './kafka-bus.ts';

describe('chunksBySize', () => {
  const msg = (i: number, bytes: number) => ({ key: `k${i}`, value: Buffer.alloc(bytes) });

  it('keeps the order and puts every message in exactly one chunk under the limit', () => {
    const messages = Array.from({ length: 100 }, (_, i) => msg(i, 1000 + (i % 7) * 300));
    const chunks = chunksBySize(messages, 10_000);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.reduce((n, m) => n + m.value.length, 0)).toBeLessThanOrEqual(10_000);
  });

  it('sends one message larger than the limit alone, and counts strings in bytes', () => {
    const chunks = chunksBySize([msg(1, 10), msg(2, 50_000), msg(3, 10)], 1_000);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['k1'], ['k2'], ['k3']]);
    expect(chunksBySize([{ key: null, value: 'é'.repeat(400) }, { key: null, value: 'é'.repeat(400) }], 1_000)).toHaveLength(2);
    expect(chunksBySize([], 1_000)).toEqual([]);
  });
});
