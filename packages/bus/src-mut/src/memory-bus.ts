import { HeraldError } from '@herald/core';
import { abortableDelay } from './abortable-delay.ts';
import type {
  Batch,
  Bus,
  ConsumedMessage,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './bus.ts';
import type { BusLogger } from './bus-logger.ts';
import { partitionForKey } from './key-partition.ts';

/**
 * The in-process bus of embedded mode and unit tests. It keeps Kafka's semantics where the
 * contract relies on them: partitioned topics (a key always lands on the partition Kafka would
 * choose), per-group committed offsets, partitions shared among the subscriptions of a group,
 * every group seeing every message, and a failed batch handed again after `retryDelayMs`.
 * Messages live in memory only; nothing survives the process.
 */
export interface MemoryBusOptions {
  /** Partitions of a topic that `publish` or `subscribe` create implicitly (as Kafka's topic auto-creation would). Default 1. */
  partitions?: number;
  /** Most messages handed in one batch. Default 500. */
  maxBatchSize?: number;
  logger?: BusLogger;
}

interface StoredMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

interface MemoryTopic {
  partitions: StoredMessage[][];
  /** Next partition for a message without a key. */
  roundRobin: number;
}

interface MemoryMember {
  readonly options: SubscribeOptions;
  readonly topics: string[];
  readonly stopping: AbortController;
  /** Where the search for the next partition with work starts, so that partitions take turns. */
  cursor: number;
  done: Promise<void>;
}

interface MemoryGroup {
  /** Next offset to hand, per slot (`topic` + partition): what the group committed. */
  committed: Map<string, number>;
  /** The group's live subscriptions, in the order they joined; partitions are dealt among them. */
  members: MemoryMember[];
  /** Slots whose batch is in some member's hands. A rebalance waits for it before another takes over. */
  inHand: Set<string>;
}

/** Wakes every waiting consumer loop when anything changed (a publish, a join, a finished batch). */
class ChangeSignal {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const DEFAULT_RETRY_DELAY_MS = 500;

function slotOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function checkPartitionCount(partitions: number, field: string): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw HeraldError.validation('Invalid partition count', [{ field, message: 'must be a whole number of at least 1' }]);
  }
}

function checkTopicName(topic: string): void {
  // Kafka's own rule, so that a name accepted in embedded mode is accepted in production too.
  if (!TOPIC_NAME.test(topic)) {
    throw HeraldError.validation('Invalid topic name', [
      { field: '/topic', message: `"${topic}" must be 1 to 249 characters of letters, digits, ".", "_" and "-"` },
    ]);
  }
}

