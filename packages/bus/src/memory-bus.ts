import { HeraldError } from '@herald/core';
import type { Bus, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription, TopicSpec } from './bus.ts';
import type { BusLogger } from './bus-logger.ts';
import { createConsumerGroups, type LogMessage } from './in-process-consumers.ts';
import { partitionForKey } from './key-partition.ts';
import { checkPartitionCount, checkTopicName } from './topic-rules.ts';

/**
 * The in-process bus of embedded mode and unit tests. It keeps Kafka's semantics where the
 * contract relies on them: partitioned topics (a key always lands on the partition Kafka would
 * choose), per-group committed offsets, partitions shared among the subscriptions of a group,
 * every group seeing every message, and a failed batch handed again after `retryDelayMs`
 * (the consumer groups are `in-process-consumers.ts`, shared with the SQLite bus).
 * Messages live in memory only; nothing survives the process.
 */
export interface MemoryBusOptions {
  /** Partitions of a topic that `publish` or `subscribe` create implicitly (as Kafka's topic auto-creation would). Default 1. */
  partitions?: number;
  /** Most messages handed in one batch. Default 500. */
  maxBatchSize?: number;
  logger?: BusLogger;
}

type StoredMessage = Omit<LogMessage, 'offset'>;

interface MemoryTopic {
  partitions: StoredMessage[][];
  /** Next partition for a message without a key. */
  roundRobin: number;
}

export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const defaultPartitions = options.partitions ?? 1;
  checkPartitionCount(defaultPartitions, '/partitions');
  const maxBatchSize = options.maxBatchSize ?? 500;
  checkPartitionCount(maxBatchSize, '/maxBatchSize');
  const logger = options.logger;

  const topics = new Map<string, MemoryTopic>();
  /** What each group committed, by `group \0 topic \0 partition`: for consumerLag (the consumer groups keep their own). */
  const committed = new Map<string, number>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new HeraldError('HERALD_UNAVAILABLE', 'The in-memory bus is closed');
  }

  function topicFor(name: string, partitions = defaultPartitions): MemoryTopic {
    let topic = topics.get(name);
    if (!topic) {
      checkTopicName(name);
      topic = { partitions: Array.from({ length: partitions }, () => []), roundRobin: 0 };
      topics.set(name, topic);
    }
    return topic;
  }

  const consumers = createConsumerGroups({
    label: 'in-memory',
    maxBatchSize,
    logger,
    log: {
      ensureTopic: (name) => void topicFor(name),
      partitionCount: (name) => topics.get(name)?.partitions.length ?? 0,
      endOffset: (name, partition) => topics.get(name)!.partitions[partition]!.length,
      read: (name, partition, from, max) =>
        topics
          .get(name)!
          .partitions[partition]!.slice(from, from + max)
          .map((m, i) => ({ ...m, offset: from + i, value: Buffer.from(m.value), headers: { ...m.headers } })),
    },
    offsets: {
      start: (_groupId, name, partition, fromBeginning) =>
        fromBeginning ? 0 : topics.get(name)!.partitions[partition]!.length,
      // Committed offsets live only in memory: the consumer groups' own, and this copy for consumerLag.
      commit: (groupId, name, partition, next) => void committed.set(`${groupId}\u0000${name}\u0000${partition}`, next),
    },
  });

  return {
    kind: 'memory',

    async ensureTopics(specs: TopicSpec[]): Promise<void> {
      assertOpen();
      for (const spec of specs) {
        checkTopicName(spec.topic);
        checkPartitionCount(spec.partitions, '/partitions');
      }
      for (const spec of specs) topicFor(spec.topic, spec.partitions);
      consumers.notify();
    },

    async publish(topicName: string, messages: OutgoingMessage[]): Promise<void> {
      assertOpen();
      const topic = topicFor(topicName);
      const count = topic.partitions.length;
      const timestamp = Date.now();
      for (const message of messages) {
        const partition =
          message.key === null ? topic.roundRobin++ % count : partitionForKey(message.key, count);
        topic.partitions[partition]!.push({
          key: message.key,
          value: typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : Buffer.from(message.value),
          headers: { ...message.headers },
          timestamp,
        });
      }
      if (messages.length > 0) consumers.notify();
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      assertOpen();
      return consumers.subscribe(subscribeOptions);
    },

    async consumerLag(groupId: string, names: string[]): Promise<PartitionLag[]> {
      assertOpen();
      return [...new Set(names)].flatMap((name) =>
        (topics.get(name)?.partitions ?? []).map((log, partition) => ({
          topic: name,
          partition,
          lag: log.length - (committed.get(`${groupId}\u0000${name}\u0000${partition}`) ?? 0),
        })),
      );
    },

    async ping(): Promise<void> {
      assertOpen();
    },

    async close(): Promise<void> {
      closed = true;
      await consumers.stopAll();
    },
  };
}
