import { HeraldError, isHeraldError } from '@herald/core';
import kafkajs from 'kafkajs';
import type {
  Admin,
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  IHeaders,
  KafkaConfig,
  KafkaMessage,
  LogEntry,
  Producer,
} from 'kafkajs';
import { abortableDelay } from './abortable-delay.ts';
import type { Bus, ConsumedMessage, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription, TopicSpec } from './bus.ts';
import type { BusLogger } from './bus-logger.ts';
import { isKafkaErrorOf } from './kafka-errors.ts';
import { LazyClient } from './lazy-client.ts';
import { TOPIC_READY_TIMEOUT_MS, waitForLeaders } from './wait-for-leaders.ts';
import { withTimeout } from './with-timeout.ts';

const { Kafka, Partitioners, logLevel } = kafkajs;

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs' warnings and errors, and the bus' own. Without one, kafkajs logs nothing. */
  logger?: BusLogger;
  /** Prepended to every topic name on the broker (e.g. `staging.`); consumed messages carry the name without it. */
  topicPrefix?: string;
  /** Replication factor of the topics ensureTopics creates. Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Overrides of the consumer settings; the defaults favour low latency (see CONSUMER_DEFAULTS). */
  consumer?: Partial<Omit<ConsumerConfig, 'groupId'>>;
  /** How long ping() waits for the cluster to answer. Default 3000 ms. */
  pingTimeoutMs?: number;
}

/**
 * Consumer settings: fetch returns after at most 100 ms, and a dead member is noticed within
 * 10 s. The bus heartbeats while handleBatch runs, so a long batch keeps its member; but during
 * a rebalance a member re-joins only between batches, so a batch longer than `rebalanceTimeout`
 * costs the member its partitions and the batch is handed again elsewhere (at least once).
 */
export const CONSUMER_DEFAULTS = {
  maxWaitTimeInMs: 100,
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 30_000,
  allowAutoTopicCreation: true,
} as const satisfies Partial<ConsumerConfig>;

const DEFAULT_RETRY_DELAY_MS = 500;
/** How long subscribe() waits for the first fetch, which fixes where a new group starts. */
const FIRST_FETCH_TIMEOUT_MS = 30_000;
/** The most one produce request carries (well under the broker's default message.max.bytes of 1 MiB). */
export const MAX_SEND_BYTES = 512 * 1024;

