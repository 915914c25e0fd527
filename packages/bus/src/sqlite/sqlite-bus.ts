import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import type { Bus, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription, TopicSpec } from '../bus.ts';
import type { BusLogger } from '../bus-logger.ts';
import { createConsumerGroups, type LogMessage } from '../in-process-consumers.ts';
import { partitionForKey } from '../key-partition.ts';
import { checkPartitionCount, checkTopicName } from '../topic-rules.ts';
import { openBusDatabase, type SynchronousMode } from './open-bus-database.ts';

/**
 * The durable in-process bus of embedded mode: the memory bus's semantics and consumer groups
 * (`in-process-consumers.ts`), with the log and the committed offsets in one SQLite file.
 *
 * - `publish` resolves after its messages are committed to the file (one transaction a call).
 * - A batch's offset is committed to the file after `handleBatch` resolved; on reopen each group
 *   resumes after its last committed offset, so what was published but not committed is handed again.
 * - One process owns the file (an exclusive lock, held until `close()` or the process's end); a
 *   second opener fails with HERALD_UNAVAILABLE naming the file.
 * - Consumers are woken in-process by `publish`: nothing polls the file.
 * - Retention: messages that every group known to the file has committed are deleted, in chunks,
 *   each time the groups together committed `pruneEvery` more messages (and at open).
 */
export interface SqliteBusOptions {
  /** The bus file; its directory is created if missing. */
  path: string;
  /** Partitions of a topic that `publish` or `subscribe` create implicitly. Default 1. */
  partitions?: number;
  /** Most messages handed in one batch. Default 500. */
  maxBatchSize?: number;
  /**
   * SQLite's `synchronous` setting. Default `'normal'`: in WAL mode a commit has written its WAL
   * frames to the file (write(2), into the kernel's page cache) before it returns, so an
   * acknowledged publish or commit survives a kill of the process, SIGKILL included; the WAL is
   * fsync'ed at checkpoints only, so a power loss or a kernel crash may lose the last commits (the
   * file stays consistent). `'full'` fsyncs the WAL at every commit: what was acknowledged also
   * survives a power loss, for an fsync per publish and per committed batch.
   */
  synchronous?: SynchronousMode;
  /** Prune committed messages each time the groups together committed this many more. Default 1000. */
  pruneEvery?: number;
  /** How long opening waits for a file another connection holds before it fails. Default 1000 ms. */
  busyTimeoutMs?: number;
  logger?: BusLogger;
}

interface SqliteTopic {
  /** The slot of each partition (`bus_partitions.slot`). */
  slots: number[];
  /** The offset the next message of each partition takes. */
  ends: number[];
  /** Next partition for a message without a key. */
  roundRobin: number;
}

interface MessageRow {
  offset: number;
  key: string | null;
  value: Buffer;
  headers: string | null;
  timestamp: number;
}

/** Most messages one prune statement deletes (one transaction each, so none holds the file long). */
const PRUNE_CHUNK = 5_000;

const internals = new WeakMap<Bus, SqliteBusInternals>();

/** For tests: the bus's connection and its retention step. */
export interface SqliteBusInternals {
  db: Database.Database;
  file: string;
  /** Deletes what every known group committed; returns how many messages it deleted. */
  prune(): number;
}

export function internalSqliteBus(bus: Bus): SqliteBusInternals {
  const found = internals.get(bus);
  if (!found) throw new Error('not a SQLite bus');
  return found;
}

