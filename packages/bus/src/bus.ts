/**
 * The message bus contract. Three implementations pass the same contract suite
 * (`./bus.contract.ts`): Kafka (kafkajs, production), SQLite (embedded mode, durable) and
 * in-memory (`herald dev --memory`, unit tests).
 *
 * Semantics all honour:
 * - `publish` resolves only once every message is durably acknowledged (Kafka: acks=all).
 * - Messages with the same key keep their order (they share a partition).
 * - A consumer group receives each message at least once; a batch's offsets are committed
 *   only after `handleBatch` resolves. If it throws, the same messages are handed again
 *   (after `retryDelayMs`), so nothing is skipped.
 * - Each group gets every message; instances of one group share the partitions.
 */
export interface OutgoingMessage {
  /** Partition key; messages with the same key keep their order. */
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Broker timestamp, ms since epoch. */
  timestamp: number;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default true. */
  fromBeginning?: boolean;
  /** Called with each batch; resolve to commit it, throw to have it handed again. */
  handleBatch: (batch: Batch) => Promise<void>;
  /** Wait before handing a failed batch again. Default 500 ms. */
  retryDelayMs?: number;
  /**
   * At most this many batches of different partitions handled at once by this subscriber (each partition's batches
   * still one after another, in order). Default 1.
   */
  partitionsAtOnce?: number;
}

export interface Subscription {
  /** Stops consuming; resolves after the batch in hand finished (and was committed if it succeeded). */
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Messages after the group's committed offset (all of them if it committed none): the partition's end offset minus the committed one. */
  lag: number;
}

export interface Bus {
  readonly kind: 'kafka' | 'memory' | 'sqlite';
  /** Creates the topics that do not exist yet (existing ones are left as they are). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Starts consuming. Resolves once the subscription joined its group and fixed where it starts
   * (with `fromBeginning: false`, what is published after it resolved is delivered).
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * The group's lag on every partition of `topics` (for the consumer-lag metric, read at scrape
   * time). Optional: a bus without it reports no lag. Throws when the bus cannot be reached.
   */
  consumerLag?(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  /** Throws when the bus cannot be reached (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