/** About how many bytes a message takes in a record batch. */
function messageSize(m: OutgoingMessage): number {
  let n = 64 + (m.key === null ? 0 : Buffer.byteLength(m.key)) + (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}

/** Splits messages, in order, into runs of at most `maxBytes` each (a bigger message alone). */
export function chunksBySize(messages: readonly OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const n = messageSize(m);
    if (current.length > 0 && size + n > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

const TOPIC_ALREADY_EXISTS: ReadonlySet<string> = new Set(['TOPIC_ALREADY_EXISTS']);

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The protocol errors that kafkajs logs at ERROR level on each response that carries them, and
 * then retries by itself: a healthy start hits them while the broker creates the offsets topic,
 * elects leaders for new topics and balances a new group ("The group coordinator is not
 * available"). Logged at debug level: if one persists, the operation fails after its retries and
 * that failure is reported as an error (by the bus, or by kafkajs as a consumer crash).
 */
const ROUTINE_KAFKA_ERRORS: readonly string[] = [
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests for this group",
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'The group is rebalancing, so a rejoin is needed',
];

/** True for a kafkajs log entry that is routine on a healthy cluster (see ROUTINE_KAFKA_ERRORS). */
export function isRoutineKafkaLog(namespace: string, message: string, error: unknown): boolean {
  if (typeof error === 'string' && ROUTINE_KAFKA_ERRORS.some((e) => error.includes(e))) return true;
  // After a rebalance the runner re-joins the group; kafkajs reports that at ERROR level too.
  return namespace === 'Runner' && message.startsWith('The coordinator is not aware of this member');
}

export function createKafkaBus(options: KafkaBusOptions): Bus {
  const logger = options.logger;
  const prefix = options.topicPrefix ?? '';
  const onBroker = (topic: string): string => prefix + topic;
  const fromBroker = (topic: string): string => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);
  const consumerSettings = { ...CONSUMER_DEFAULTS, ...options.consumer };
  const pingTimeoutMs = options.pingTimeoutMs ?? 3_000;

  const clientConfig: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, timestamp: _timestamp, logger: _name, ...fields } = entry.log;
      const logged = { kafkajs: entry.namespace, ...fields };
      if (isRoutineKafkaLog(entry.namespace, String(message), fields.error)) logger.debug?.(logged, String(message));
      else if (entry.level === logLevel.ERROR) logger.error(logged, String(message));
      else if (entry.level === logLevel.WARN) logger.warn(logged, String(message));
      else logger.info(logged, String(message));
    },
  };
  const kafka = new Kafka(clientConfig);
  // ping() has a client of its own that never retries, so a ping of an unreachable cluster fails
  // fast and leaves no retry timers behind. (It has to be a client: the `retry` of kafka.admin()
  // does not reach connecting, which retries by the client's settings.)
  const pingKafka = new Kafka({ ...clientConfig, retry: { retries: 0 } });

  const producer = new LazyClient<Producer>(() =>
    kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false, allowAutoTopicCreation: true }),
  );
  const admin = new LazyClient<Admin>(() => kafka.admin());
  const pingAdmin = new LazyClient<Admin>(() => pingKafka.admin({ retry: { retries: 0 } }));
  /** A failed ping drops its connection in the background; close() waits for that. */
  let pingReset: Promise<void> = Promise.resolve();
  const subscriptions = new Set<Subscription>();
  let closed = false;
  let closing: Promise<void> | undefined;

  function assertOpen(): void {
    if (closed) throw new HeraldError('HERALD_UNAVAILABLE', 'The Kafka bus is closed');
  }

  function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
    return {
      topic,
      partition,
      offset: message.offset,
      key: message.key === null ? null : message.key.toString('utf8'),
      value: message.value ?? Buffer.alloc(0),
      headers: headersOf(message.headers),
      timestamp: Number(message.timestamp),
    };
  }

  /**
   * The eachBatch of one subscription. kafkajs fetches the next batch of a partition from its
   * last *resolved* offset, so leaving a failed batch unresolved is what hands it again; a
   * batch is resolved and committed only after handleBatch resolved.
   */
  function batchHandler(subscribeOptions: SubscribeOptions, stopping: AbortSignal) {
    const retryDelayMs = subscribeOptions.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;

    /** Waits before the failed batch is fetched again, heartbeating so the group keeps the member. */
    async function waitBeforeRetry(payload: EachBatchPayload): Promise<void> {
      const until = Date.now() + retryDelayMs;
      for (;;) {
        const left = until - Date.now();
        if (left <= 0 || stopping.aborted || !payload.isRunning()) return;
        await abortableDelay(Math.min(left, consumerSettings.heartbeatInterval), stopping);
        if (!stopping.aborted && payload.isRunning()) await payload.heartbeat();
      }
    }

    return async (payload: EachBatchPayload): Promise<void> => {
      const { batch } = payload;
      if (batch.messages.length === 0 || stopping.aborted || !payload.isRunning() || payload.isStale()) return;
      // A rebalance under way shows here (heartbeat throws, kafkajs re-joins): the batch stays
      // unhandled for whoever owns the partition afterwards, instead of going to a member about to lose it.
      await payload.heartbeat();
      const topic = fromBroker(batch.topic);
      const messages = batch.messages.map((m) => toConsumed(topic, batch.partition, m));
      // kafkajs heartbeats only between batches: without these, a batch that takes longer than
      // sessionTimeout gets the member evicted, its commit refused, and the batch handed again,
      // forever. A rebalance reported here is seen again by the heartbeat after the batch.
      const keepAlive = setInterval(() => payload.heartbeat().catch(() => {}), consumerSettings.heartbeatInterval);
      let failure: { err: unknown } | undefined;
      try {
        await subscribeOptions.handleBatch({ topic, partition: batch.partition, messages });
      } catch (err) {
        failure = { err };
      } finally {
        clearInterval(keepAlive);
      }
      if (failure) {
        logger?.warn(
          { err: failure.err, groupId: subscribeOptions.groupId, topic, partition: batch.partition, offset: batch.firstOffset(), retryDelayMs },
          'handleBatch failed; the batch will be handed again',
        );
        await waitBeforeRetry(payload);
        return;
      }
      const lastOffset = batch.lastOffset();
      payload.resolveOffset(lastOffset);
      // Commits even when stop() was called meanwhile (consumer.commitOffsets would not), so
      // the batch in hand at stop() is not handed again.
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
      });
    };
  }

  /** Resolves after the consumer's first fetch, by which it joined and fixed its start offsets; rejects if it crashes first. */
  function firstFetchOf(consumer: Consumer): { done: Promise<void>; dispose: () => void } {
    const removers: Array<() => void> = [];
    const done = new Promise<void>((resolve, reject) => {
      removers.push(consumer.on(consumer.events.FETCH, () => resolve()));
      // A crash kafkajs restarts from (a retriable error, e.g. "the coordinator is loading" on a
      // busy broker) is not the end: keep waiting for the first fetch, within the timeout.
      removers.push(consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) reject(event.payload.error);
      }));
    });
    return { done, dispose: () => removers.forEach((remove) => remove()) };
  }

  async function subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
    assertOpen();
    if (!subscribeOptions.groupId) {
      throw HeraldError.validation('Invalid subscription', [{ field: '/groupId', message: 'must not be empty' }]);
    }
    if (subscribeOptions.topics.length === 0) {
      throw HeraldError.validation('Invalid subscription', [{ field: '/topics', message: 'must name at least one topic' }]);
    }
    const { groupId } = subscribeOptions;
    const consumer = kafka.consumer({ ...consumerSettings, groupId });
    const stopping = new AbortController();
    let stopped: Promise<void> | undefined;
    const subscription: Subscription = {
      stop: () =>
        (stopped ??= (async () => {
          stopping.abort(); // ends a retry wait at once
          try {
            await consumer.disconnect(); // kafkajs lets the batch in hand finish first
          } finally {
            subscriptions.delete(subscription);
          }
        })()),
    };
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger?.error(
        { err: error, groupId, restart },
        restart ? 'The Kafka consumer crashed and restarts' : 'The Kafka consumer crashed and stopped consuming',
      );
    });

    subscriptions.add(subscription);
    const firstFetch = firstFetchOf(consumer);
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: [...new Set(subscribeOptions.topics)].map(onBroker),
        fromBeginning: subscribeOptions.fromBeginning ?? true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, Math.floor(subscribeOptions.partitionsAtOnce ?? 1)),
        eachBatch: batchHandler(subscribeOptions, stopping.signal),
      });
      await withTimeout(firstFetch.done, FIRST_FETCH_TIMEOUT_MS, () =>
        new HeraldError('HERALD_UNAVAILABLE', `The consumer of group ${groupId} did not fetch within ${FIRST_FETCH_TIMEOUT_MS} ms`),
      );
      assertOpen();
    } catch (err) {
      await subscription.stop().catch(() => {});
      throw isHeraldError(err)
        ? err
        : new HeraldError('HERALD_UNAVAILABLE', `Cannot subscribe group ${groupId}: ${messageOf(err)}`, { cause: err });
    } finally {
      firstFetch.dispose();
    }
    return subscription;
  }

  return {
    kind: 'kafka',

    async ensureTopics(specs: TopicSpec[]): Promise<void> {
      assertOpen();
      for (const spec of specs) {
        if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
          throw HeraldError.validation('Invalid partition count', [
            { field: '/partitions', message: 'must be a whole number of at least 1' },
          ]);
        }
      }
      const client = await admin.get();
      const existing = new Set(await client.listTopics());
      const missing = new Map<string, number>();
      for (const spec of specs) {
        const topic = onBroker(spec.topic);
        if (!existing.has(topic) && !missing.has(topic)) missing.set(topic, spec.partitions);
      }
      if (missing.size === 0) return;
      try {
        // kafkajs's own waitForLeaders retries only LEADER_NOT_AVAILABLE, but a broker that has
        // just created a topic may still answer UNKNOWN_TOPIC_OR_PARTITION for it (its metadata
        // cache lags the controller, seen on a cold KRaft broker): waitForLeaders below waits
        // through both.
        await client.createTopics({
          waitForLeaders: false,
          topics: [...missing].map(([topic, numPartitions]) => ({
            topic,
            numPartitions,
            ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
          })),
        });
      } catch (err) {
        // Created by someone else between listTopics and createTopics: that is what we wanted.
        if (!isKafkaErrorOf(err, TOPIC_ALREADY_EXISTS)) throw err;
      }
      await waitForLeaders(client, [...missing.keys()], TOPIC_READY_TIMEOUT_MS);
    },

    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      assertOpen();
      if (messages.length === 0) return;
      const client = await producer.get();
      // One produce request per chunk of at most MAX_SEND_BYTES: the broker refuses a request
      // whose record batch exceeds its message.max.bytes (1 MiB by default), and a matcher batch
      // of thousands of events easily produces more jobs than that. Chunks go one after another,
      // so the order of one key's messages is kept.
      for (const chunk of chunksBySize(messages, MAX_SEND_BYTES)) {
        await client.send({
          topic: onBroker(topic),
          acks: -1,
          messages: chunk.map((m) => ({ key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) })),
        });
      }
    },

    subscribe,

    async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
      assertOpen();
      const client = await admin.get();
      const names = [...new Set(topics)];
      const [committed, ends] = await Promise.all([
        client.fetchOffsets({ groupId, topics: names.map(onBroker) }),
        Promise.all(names.map((t) => client.fetchTopicOffsets(onBroker(t)))),
      ]);
      return names.flatMap((topic, i) => {
        const group = committed.find((c) => c.topic === onBroker(topic));
        return ends[i]!.map((end) => {
          const offset = Number(group?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
          // No commit yet (-1): the whole partition is still to be read.
          const from = offset >= 0 ? offset : Number(end.low);
          return { topic, partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
        });
      });
    },

    async ping(): Promise<void> {
      assertOpen();
      try {
        await withTimeout(
          pingAdmin.get().then((client) => client.describeCluster()),
          pingTimeoutMs,
          () => new HeraldError('HERALD_UNAVAILABLE', `Kafka did not answer within ${pingTimeoutMs} ms`),
        );
      } catch (err) {
        pingReset = pingAdmin.disconnect().catch(() => {}); // start afresh next time
        throw isHeraldError(err)
          ? err
          : new HeraldError('HERALD_UNAVAILABLE', `Kafka cannot be reached: ${messageOf(err)}`, { cause: err });
      }
    },

    close(): Promise<void> {
      closed = true;
      closing ??= (async () => {
        await Promise.allSettled([...subscriptions].map((s) => s.stop()));
        await Promise.allSettled([producer.disconnect(), admin.disconnect(), pingAdmin.disconnect(), pingReset]);
      })();
      return closing;
    },
  };
}
