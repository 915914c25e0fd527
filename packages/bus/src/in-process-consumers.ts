import { HeraldError } from '@herald/core';
import { abortableDelay } from './abortable-delay.ts';
import type { Batch, ConsumedMessage, SubscribeOptions, Subscription } from './bus.ts';
import type { BusLogger } from './bus-logger.ts';

/**
 * The consumer groups of the in-process buses (memory and SQLite): one process owns the log, so
 * groups, members, partition assignment, batches, retries and commits live in this process and a
 * publish wakes the consumers directly (no polling). Where the messages and the committed offsets
 * live is the implementation's: it hands a `PartitionedLog` and a `GroupOffsets`.
 *
 * Kafka's semantics where the contract relies on them: per-group committed offsets, partitions
 * dealt among the subscriptions of a group, every group seeing every message, a batch committed
 * only after `handleBatch` resolved, and a failed batch handed again after `retryDelayMs`. Each
 * subscription handles one batch at a time (`partitionsAtOnce` is not used), partitions taking turns.
 */

export interface LogMessage {
  offset: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/** The messages, partitioned. Offsets of a partition rise by one per message, from 0. */
export interface PartitionedLog {
  /** Makes sure the topic exists (creating it with the default partition count), validating its name. */
  ensureTopic(topic: string): void;
  /** Partitions of a topic; 0 when it does not exist. */
  partitionCount(topic: string): number;
  /** The offset the next message of the partition will take. */
  endOffset(topic: string, partition: number): number;
  /** Up to `max` messages of the partition from offset `from` on, in offset order, as copies the handler may change. */
  read(topic: string, partition: number, from: number, max: number): LogMessage[];
}

/** Where a group's committed offsets are kept. */
export interface GroupOffsets {
  /**
   * The next offset a group hands on a partition it has no offset for in this process yet: its
   * committed one if it has one, else the start `fromBeginning` asks for (fixed now).
   */
  start(groupId: string, topic: string, partition: number, fromBeginning: boolean): number;
  /** Records that the group handled everything before `next`; throws if it could not be recorded. */
  commit(groupId: string, topic: string, partition: number, next: number): void;
}

export interface ConsumerGroupsOptions {
  log: PartitionedLog;
  offsets: GroupOffsets;
  maxBatchSize: number;
  logger?: BusLogger;
  /** Names the bus in log lines ("in-memory", "SQLite"). */
  label: string;
}

export interface ConsumerGroups {
  /** Wakes the waiting consumers: something changed (a publish, new topics). */
  notify(): void;
  /** Starts a subscription (the caller checked that the bus is open). */
  subscribe(options: SubscribeOptions): Subscription;
  /** Stops every subscription, each after its batch in hand. */
  stopAll(): Promise<void>;
}

interface Member {
  readonly options: SubscribeOptions;
  readonly topics: string[];
  readonly stopping: AbortController;
  /** Where the search for the next partition with work starts, so that partitions take turns. */
  cursor: number;
  done: Promise<void>;
}

interface Group {
  /** Next offset to hand, per slot (`topic` + partition): what the group committed. */
  committed: Map<string, number>;
  /** The group's live subscriptions, in the order they joined; partitions are dealt among them. */
  members: Member[];
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

const DEFAULT_RETRY_DELAY_MS = 500;

function slotOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function createConsumerGroups({ log, offsets, maxBatchSize, logger, label }: ConsumerGroupsOptions): ConsumerGroups {
  const groups = new Map<string, Group>();
  const members = new Set<Member>();
  const changes = new ChangeSignal();

  function groupFor(groupId: string): Group {
    let group = groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), members: [], inHand: new Set() };
      groups.set(groupId, group);
    }
    return group;
  }

  /** The partitions dealt to a member: of each topic, every n-th among the members subscribed to it. */
  function assignment(member: Member, group: Group): Array<{ topic: string; partition: number }> {
    const assigned: Array<{ topic: string; partition: number }> = [];
    for (const topic of member.topics) {
      const sharing = group.members.filter((m) => m.topics.includes(topic));
      const position = sharing.indexOf(member);
      if (position < 0) continue;
      const count = log.partitionCount(topic);
      for (let partition = position; partition < count; partition += sharing.length) {
        assigned.push({ topic, partition });
      }
    }
    return assigned;
  }

  function nextWork(member: Member, group: Group): { topic: string; partition: number } | null {
    const assigned = assignment(member, group);
    for (let i = 0; i < assigned.length; i++) {
      const index = (member.cursor + i) % assigned.length;
      const { topic, partition } = assigned[index]!;
      const slot = slotOf(topic, partition);
      if (group.inHand.has(slot)) continue;
      if ((group.committed.get(slot) ?? 0) < log.endOffset(topic, partition)) {
        member.cursor = index + 1;
        return { topic, partition };
      }
    }
    return null;
  }

  /** Hands one batch of a partition; commits it if the handler resolves, waits `retryDelayMs` if it throws. */
  async function handOver(member: Member, group: Group, topic: string, partition: number): Promise<void> {
    const slot = slotOf(topic, partition);
    const groupId = member.options.groupId;
    const from = group.committed.get(slot) ?? 0;
    const stored = log.read(topic, partition, from, maxBatchSize);
    if (stored.length === 0) {
      // Only when the messages from `from` on are gone from the log, which retention never does to
      // a group it knows: go on from the end rather than ask for them again and again.
      const end = log.endOffset(topic, partition);
      logger?.warn({ groupId, topic, partition, offset: String(from), end: String(end) }, 'messages of the group are gone from the log; it goes on from the end');
      offsets.commit(groupId, topic, partition, end);
      group.committed.set(slot, end);
      return;
    }
    const messages: ConsumedMessage[] = stored.map((m) => ({
      topic,
      partition,
      offset: String(m.offset),
      key: m.key,
      value: m.value,
      headers: m.headers,
      timestamp: m.timestamp,
    }));
    const batch: Batch = { topic, partition, messages };
    try {
      await member.options.handleBatch(batch);
    } catch (err) {
      const retryDelayMs = member.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
      logger?.warn(
        { err, groupId, topic, partition, offset: String(from), retryDelayMs },
        'handleBatch failed; the batch will be handed again',
      );
      await abortableDelay(retryDelayMs, member.stopping.signal);
      return;
    }
    // The slot was in hand all along, so nobody moved the offset meanwhile.
    const next = stored[stored.length - 1]!.offset + 1;
    offsets.commit(groupId, topic, partition, next);
    group.committed.set(slot, next);
  }

  async function consume(member: Member, group: Group): Promise<void> {
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
        logger?.error({ err, groupId: member.options.groupId }, `The ${label} consumer failed unexpectedly`);
        // Whatever failed (the log or the offsets could not be read or written) is not retried in a tight loop.
        await abortableDelay(member.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, member.stopping.signal);
      } finally {
        group.inHand.delete(slot);
        changes.notify();
      }
    }
  }

  async function stopMember(member: Member, group: Group): Promise<void> {
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
    notify: () => changes.notify(),

    subscribe(subscribeOptions: SubscribeOptions): Subscription {
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
        log.ensureTopic(name);
        for (let partition = 0; partition < log.partitionCount(name); partition++) {
          const slot = slotOf(name, partition);
          if (!group.committed.has(slot)) group.committed.set(slot, offsets.start(subscribeOptions.groupId, name, partition, fromBeginning));
        }
      }
      const member: Member = {
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

    async stopAll(): Promise<void> {
      await Promise.all([...members].map((member) => stopMember(member, groupFor(member.options.groupId))));
    },
  };
}
