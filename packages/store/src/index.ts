export type {
  AccountId,
  AttemptRepository,
  DeliveryListQuery,
  DeliveryOutcome,
  DeliveryRepository,
  NewDelivery,
  Store,
  WebhookRepository,
} from './repositories.ts';
export { createMemoryStore } from './memory/memory-store.ts';
export { createMongoStore, type MongoStoreOptions } from './mongo/mongo-store.ts';