export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const defaultPartitions = options.partitions ?? 1;
  checkPartitionCount(defaultPartitions, '/partitions');
  const maxBatchSize = options.maxBatchSize ?? 500;
  checkPartitionCount(maxBatchSize, '/maxBatchSize');
  const logger = options.logger;

  const topics = new Map<string, MemoryTopic>();
  const groups = new Map<string, MemoryGroup>();
  const members = new Set<MemoryMember>();
  const changes = new ChangeSignal();
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

  function groupFor(groupId: string): MemoryGroup {
    let group = groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), members: [], inHand: new Set() };
      groups.set(groupId, group);
    }
    return group;
  }

  /** The partitions dealt to a member: of each topic, every n-th among the members subscribed to it. */
  function assignment(member: MemoryMember, group: MemoryGroup): Array<{ topic: string; partition: number }> {
    const assigned: Array<{ topic: string; partition: number }> = [];
    for (const topic of member.topics) {
      const sharing = group.members.filter((m) => m.topics.includes(topic));
      const position = sharing.indexOf(member);
      if (position < 0) continue;
      const count = topics.get(topic)?.partitions.length ?? 0;
      for (let partition = position; partition < count; partition += sharing.length) {
        assigned.push({ topic, partition });
      }
    }
    return assigned;
  }

  function nextWork(member: MemoryMember, group: MemoryGroup): { topic: string; partition: number } | null {
    const assigned = assignment(member, group);
    for (let i = 0; i < assigned.length; i++) {
      const index = (member.cursor + i) % assigned.length;
      const { topic, partition } = assigned[index]!;
      const slot = slotOf(topic, partition);
      if (group.inHand.has(slot)) continue;
      const log = topics.get(topic)!.partitions[partition]!;
      if ((group.committed.get(slot) ?? 0) < log.length) {
        member.cursor = index + 1;
        return { topic, partition };
      }
    }
    return null;
  }

  /** Hands one batch of a partition; commits it if the handler resolves, waits `retryDelayMs` if it throws. */
  async function handOver(member: MemoryMember, group: MemoryGroup, topic: string, partition: number): Promise<void> {
    const slot = slotOf(topic, partition);
    const from = group.committed.get(slot) ?? 0;
    const stored = topics.get(topic)!.partitions[partition]!.slice(from, from + maxBatchSize);
    const messages: ConsumedMessage[] = stored.map((m, i) => ({
      topic,
      partition,
      offset: String(from + i),
      key: m.key,
      value: Buffer.from(m.value),
      headers: { ...m.headers },
      timestamp: m.timestamp,
    }));
    const batch: Batch = { topic, partition, messages };
    try {
      await member.options.handleBatch(batch);
    } catch (err) {
      const retryDelayMs = member.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
      logger?.warn(
        { err, groupId: member.options.groupId, topic, partition, offset: String(from), retryDelayMs },
        'handleBatch failed; the batch will be handed again',
      );
      await abortableDelay(0, member.stopping.signal);
      return;
    }
    // The slot was in hand all along, so nobody moved the offset meanwhile.
    group.committed.set(slot, from + messages.length);
  }

  async function consume(member: MemoryMember, group: MemoryGroup): Promise<void> {
    while (!member.stopping.signal.aborted) {
      // Yield to the event loop before every batch: a batch is never handed synchronously
      // inside subscribe() or publish(), and a handler that fails at once with retryDelayMs 0
      // (or a long backlog) cannot starve timers and I/O.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (member.stopping.signal.aborted) break;
      const work = nextWork(member, group);
      if (!work) {
        await changes.wait();
        continue;
      }
      const slot = slotOf(work.topic, work.partition);
      group.inHand.add(slot);
      try {
        await handOver(member, group, work.topic, work.partition);
      } catch (err) {
        logger?.error({ err, groupId: member.options.groupId }, 'The in-memory consumer failed unexpectedly');
      } finally {
        group.inHand.delete(slot);
        changes.notify();
      }
    }
  }

  async function stopMember(member: MemoryMember, group: MemoryGroup): Promise<void> {
    if (!member.stopping.signal.aborted) {
      member.stopping.abort();
      // Leave the group at once: the other members take over every partition but the one in
      // hand, which they get when its batch finished.
      group.members = group.members.filter((m) => m !== member);
      changes.notify();
    }
    await member.done;
    members.delete(member);
  }

  return {
    kind: 'memory',

    async ensureTopics(specs: TopicSpec[]): Promise<void> {
      assertOpen();
      for (const spec of specs) {
        checkTopicName(spec.topic);
        checkPartitionCount(spec.partitions, '/partitions');
      }
      for (const spec of specs) topicFor(spec.topic, spec.partitions);
      changes.notify();
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
      if (messages.length > 0) changes.notify();
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      assertOpen();
      if (!subscribeOptions.groupId) {
        throw HeraldError.validation('Invalid subscription', [{ field: '/groupId', message: 'must not be empty' }]);
      }
      if (subscribeOptions.topics.length === 0) {
        throw HeraldError.validation('Invalid subscription', [{ field: '/topics', message: 'must name at least one topic' }]);
      }
      const group = groupFor(subscribeOptions.groupId);
      const fromBeginning = subscribeOptions.fromBeginning ?? true;
      const subscribedTopics = [...new Set(subscribeOptions.topics)];
      for (const name of subscribedTopics) {
        // A group without a committed offset starts at the beginning or at the current end,
        // fixed now: what is published after subscribe() resolves is delivered.
        topicFor(name).partitions.forEach((log, partition) => {
          const slot = slotOf(name, partition);
          if (!group.committed.has(slot)) group.committed.set(slot, fromBeginning ? 0 : log.length);
        });
      }
      const member: MemoryMember = {
        options: subscribeOptions,
        topics: subscribedTopics,
        stopping: new AbortController(),
        cursor: 0,
        done: Promise.resolve(),
      };
      group.members.push(member);
      members.add(member);
      member.done = consume(member, group);
      changes.notify();
      let stopped: Promise<void> | undefined;
      return {
        stop: () => (stopped ??= stopMember(member, group)),
      };
    },

    async ping(): Promise<void> {
      assertOpen();
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all(
        [...members].map((member) => stopMember(member, groupFor(member.options.groupId))),
      );
    },
  };
}