export function createSqliteBus(options: SqliteBusOptions): Bus {
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('HERALD_CONFIG_INVALID', 'createSqliteBus needs options with a path');
  }
  const defaultPartitions = options.partitions ?? 1;
  checkPartitionCount(defaultPartitions, '/partitions');
  const maxBatchSize = options.maxBatchSize ?? 500;
  checkPartitionCount(maxBatchSize, '/maxBatchSize');
  const pruneEvery = options.pruneEvery ?? 1000;
  checkPartitionCount(pruneEvery, '/pruneEvery');
  const logger = options.logger;
  const { db, file } = openBusDatabase(options.path, options.synchronous ?? 'normal', options.busyTimeoutMs ?? 1000);

  const sql = {
    partitions: db.prepare<[], { slot: number; topic: string; partition: number }>(`SELECT slot, topic, partition FROM bus_partitions ORDER BY topic, partition`),
    addPartition: db.prepare<[string, number]>(`INSERT INTO bus_partitions (topic, partition) VALUES (?, ?)`),
    lastOffset: db.prepare<[number], number | null>(`SELECT MAX(offset) FROM bus_messages WHERE slot = ?`).pluck(),
    firstOffset: db.prepare<[number], number | null>(`SELECT MIN(offset) FROM bus_messages WHERE slot = ?`).pluck(),
    maxCommitted: db.prepare<[number], number | null>(`SELECT MAX(next_offset) FROM bus_offsets WHERE slot = ?`).pluck(),
    insert: db.prepare<[number, number, string | null, Buffer, string | null, number]>(
      `INSERT INTO bus_messages (slot, offset, key, value, headers, timestamp) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    read: db.prepare<[number, number, number], MessageRow>(
      `SELECT offset, key, value, headers, timestamp FROM bus_messages WHERE slot = ? AND offset >= ? ORDER BY offset LIMIT ?`,
    ),
    committed: db.prepare<[string, number], number>(`SELECT next_offset FROM bus_offsets WHERE group_id = ? AND slot = ?`).pluck(),
    commit: db.prepare<[string, number, number]>(
      `INSERT INTO bus_offsets (group_id, slot, next_offset) VALUES (?, ?, ?) ON CONFLICT (group_id, slot) DO UPDATE SET next_offset = excluded.next_offset`,
    ),
    lowestCommitted: db.prepare<[], { slot: number; low: number }>(`SELECT slot, MIN(next_offset) AS low FROM bus_offsets GROUP BY slot`),
    deleteRange: db.prepare<[number, number, number]>(`DELETE FROM bus_messages WHERE slot = ? AND offset >= ? AND offset < ?`),
  };

  const topics = new Map<string, SqliteTopic>();
  /** Per slot, the lowest offset that may still be in the file (what retention has not passed). */
  const retainedFrom = new Map<number, number>();
  for (const row of sql.partitions.all()) {
    let topic = topics.get(row.topic);
    if (!topic) topics.set(row.topic, (topic = { slots: [], ends: [], roundRobin: 0 }));
    // Where the log goes on: after its last message, or, if retention deleted them all, where
    // the groups are (they committed everything, and a commit never passes the end).
    const end = Math.max((sql.lastOffset.get(row.slot) ?? -1) + 1, sql.maxCommitted.get(row.slot) ?? 0);
    topic.slots[row.partition] = row.slot;
    topic.ends[row.partition] = end;
    retainedFrom.set(row.slot, sql.firstOffset.get(row.slot) ?? end);
  }

  let closed = false;
  let committedSincePrune = 0;
  let pruneScheduled = false;

  function assertOpen(): void {
    if (closed) throw new HeraldError('HERALD_UNAVAILABLE', `The SQLite bus ${file} is closed`);
  }

  const createTopic = db.transaction((name: string, partitions: number): SqliteTopic => {
    const topic: SqliteTopic = { slots: [], ends: [], roundRobin: 0 };
    for (let partition = 0; partition < partitions; partition++) {
      topic.slots.push(Number(sql.addPartition.run(name, partition).lastInsertRowid));
      topic.ends.push(0);
    }
    return topic;
  });

  function topicFor(name: string, partitions = defaultPartitions): SqliteTopic {
    let topic = topics.get(name);
    if (!topic) {
      checkTopicName(name);
      topic = createTopic.immediate(name, partitions);
      topics.set(name, topic);
      for (const slot of topic.slots) retainedFrom.set(slot, 0);
    }
    return topic;
  }

  function existing(name: string): SqliteTopic {
    const topic = topics.get(name);
    if (!topic) throw new Error(`The SQLite bus has no topic ${name}`);
    return topic;
  }

  const insertAll = db.transaction((rows: Array<Parameters<typeof sql.insert.run>>) => {
    for (const row of rows) sql.insert.run(...row);
  });

  function prune(): number {
    committedSincePrune = 0;
    let deleted = 0;
    for (const { slot, low } of sql.lowestCommitted.all()) {
      let from = retainedFrom.get(slot) ?? 0;
      while (from < low) {
        const to = Math.min(low, from + PRUNE_CHUNK);
        deleted += sql.deleteRange.run(slot, from, to).changes;
        from = to;
        retainedFrom.set(slot, from);
      }
    }
    return deleted;
  }

  function schedulePrune(): void {
    if (pruneScheduled) return;
    pruneScheduled = true;
    setImmediate(() => {
      pruneScheduled = false;
      if (closed) return;
      try {
        const deleted = prune();
        logger?.debug?.({ file, deleted }, 'SQLite bus: committed messages pruned');
      } catch (err) {
        // Retention is retried at the next prune; nothing is lost by a failed one.
        logger?.warn({ err, file }, 'SQLite bus: pruning committed messages failed');
      }
    });
  }

  const consumers = createConsumerGroups({
    label: 'SQLite',
    maxBatchSize,
    logger,
    log: {
      ensureTopic: (name) => void topicFor(name),
      partitionCount: (name) => topics.get(name)?.slots.length ?? 0,
      endOffset: (name, partition) => existing(name).ends[partition]!,
      read: (name, partition, from, max): LogMessage[] =>
        sql.read.all(existing(name).slots[partition]!, from, max).map((row) => ({
          offset: row.offset,
          key: row.key,
          value: row.value,
          headers: row.headers === null ? {} : (JSON.parse(row.headers) as Record<string, string>),
          timestamp: row.timestamp,
        })),
    },
    offsets: {
      start(groupId, name, partition, fromBeginning) {
        const topic = existing(name);
        const slot = topic.slots[partition]!;
        const committed = sql.committed.get(groupId, slot);
        if (committed !== undefined) return committed;
        // Written now, so that a restart resumes the group here even before its first commit,
        // and retention keeps what it has not handled yet.
        // "The beginning" is the oldest message retention kept, as in Kafka.
        const start = fromBeginning ? (retainedFrom.get(slot) ?? 0) : topic.ends[partition]!;
        sql.commit.run(groupId, slot, start);
        return start;
      },
      commit(groupId, name, partition, next) {
        const slot = existing(name).slots[partition]!;
        const before = sql.committed.get(groupId, slot) ?? 0;
        sql.commit.run(groupId, slot, next);
        committedSincePrune += Math.max(0, next - before);
        if (committedSincePrune >= pruneEvery) schedulePrune();
      },
    },
  });

  // What the previous run committed but did not prune yet.
  try {
    prune();
  } catch (err) {
    logger?.warn({ err, file }, 'SQLite bus: pruning committed messages failed');
  }

  const bus: Bus = {
    kind: 'sqlite',

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
      if (messages.length === 0) return;
      const count = topic.slots.length;
      const timestamp = Date.now();
      const ends = [...topic.ends];
      let roundRobin = topic.roundRobin;
      const rows = messages.map((message): Parameters<typeof sql.insert.run> => {
        const partition = message.key === null ? roundRobin++ % count : partitionForKey(message.key, count);
        const value = typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : Buffer.from(message.value);
        const headers = message.headers && Object.keys(message.headers).length > 0 ? JSON.stringify(message.headers) : null;
        return [topic.slots[partition]!, ends[partition]!++, message.key, value, headers, timestamp];
      });
      // One transaction: when it returns, every message is in the file (and none if it throws).
      insertAll.immediate(rows);
      topic.ends = ends;
      topic.roundRobin = roundRobin;
      consumers.notify();
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      assertOpen();
      return consumers.subscribe(subscribeOptions);
    },

    async consumerLag(groupId: string, names: string[]): Promise<PartitionLag[]> {
      assertOpen();
      return [...new Set(names)].flatMap((name) => {
        const topic = topics.get(name);
        if (!topic) return [];
        // Behind by what follows its position in the file; a group the file does not know would
        // start at the oldest message retention kept.
        return topic.slots.map((slot, partition) => ({
          topic: name,
          partition,
          lag: topic.ends[partition]! - (sql.committed.get(groupId, slot) ?? retainedFrom.get(slot) ?? 0),
        }));
      });
    },

    async ping(): Promise<void> {
      assertOpen();
    },

    async close(): Promise<void> {
      if (closed) {
        await consumers.stopAll();
        return;
      }
      closed = true;
      // Each subscription finishes and commits its batch in hand before the file is closed.
      await consumers.stopAll();
      db.close();
    },
  };
  internals.set(bus, { db, file, prune });
  return bus;
}
