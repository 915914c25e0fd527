import { isHeraldError } from '@herald/core';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../../../test/services.ts';
import type { Bus } from './bus.ts';
import type { BusLogger } from './bus-logger.ts';
import { busContract } from './bus.contract.ts';
import { createKafkaBus } from './kafka-bus.ts';
import { partitionForKey } from './key-partition.ts';
import { waitUntil } from './testing/wait-until.ts';

const TOPIC_PREFIX = 'herald-bus-test.';

function testBus(logger?: BusLogger): Bus {
  return createKafkaBus({
    brokers: kafkaBrokers(),
    clientId: uniqueName('herald-bus-test'),
    topicPrefix: TOPIC_PREFIX,
    ...(logger ? { logger } : {}),
  });
}

busContract('kafka', async () => ({ bus: testBus() }), { waitMs: 30_000 });

describe('createKafkaBus', () => {
  const admin = new kafkajs.Kafka({
    clientId: 'herald-bus-test-admin',
    brokers: kafkaBrokers(),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  it('creates topics under the prefix, with the partitions asked for', async () => {
    const bus = testBus();
    const topic = uniqueName('bus-prefix');
    try {
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      await bus.ensureTopics([{ topic, partitions: 6 }]);
      const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC_PREFIX + topic] });
      expect(topics[0]!.partitions).toHaveLength(3);
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await bus.close();
    }
  });

  it("routes a key to the partition of Kafka's default partitioner, as the memory bus does", async () => {
    const bus = testBus();
    const topic = uniqueName('bus-route');
    const keys = Array.from({ length: 100 }, (_, i) => `acc_${i % 3}:ticket:${i * 37}`);
    const seen = new Map<string, number>();
    try {
      await bus.ensureTopics([{ topic, partitions: 6 }]);
      await bus.publish(topic, keys.map((key) => ({ key, value: key })));
      const subscription = await bus.subscribe({
        groupId: uniqueName('g-route'),
        topics: [topic],
        handleBatch: async (batch) => {
          for (const m of batch.messages) seen.set(m.key!, m.partition);
        },
      });
      await waitUntil(() => seen.size === keys.length, () => `${keys.length} keys, got ${seen.size}`, 30_000);
      await subscription.stop();
      for (const key of keys) expect(seen.get(key), key).toBe(partitionForKey(key, 6));
    } finally {
      await bus.close();
    }
  });

  it('publishes far more than the broker takes in one request (1 MiB) in one call, in order per key', async () => {
    const bus = testBus();
    const topic = uniqueName('bus-big');
    // 4,000 messages of 1 KiB on one partition: 4 MiB, in one publish.
    const messages = Array.from({ length: 4000 }, (_, i) => ({ key: 'one-key', value: `${String(i).padStart(6, '0')}${'x'.repeat(1018)}` }));
    const seen: number[] = [];
    try {
      await bus.ensureTopics([{ topic, partitions: 2 }]);
      await bus.publish(topic, messages);
      const subscription = await bus.subscribe({
        groupId: uniqueName('g-big'),
        topics: [topic],
        handleBatch: async (batch) => {
          for (const m of batch.messages) seen.push(Number(m.value.subarray(0, 6).toString()));
        },
      });
      await waitUntil(() => seen.length >= messages.length, () => `${messages.length} messages, got ${seen.length}`, 60_000);
      await subscription.stop();
      expect(seen).toEqual(messages.map((_, i) => i));
    } finally {
      await bus.close();
    }
  });

  it('commits nothing at or after a failing batch (the broker shows the offset before it)', async () => {
    const bus = testBus();
    const topic = uniqueName('bus-commit');
    const groupId = uniqueName('g-commit');
    let handled = 0;
    let failures = 0;
    const committed = async (): Promise<string | undefined> => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [TOPIC_PREFIX + topic] });
      return offsets?.partitions.find((p) => p.partition === 0)?.offset;
    };
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const subscription = await bus.subscribe({
        groupId,
        topics: [topic],
        retryDelayMs: 100,
        handleBatch: async (batch) => {
          if (batch.messages.some((m) => m.value.toString() === 'poison')) {
            failures++;
            throw new Error('fails on purpose');
          }
          handled += batch.messages.length;
        },
      });
      await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `ok-${i}` })));
      await waitUntil(() => handled === 5, 'the first five', 30_000);
      await bus.publish(topic, [{ key: 'k', value: 'poison' }, ...Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `after-${i}` }))]);
      await waitUntil(() => failures >= 3, 'three failures', 30_000);
      expect(await committed()).toBe('5');
      await subscription.stop();
      expect(await committed()).toBe('5');
      expect(handled).toBe(5);
    } finally {
      await bus.close();
    }
  });

  it('keeps a member in its group through a batch longer than sessionTimeout', async () => {
    const bus = createKafkaBus({
      brokers: kafkaBrokers(),
      clientId: uniqueName('herald-bus-test'),
      topicPrefix: TOPIC_PREFIX,
      // 6 s is the broker's smallest session timeout (group.min.session.timeout.ms).
      consumer: { sessionTimeout: 6_000, heartbeatInterval: 1_000 },
    });
    const topic = uniqueName('bus-long');
    const groupId = uniqueName('g-long');
    let calls = 0;
    let done = false;
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, [{ key: 'k', value: 'slow' }]);
      const subscription = await bus.subscribe({
        groupId,
        topics: [topic],
        handleBatch: async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 8_000));
          done = true;
        },
      });
      await waitUntil(() => done, 'the slow batch', 30_000);
      // Evicted, the member would see its commit refused and get the batch again.
      const committed = async (): Promise<string | undefined> => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [TOPIC_PREFIX + topic] });
        return offsets?.partitions[0]?.offset;
      };
      let offset: string | undefined;
      const deadline = Date.now() + 5_000;
      while ((offset = await committed()) !== '1' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await subscription.stop();
      expect(offset).toBe('1');
      expect(calls).toBe(1);
    } finally {
      await bus.close();
    }
  });

  it('reports a failing handleBatch to its logger', async () => {
    const warnings: string[] = [];
    const logger: BusLogger = { info: () => {}, warn: (_f, message) => void warnings.push(message), error: () => {} };
    const bus = testBus(logger);
    const topic = uniqueName('bus-log');
    let calls = 0;
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, [{ key: 'k', value: 'v' }]);
      const subscription = await bus.subscribe({
        groupId: uniqueName('g-log'),
        topics: [topic],
        retryDelayMs: 50,
        handleBatch: async () => {
          calls++;
          if (calls === 1) throw new Error('fails on purpose');
        },
      });
      await waitUntil(() => calls >= 2, 'the retry', 30_000);
      await subscription.stop();
      expect(warnings).toContain('handleBatch failed; the batch will be handed again');
    } finally {
      await bus.close();
    }
  });

  it('ping() fails fast, with HERALD_UNAVAILABLE, when no broker answers', async () => {
    const bus = createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: uniqueName('herald-bus-test'), pingTimeoutMs: 2_000 });
    const started = Date.now();
    const error = await bus.ping().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isHeraldError(error, 'HERALD_UNAVAILABLE')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    await bus.close();
  });
});
