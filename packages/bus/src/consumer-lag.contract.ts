import { describe, expect, it } from 'vitest';
import type { Bus, PartitionLag } from './bus.ts';
import { partitionForKey } from './key-partition.ts';

const total = (lags: PartitionLag[]) => lags.reduce((n, p) => n + p.lag, 0);

/**
 * `Bus.consumerLag`, as the consumer-lag metric reads it: every partition of the topic is
 * reported, a group that committed nothing is behind by every message, and a group that handled
 * (and so committed) everything is behind by none, then by what was published since.
 */
export function consumerLagContract(name: string, makeBus: () => Bus, uniqueName: (prefix: string) => string, timeoutMs = 5_000): void {
  describe(`${name} bus: consumerLag`, () => {
    it('reports per partition what the group has not committed', async () => {
      const bus = makeBus();
      const topic = uniqueName('lag-topic');
      const groupId = uniqueName('lag-group');
      try {
        await bus.ensureTopics([{ topic, partitions: 2 }]);
        // Two keys that land on different partitions of two (murmur2, as Kafka's default partitioner).
        const first = 'acc:ticket:1';
        const other = Array.from({ length: 50 }, (_, i) => `acc:ticket:${i + 2}`).find((k) => partitionForKey(k, 2) !== partitionForKey(first, 2))!;
        const keys = [first, other];
        await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: keys[i % 2]!, value: String(i) })));
        const before = await bus.consumerLag!(groupId, [topic]);
        expect(before.map((p) => p.partition).sort()).toEqual([0, 1]);
        expect(before.every((p) => p.topic === topic)).toBe(true);
        expect(total(before)).toBe(5);

        let handled = 0;
        const subscription = await bus.subscribe({ groupId, topics: [topic], handleBatch: async (b) => void (handled += b.messages.length) });
        const deadline = Date.now() + timeoutMs;
        while (total(await bus.consumerLag!(groupId, [topic])) > 0) {
          if (Date.now() > deadline) throw new Error(`lag still ${total(await bus.consumerLag!(groupId, [topic]))} after ${timeoutMs} ms (handled ${handled})`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await subscription.stop();
        await bus.publish(topic, [{ key: first, value: 'a' }, { key: first, value: 'b' }, { key: other, value: 'c' }]);
        const after = await bus.consumerLag!(groupId, [topic]);
        expect(total(after)).toBe(3);
        expect(after.map((p) => p.lag).sort()).toEqual([1, 2]);
      } finally {
        await bus.close();
      }
    }, timeoutMs * 3);
  });
}
