import { isHeraldError } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { busContract } from './bus.contract.ts';
import { createMemoryBus } from './memory-bus.ts';
import { waitUntil } from './testing/wait-until.ts';

busContract('memory', async () => ({ bus: createMemoryBus() }));

describe('createMemoryBus', () => {
  it('never calls a handler synchronously inside publish()', async () => {
    const bus = createMemoryBus();
    let calls = 0;
    const subscription = await bus.subscribe({ groupId: 'g', topics: ['t'], handleBatch: async () => void calls++ });
    await new Promise((resolve) => setImmediate(resolve)); // the consumer is idle, waiting
    const published = bus.publish('t', [{ key: 'k', value: 'v' }]);
    expect(calls).toBe(0);
    await published;
    await waitUntil(() => calls === 1, 'the handler');
    await bus.close();
    expect(subscription).toBeDefined();
  });

  it('hands at most maxBatchSize messages at once, in offset order', async () => {
    const bus = createMemoryBus({ maxBatchSize: 500 });
    await bus.publish('t', Array.from({ length: 1200 }, (_, i) => ({ key: 'k', value: String(i) })));
    const sizes: number[] = [];
    const firstOffsets: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (batch) => {
        sizes.push(batch.messages.length);
        firstOffsets.push(batch.messages[0]!.offset);
      },
    });
    await waitUntil(() => sizes.reduce((a, b) => a + b, 0) === 1200, 'all 1200 messages');
    await bus.close();
    expect(sizes).toEqual([500, 500, 200]);
    expect(firstOffsets).toEqual(['0', '500', '1000']);
  });

  it('creates topics implicitly with the default partition count', async () => {
    const bus = createMemoryBus({ partitions: 4 });
    await bus.publish('auto', Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: 'v' })));
    const partitions = new Set<number>();
    let count = 0;
    await bus.subscribe({
      groupId: 'g',
      topics: ['auto'],
      handleBatch: async (batch) => {
        partitions.add(batch.partition);
        count += batch.messages.length;
      },
    });
    await waitUntil(() => count === 40, 'all 40 messages');
    await bus.close();
    expect([...partitions].sort()).toEqual([0, 1, 2, 3]);
  });

  it('spreads messages without a key over the partitions', async () => {
    const bus = createMemoryBus({ partitions: 3 });
    await bus.publish('t', Array.from({ length: 6 }, () => ({ key: null, value: 'v' })));
    const perPartition = new Map<number, number>();
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (batch) => void perPartition.set(batch.partition, (perPartition.get(batch.partition) ?? 0) + batch.messages.length),
    });
    await waitUntil(() => [...perPartition.values()].reduce((a, b) => a + b, 0) === 6, 'all 6 messages');
    await bus.close();
    expect([...perPartition.entries()].sort()).toEqual([[0, 2], [1, 2], [2, 2]]);
  });

  it('stop() during a retry wait returns at once, without waiting out retryDelayMs', async () => {
    const bus = createMemoryBus();
    await bus.publish('t', [{ key: 'k', value: 'v' }]);
    let failures = 0;
    const subscription = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      retryDelayMs: 60_000,
      handleBatch: async () => {
        failures++;
        throw new Error('fails on purpose');
      },
    });
    await waitUntil(() => failures === 1, 'the first failure');
    const started = Date.now();
    await subscription.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failures).toBe(1);
    await bus.close();
  });

  it('keeps timers running while a handler fails over and over with retryDelayMs 0', async () => {
    const bus = createMemoryBus();
    await bus.publish('t', [{ key: 'k', value: 'v' }]);
    let failures = 0;
    const subscription = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      retryDelayMs: 0,
      handleBatch: async () => {
        failures++;
        throw new Error('fails on purpose');
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await subscription.stop();
    await bus.close();
    expect(failures).toBeGreaterThan(1);
  });

  it('keeps what a handler does to a message from reaching other groups', async () => {
    const bus = createMemoryBus();
    const original = Buffer.from('abc');
    await bus.publish('t', [{ key: 'k', value: original }]);
    original.write('xyz');
    const seen: string[] = [];
    for (const groupId of ['one', 'two']) {
      await bus.subscribe({
        groupId,
        topics: ['t'],
        handleBatch: async (batch) => {
          seen.push(batch.messages[0]!.value.toString());
          batch.messages[0]!.value.write('zzz');
        },
      });
    }
    await waitUntil(() => seen.length === 2, 'both groups');
    await bus.close();
    expect(seen).toEqual(['abc', 'abc']);
  });

  it('rejects names and partition counts Kafka would reject', async () => {
    const bus = createMemoryBus();
    const rejection = async (work: Promise<unknown>): Promise<unknown> => work.then(() => undefined, (err: unknown) => err);
    expect(isHeraldError(await rejection(bus.publish('bad topic', [])), 'HERALD_VALIDATION')).toBe(true);
    expect(isHeraldError(await rejection(bus.ensureTopics([{ topic: 'ok', partitions: 0 }])), 'HERALD_VALIDATION')).toBe(true);
    expect(isHeraldError(await rejection(bus.ensureTopics([{ topic: 'x'.repeat(250), partitions: 1 }])), 'HERALD_VALIDATION')).toBe(true);
    expect(() => createMemoryBus({ partitions: 1.5 })).toThrow();
    await bus.close();
  });
});
