export type {
  Batch,
  Bus,
  ConsumedMessage,
  OutgoingMessage,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './bus.ts';
export type { BusLogger } from './bus-logger.ts';
export { createKafkaBus, CONSUMER_DEFAULTS, type KafkaBusOptions } from './kafka-bus.ts';
export { createMemoryBus, type MemoryBusOptions } from './memory-bus.ts';
export { decodeJson, encodeJson } from './json-codec.ts';
export { partitionForKey } from './key-partition.ts';
export { createSqliteBus, type SqliteBusOptions } from './sqlite/sqlite-bus.ts';
